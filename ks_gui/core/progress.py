"""Turn a sort's output, one line at a time, into stage and progress events.

The stage model follows docker/CONTRACT.md: the driver's `[ks-gui] stage` markers say where a sort is, and
Kilosort's own per-batch lines (formats in reference/kilosort25_container.md §3c) say how far it is inside a stage.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ks_gui.core.contract import MARKER, STAGES

STAGE_TITLES = {
    "start": "Starting",
    "compile": "Compiling mex files",
    "preprocess": "Preprocessing",
    "drift": "Drift correction",
    "learn": "Learning templates",
    "extract": "Extracting spikes",
    "merge_split": "Merging and splitting",
    "export": "Exporting to phy",
    "done": "Done",
}

# Share of a typical run's time spent in each stage (reference §3c, "suggested stage weights").
STAGE_WEIGHTS = {
    "start": 0.02,
    "compile": 0.06,
    "preprocess": 0.14,
    "drift": 0.17,
    "learn": 0.28,
    "extract": 0.23,
    "merge_split": 0.08,
    "export": 0.02,
    "done": 0.0,
}

_STAGE_MARKER = re.compile(rf"^{re.escape(MARKER)}stage (\w+)\s*$")
_COMPILE_MARKER = re.compile(rf"^{re.escape(MARKER)}compile (\d+)/(\d+) (\S+)")
_RESULT_MARKER = re.compile(rf"^{re.escape(MARKER)}result units=(\d+) good=(\d+) spikes=(\d+)")
_MEX_DONE = "MEX completed successfully."
_PREPROCESS_DONE = re.compile(r"Time\s*\d+s\. Finished preprocessing (\d+) batches")
_DETECT_BATCH = re.compile(r"^\s*[\d.]+ sec, (\d+) batches, \d+ spikes")
_SHIFT_DONE = re.compile(r"^time [\d.]+, (Shifted up/down|Skipped shifting) \d+ batches")
_OPTIMIZING = re.compile(r"Time\s*\d+s\. Optimizing templates")
_TEMPLATE_BATCH = re.compile(r"^\s*[\d.]+ sec, (\d+) / (\d+) batches, (\d+) units")
_SPLIT = re.compile(r"Found \d+ splits, checked (\d+)/(\d+) clusters")
# The drift stage is detection (most of its time), then shifting the batches on disk.
_DETECT_SHARE = 0.8


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    stage_fraction: float
    fraction: float
    detail: str
    eta_seconds: float | None

    @property
    def stage_title(self) -> str:
        return STAGE_TITLES[self.stage]


@dataclass(frozen=True)
class Result:
    units: int
    good: int
    spikes: int


class Tracker:
    """Fed one output line at a time; knows the stage, the overall fraction and an ETA. Never goes backwards."""

    def __init__(self, n_batches: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.n_batches = n_batches
        self._clock = clock
        self._started = clock()
        self.stage = "start"
        self._stage_fraction = 0.0
        self._fraction = 0.0
        self._optimizing_seen = 0
        self._compiling: tuple[int, int] | None = None  # (file index, total) of the mex file being compiled
        self.compiled: list[int] = []
        self.result: Result | None = None

    @property
    def fraction(self) -> float:
        return self._fraction

    def eta_seconds(self) -> float | None:
        """Remaining time from the observed overall rate; None until there is enough to go on."""
        elapsed = self._clock() - self._started
        if self._fraction < 0.03 or elapsed < 5:
            return None
        return elapsed * (1 - self._fraction) / self._fraction

    def feed(self, line: str) -> ProgressEvent | None:
        """Read one line; an event when it moved the sort forward or said something new, else None."""
        text = line.strip()
        detail = self._read(text)
        if detail is None:
            return None
        return ProgressEvent(self.stage, self._stage_fraction, self._fraction, detail, self.eta_seconds())

    def _read(self, text: str) -> str | None:
        if match := _STAGE_MARKER.match(text):
            name = match.group(1)
            if name in STAGES:
                self._enter(name)
                return STAGE_TITLES[name]
            return None
        if match := _COMPILE_MARKER.match(text):
            index, total, name = int(match.group(1)), int(match.group(2)), match.group(3)
            self._enter("compile")
            self._compiling = (index, total)
            self._advance((index - 1) / total)
            return f"Compiling {name} ({index} of {total})"
        if text == _MEX_DONE and self._compiling:
            index, total = self._compiling
            self.compiled.append(index)
            self._advance(index / total)
            return None
        if match := _RESULT_MARKER.match(text):
            self.result = Result(*(int(g) for g in match.groups()))
            return f"{self.result.units} units, {self.result.good} good, {self.result.spikes} spikes"
        if match := _PREPROCESS_DONE.search(text):
            self.n_batches = int(match.group(1))
            self._enter("preprocess")
            self._advance(1.0)
            return f"Preprocessed {self.n_batches} batches"
        if match := _DETECT_BATCH.match(text):
            self._enter("drift")
            if self.n_batches:
                self._advance(_DETECT_SHARE * int(match.group(1)) / self.n_batches)
            return f"Detecting spikes for drift: batch {match.group(1)} of {self.n_batches or '?'}"
        if _SHIFT_DONE.match(text):
            self._enter("drift")
            self._advance(1.0)
            return "Drift corrected"
        if _OPTIMIZING.search(text):
            self._optimizing_seen += 1
            # Same text twice: template learning first, spike extraction second.
            self._enter("learn" if self._optimizing_seen == 1 else "extract")
            return STAGE_TITLES[self.stage]
        if match := _TEMPLATE_BATCH.match(text):
            batch, total, units = (int(g) for g in match.groups())
            if self.stage in ("learn", "extract"):
                self._advance(batch / total)
            return f"{STAGE_TITLES[self.stage]}: batch {batch} of {total}, {units} units"
        if match := _SPLIT.search(text):
            checked, total = int(match.group(1)), int(match.group(2))
            self._enter("merge_split")
            self._advance(checked / max(total, 1))
            return f"Splitting clusters: {checked} of {total} checked"
        return None

    def _enter(self, stage: str) -> None:
        if STAGES.index(stage) <= STAGES.index(self.stage):
            return
        self.stage = stage
        self._stage_fraction = 0.0
        self._update()

    def _advance(self, stage_fraction: float) -> None:
        self._stage_fraction = max(self._stage_fraction, min(stage_fraction, 1.0))
        self._update()

    def _update(self) -> None:
        before = sum(STAGE_WEIGHTS[s] for s in STAGES[: STAGES.index(self.stage)])
        overall = 1.0 if self.stage == "done" else before + STAGE_WEIGHTS[self.stage] * self._stage_fraction
        self._fraction = max(self._fraction, min(overall, 1.0))
