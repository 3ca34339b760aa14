"""Turn a stream of byte chunks (Docker log frames, pipe reads) into text lines."""

from __future__ import annotations

import codecs


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
        lines = []
        start = 0
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\n":
                lines.append(text[start:i])
                start = i + 1
            elif char == "\r":
                if i + 1 == len(text):
                    break  # may be the first half of \r\n: wait for the next chunk
                lines.append(text[start:i])
                start = i + 2 if text[i + 1] == "\n" else i + 1
                i = start - 1
            i += 1
        self._pending = text[start:]
        return lines

    def finish(self) -> list[str]:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        rest = rest.removesuffix("\r")
        return [rest] if rest else []
