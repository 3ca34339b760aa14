"""Turn a stream of byte chunks (Docker log frames, pipe reads) into text lines."""

from __future__ import annotations

import codecs
import re

_LINE_END = re.compile(r"\r\n|\r|\n")


class LineSplitter:
    r"""Splits chunks on \n, \r\n and a lone \r (a progress line that overwrites itself).

    Frames from Docker's log stream are not lines: a line may span frames and a frame may hold many lines,
    and a multi-byte UTF-8 character may be cut between two frames.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    @property
    def pending(self) -> str:
        """Text received after the last line end: a prompt waiting for an answer looks like this."""
        return self._pending.removesuffix("\r")

    def take_pending(self) -> str:
        text, self._pending = self.pending, ""
        return text

    def feed(self, chunk: bytes) -> list[str]:
        text = self._pending + self._decoder.decode(chunk)
        # A trailing \r may be the first half of \r\n: hold it until the next chunk says which.
        held = "\r" if text.endswith("\r") else ""
        lines = _LINE_END.split(text.removesuffix("\r") if held else text)
        self._pending = lines.pop() + held
        return lines

    def finish(self) -> list[str]:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        rest = rest.removesuffix("\r")
        return [rest] if rest else []
