"""The terminal's progress display for `ks-gui sort`: one redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ks_gui.core.ground.contract import STAGES
from ks_gui.core.ground.eta_text import left_text
from ks_gui.core.ground.readable import clock_text
from ks_gui.core.sorters.progress import ProgressEvent

BAR_WIDTH = 30
# The stages a user counts: `start` and `done` are not steps of the sort, nor `quality`, which follows the sort.
COUNTED_STAGES = tuple(stage for stage in STAGES[1:-1] if stage != "quality")


def stage_position(stage: str) -> str:
    """The stage's place among the counted stages, like 3/7; empty for start and done."""
    return f"{COUNTED_STAGES.index(stage) + 1}/{len(COUNTED_STAGES)}" if stage in COUNTED_STAGES else ""


def bar_text(event: ProgressEvent, elapsed: float) -> str:
    """The terminal's progress line: bar, percent, stage i/n, what happens, elapsed time and the ETA."""
    filled = round(event.fraction * BAR_WIDTH)
    position = stage_position(event.stage)
    stage = f"{position} " if position else ""
    eta = "" if event.stage == "done" else f" · {left_text(event.eta_seconds)}"
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {event.fraction:4.0%}  {stage}{event.detail}"
        f" · {clock_text(elapsed)}{eta}"
    )


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
            # In a log file or pipe, one line per stage is enough (with the time left, worded as on the bar).
            position = stage_position(event.stage)
            eta = "" if event.stage == "done" else f" · {left_text(event.eta_seconds)}"
            self._stream.write(f"{event.fraction:4.0%}  {position + ' ' if position else ''}{event.stage_title}{eta}\n")
            self._stream.flush()
        self._last_stage = event.stage

    def _redraw(self, event: ProgressEvent) -> None:
        text = bar_text(event, time.monotonic() - self._started)
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
