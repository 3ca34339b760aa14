"""The terminal's progress display for `ks-gui sort`: one redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ks_gui.core.progress import ProgressEvent
from ks_gui.core.readable import clock_text

BAR_WIDTH = 30


class TerminalProgress:
    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._started = time.monotonic()
        self._last_stage = ""
        self._width = 0

    def show(self, event: ProgressEvent) -> None:
        if self._live:
            self._redraw(event)
        elif event.stage != self._last_stage:
            # In a log file or pipe, one line per stage is enough.
            self._stream.write(f"{event.fraction:4.0%}  {event.stage_title}\n")
            self._stream.flush()
        self._last_stage = event.stage

    def _redraw(self, event: ProgressEvent) -> None:
        filled = round(event.fraction * BAR_WIDTH)
        eta = f" · ETA {clock_text(event.eta_seconds)}" if event.eta_seconds is not None else ""
        text = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {event.fraction:4.0%}  {event.detail}"
            f" · {clock_text(time.monotonic() - self._started)}{eta}"
        )
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def message(self, text: str) -> None:
        """A line that must not be drawn over by the bar."""
        self.end()
        self._stream.write(text + "\n")
        self._stream.flush()

    def end(self) -> None:
        if self._live and self._width:
            self._stream.write("\n")
            self._width = 0
