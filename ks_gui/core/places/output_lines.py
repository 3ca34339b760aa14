"""Turn a stream of byte chunks (Docker log frames, pipe reads) into text lines."""

from __future__ import annotations

import codecs
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class OutputLine:
    """A line of a sorter's output. `complete` is False for text the sorter left without a line end and then went
    quiet on (a prompt waiting for an answer); its continuation arrives as a new line."""

    text: str
    complete: bool = True
    idle: bool = False  # no output for `idle_every` seconds: not a line, a chance to look at the clock
    notice: str = ""  # the place's own words about the run (a cluster job waiting in its queue), not output


_END = object()


class OutputReader:
    """Reads a sorter's output (container frames, pipe reads) on a thread of its own and hands it out as lines.

    The same for a container and a local process, so both read exactly alike.
    """

    def __init__(self, chunks: Iterable[bytes], name: str, on_error: Callable[[], None] = lambda: None) -> None:
        self._source = chunks
        self._on_error = on_error
        self._chunks: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name=name, daemon=True).start()

    def _read(self) -> None:
        try:
            for chunk in self._source:
                self._chunks.put(chunk)
        except Exception:  # the stream ends with an error when its container or pipe is closed under it
            self._on_error()
        finally:
            self._chunks.put(_END)

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        """Output lines until the output ends. Text without a line end comes as an incomplete line once the output
        has been quiet for `quiet_after` seconds (that is how a prompt looks). With `idle_every`, an empty `idle`
        line comes after each such quiet stretch with nothing pending (the progress tracker moves on in phases
        that print nothing)."""
        splitter = LineSplitter()
        while True:
            try:
                chunk = self._chunks.get(timeout=quiet_after if splitter.pending else idle_every)
            except queue.Empty:
                if splitter.pending:
                    yield OutputLine(splitter.take_pending(), complete=False)
                else:
                    yield OutputLine("", complete=False, idle=True)
                continue
            if chunk is _END:
                break
            for text in splitter.feed(chunk):
                yield OutputLine(text)
        for text in splitter.finish():
            yield OutputLine(text)
