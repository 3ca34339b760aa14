"""The stages a sort goes through (docker/CONTRACT.md), their share of a run's time, and quiet stretches.

Shared by the Tracker (progress.py) and the sorters' output readers (kilosort25_output.py, kilosort4_output.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ks_gui.core.ground.contract import STAGES

STAGE_TITLES = {
    "start": "Starting",
    "compile": "Compiling mex files",
    "preprocess": "Preprocessing",
    "drift": "Drift correction",
    "learn": "Learning templates",
    "extract": "Extracting spikes",
    "merge_split": "Merging and splitting",
    "export": "Exporting to phy",
    "quality": "Quality metrics",
    "done": "Done",
}

# The stages each sorter goes through, as a list of them calls them (the progress line says what happens inside).
KILOSORT25_STAGE_NAMES = {
    "start": "Start MATLAB",
    "compile": "Compile mex files",
    "preprocess": "Preprocess",
    "drift": "Drift correction",
    "learn": "Learn templates",
    "extract": "Extract spikes",
    "merge_split": "Merge and split",
    "export": "Export to phy",
}
# Kilosort 4 compiles nothing and needs no MATLAB: its own steps (the driver's markers, ks_gui_kilosort4.py).
KILOSORT4_STAGE_NAMES = {
    "start": "Start Kilosort 4",
    "preprocess": "Preprocess",
    "drift": "Drift correction",
    "learn": "Detect spikes (universal templates)",
    "extract": "Detect spikes (learned templates)",
    "merge_split": "Final clustering and merges",
    "export": "Save for phy",
    "quality": "Quality metrics",  # SpikeInterface's metrics and Bombcell's labels, after the sort
}

# Share of a typical run's time spent in each stage (reference §3c, "suggested stage weights"; start and compile
# from the first runs of an image: MATLAB's start and sign-in, then 9 mexcuda calls of tens of seconds each).
STAGE_WEIGHTS = {
    "start": 0.02,
    "compile": 0.06,
    "preprocess": 0.14,
    "drift": 0.18,
    "learn": 0.28,
    "extract": 0.22,
    "merge_split": 0.08,
    "export": 0.02,
    "quality": 0.05,
    "done": 0.0,
}
INDEX = {name: i for i, name in enumerate(STAGES)}
BEFORE = {name: sum(STAGE_WEIGHTS[s] for s in STAGES[: INDEX[name]]) for name in STAGES}
# Stages whose time does not grow with the recording (starting Python or MATLAB, compiling mex files).
FIXED_STAGES = ("start", "compile")


@dataclass(frozen=True)
class StageShape:
    """How long a sorter's stages take on a kind of place, before this machine has sorted anything: per stage,
    `fixed` seconds plus `per_size` seconds per channel-second of recording (duration x channels)."""

    fixed: dict[str, float]
    per_size: dict[str, float]

    def seconds(self, size: float) -> dict[str, float]:
        return {s: self.fixed.get(s, 0.0) + self.per_size.get(s, 0.0) * size for s in STAGES if s != "done"}

    def fixed_shares(self, size: float) -> dict[str, float]:
        """Each stage's share of its time that does not grow with the recording (for Kilosort 4: computing the
        universal templates and the first batch's warm-up, spent before a stage's bar says 1 of n)."""
        return {s: self.fixed.get(s, 0.0) / t for s, t in self.seconds(size).items() if t > 0}


def weights_from(seconds: dict[str, float]) -> dict[str, float]:
    """Stage weights proportional to the time each stage takes, so the bar's share is the share of time."""
    total = sum(seconds.get(s, 0.0) for s in STAGES if s != "done")
    if total <= 0:
        return dict(STAGE_WEIGHTS)
    return {s: (0.0 if s == "done" else seconds.get(s, 0.0) / total) for s in STAGES}


def before_from(weights: dict[str, float]) -> dict[str, float]:
    return {name: sum(weights[s] for s in STAGES[: INDEX[name]]) for name in STAGES}


# Phases that print nothing: rough durations guess how fast to interpolate until rates are known.
GUESS_SECONDS = {"start": 30.0, "compile_file": 25.0, "whitening": 20.0, "merge": 60.0, "export": 30.0}


@dataclass(frozen=True)
class Quiet:
    """A stretch without output: the stage fraction goes from `low` towards `high` over `seconds`."""

    low: float
    high: float
    since: float
    seconds: float
    known: bool  # the duration comes from an observed rate: go linearly; else approach the end slowly

    def at(self, now: float) -> float:
        x = max(now - self.since, 0.0) / max(self.seconds, 1e-3)
        share = min(x, 0.95) if self.known else 0.95 * (1.0 - math.exp(-x))  # the end comes from a line only
        return self.low + (self.high - self.low) * share
