"""Turn a sort's output, one line at a time, into stage and progress events.

The stage model follows docker/CONTRACT.md: the driver's `[ks-gui] stage` markers say where a sort is, and
Kilosort's own lines (formats in reference/kilosort25_container.md §3c) say how far it is inside a stage. Without
markers (a log saved outside ks-gui, or pasted from a forum) Kilosort's lines alone place the sort.

Phases that print nothing for minutes (MATLAB's start, a mex compile, preprocessing's filter loop, shifting batches
on disk, merges) move forward on `tick()`: from the temp file's growing size while filtering, else by interpolating
in time, from rates observed earlier in the same run where there are any. Progress never goes backwards.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ks_gui.core.contract import MARKER, MEX_FILES, STAGES
from ks_gui.core.sorters.pasted_log import QUOTE_STARTS, clean_line

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
    "done": 0.0,
}
_INDEX = {name: i for i, name in enumerate(STAGES)}
_BEFORE = {name: sum(STAGE_WEIGHTS[s] for s in STAGES[: _INDEX[name]]) for name in STAGES}

# Shares inside a stage. Drift: detection, then shifting the batches on disk (reference weights 0.15 and 0.05).
_DETECT_SHARE = 0.75
_WHITENING_SHARE = 0.08  # preprocessing: the whitening matrix, then the filter loop that writes the temp file
_MERGE_SHARE = 0.3  # merge_split: find_merges (no total known), then splitAllClusters
_PRINT_EVERY = 100  # Kilosort prints a batch line when rem(k, 100) == 1
# Kilosort 2.5 prints nothing for these; rough durations guess how fast to interpolate until rates are known.
_GUESS_SECONDS = {"start": 30.0, "compile_file": 25.0, "whitening": 20.0, "merge": 60.0, "export": 30.0}
_FILTER_PER_WHITENING = (
    30.0  # the filter loop takes about 30 times as long as the whitening matrix (aind#8: 66 s, 1963 s)
)

_COMPILE_MARKER = re.compile(r"compile (\d+)/(\d+) (\S+)")
_RESULT_MARKER = re.compile(r"result units=(\d+) good=(\d+) spikes=(\d+)")
_PREPROCESS_DONE = re.compile(r"Time\s*[\d.]+s\. Finished preprocessing (\d+) batches")
_DETECT_BATCH = re.compile(r"[\d.]+ sec, (\d+) batches, \d+ spikes")
_TEMPLATE_BATCH = re.compile(r"[\d.]+ sec, (\d+) / (\d+) batches, (\d+) units")
_SHIFT_DONE = re.compile(r"time [\d.]+, (?:Shifted up/down|Skipped shifting) (\d+) batches")
_SPLIT = re.compile(r"(?:Finished splitting\. )?Found (\d+) splits, checked (\d+)/(\d+) clusters")
# Kilosort 2.0 (clusterSingleBatches) and Kilosort 3 (template_learning, final_clustering): recognised, placed.
_KS2_BATCHES = re.compile(r"time [\d.]+, (pre clustered|compared) (\d+) / (\d+) batches")
_KS3_GROUP = re.compile(r"time [\d.]+, GROUP (\d+)/(\d+), units (\d+)")
# Kilosort 4: tqdm bars (each update ends with \r, split into lines by lines.py), e.g. " 45%|####5     | 9/20 [00:08<…".
_TQDM = re.compile(r"(\d+)%\|[^|]*\| (\d+)/(\d+) \[")
_TQDM_SHARE = 0.95  # what a stage's bar reaching its end leaves for the rest of the stage (Kilosort 4)


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    stage_fraction: float
    fraction: float
    detail: str
    eta_seconds: float | None
    step: str = ""  # inside the stage: "whitening"/"filtering", "detect"/"shift", "merge"/"split"
    counter: tuple[int, int] | None = None  # (i, n): the mex file, batch or cluster the stage is at

    @property
    def stage_title(self) -> str:
        return STAGE_TITLES[self.stage]


@dataclass(frozen=True)
class Result:
    units: int
    good: int
    spikes: int


@dataclass(frozen=True)
class _Quiet:
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


@dataclass
class _BatchMark:
    kind: str
    batch: int
    at: float


def _line_at(
    stage: str,
    share: float,
    detail: str,
    step: str = "",
    contains: str = "",
    quiet: tuple[float, str] | None = None,
) -> Callable[[Tracker, str], str | None]:
    """A line that puts the sort at `share` of `stage`; then quiet towards quiet[0], guessing quiet[1]'s time."""

    def handler(self: Tracker, text: str) -> str | None:
        if (contains and contains not in text) or not self._at(stage, share, step):
            return None
        self._quiet = None
        if quiet is not None:
            high, guess = quiet
            self._quiet = _Quiet(share, high, self._clock(), _GUESS_SECONDS[guess], known=False)
        return detail

    return handler


class Tracker:
    """Fed one output line at a time; knows the stage, the overall fraction and an ETA. Never goes backwards.

    `n_batches` is Kilosort's Nbatch when known before the first line (SortJob.n_batches); `temp_file` and
    `temp_file_bytes` let `tick()` follow preprocessing's filter loop by the whitened file's size.
    """

    def __init__(
        self,
        n_batches: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        temp_file: Path | None = None,
        temp_file_bytes: int = 0,
        stage: str = "start",
    ) -> None:
        self.n_batches = n_batches
        self._clock = clock
        self._temp_file = temp_file
        self._temp_file_bytes = temp_file_bytes
        now = clock()
        self._started = now
        self.stage = stage if stage in _INDEX else "start"
        self.step = ""
        self.counter: tuple[int, int] | None = None
        self.detail = STAGE_TITLES[self.stage]
        self._stage_fraction = 0.0
        self._fraction = _BEFORE[self.stage]
        self._quiet: _Quiet | None = None
        if self.stage == "start":
            self._quiet = _Quiet(0.0, 0.9, now, _GUESS_SECONDS["start"], known=False)
        self.recognised = False  # any line said where a sort is
        self.sorter_version: str | None = None  # "2.5", or "2.0" / "3" when their own lines show up
        self.result: Result | None = None
        self.compiled: list[int] = []
        self._compiling: tuple[int, int, float] | None = None  # (file index, total, since) of the file compiling
        self._compile_seconds: list[float] = []
        self._previous = ""
        self._learn_started = False  # the first "Optimizing templates" line
        self._learn_seen = False  # a learning batch line, or "Finished learning templates"
        self._work_started: tuple[float, float] | None = None  # (time, fraction) when the sort proper began
        self._whitening_since: float | None = None
        self._filtering_since: float | None = None
        self._filtering_wall: float | None = None  # wall-clock time of "Loading raw data": the temp file's truncation
        self._detect_since: float | None = None
        self._batch_mark: _BatchMark | None = None

    # --- reading ---------------------------------------------------------------------------------------------

    @property
    def fraction(self) -> float:
        return self._fraction

    @property
    def stage_fraction(self) -> float:
        return self._stage_fraction

    def eta_seconds(self) -> float | None:
        """Remaining time from the rate observed since the sort proper began (MATLAB's start and the mex compile
        do not scale with the recording); None until there is enough to go on."""
        if self.stage == "done":
            return 0.0
        if self._work_started is None:
            return None
        since, fraction_then = self._work_started
        elapsed = self._clock() - since
        gained = self._fraction - fraction_then
        if elapsed < 5 or gained < 0.01:
            return None
        return elapsed * (1 - self._fraction) / gained

    def event(self) -> ProgressEvent:
        """Where the sort is now."""
        return ProgressEvent(
            self.stage, self._stage_fraction, self._fraction, self.detail, self.eta_seconds(), self.step, self.counter
        )

    def feed(self, line: str) -> ProgressEvent | None:
        """Read one line; an event when it moved the sort forward or said something new, else None."""
        text = line.strip()
        if not text:
            return None
        if text[0] in QUOTE_STARTS:
            text = clean_line(text)
            if not text:  # a bare "> " line of a quoted paste
                return None
        if text == self._previous:  # a wrapper that prints every line twice
            return None
        self._previous = text
        detail = self._read(text)
        if detail is None:
            return None
        self.recognised = True
        self.detail = detail
        return self.event()

    def tick(self) -> ProgressEvent | None:
        """Called while the sorter is quiet: an event when time or the temp file's size moved the sort forward."""
        before = self._fraction
        if self.stage == "preprocess" and self.step == "filtering" and (share := self._temp_file_share()) is not None:
            self._advance(_WHITENING_SHARE + (1 - _WHITENING_SHARE) * min(share, 0.99))
        elif self._quiet is not None:
            self._advance(self._quiet.at(self._clock()))
        if self._fraction - before < 0.0005:
            return None
        return self.event()

    # --- the lines -------------------------------------------------------------------------------------------

    def _read(self, text: str) -> str | None:
        first = text[0]
        if first.isdigit():
            return self._batch_line(text)
        if first == "[":
            return self._marker(text[len(MARKER) :]) if text.startswith(MARKER) else None
        if first == "T" and text.startswith("Time"):
            return self._time_line(text)
        if first == "t" and text.startswith("time "):
            return self._lower_time_line(text)
        for prefix, handler in self._PREFIXES:
            if text.startswith(prefix):
                return handler(self, text)
        return None

    def _marker(self, text: str) -> str | None:
        if text.startswith("stage "):
            name = text[6:].strip()
            if name not in _INDEX or not self._enter(name):
                return None
            if name == "done":
                self._advance(1.0)
            return STAGE_TITLES[self.stage]
        if match := _COMPILE_MARKER.match(text):
            index, total, name = int(match.group(1)), int(match.group(2)), match.group(3)
            return self._compile_file(index, total, name)
        if match := _RESULT_MARKER.match(text):
            self.result = Result(*(int(g) for g in match.groups()))
            self._at("export", 0.95)
            return f"{self.result.units} units, {self.result.good} good, {self.result.spikes} spikes"
        return None

    def _compile_file(self, index: int, total: int, name: str) -> str | None:
        if not self._at("compile", (index - 1) / max(total, 1)):
            return None
        now = self._clock()
        self._finish_compiling(now)
        self._compiling = (index, total, now)
        self.counter = (index, total)
        seconds = (
            sum(self._compile_seconds) / len(self._compile_seconds)
            if self._compile_seconds
            else _GUESS_SECONDS["compile_file"]
        )
        self._quiet = _Quiet((index - 1) / total, index / total, now, seconds, known=bool(self._compile_seconds))
        return f"Compiling {name} ({index} of {total})"

    def _finish_compiling(self, now: float) -> None:
        if self._compiling is not None:
            index, total, since = self._compiling
            if index not in self.compiled:
                self.compiled.append(index)
                self._compile_seconds.append(now - since)
            self._compiling = None
            if self.stage == "compile":
                self._advance(index / total)

    def _building(self, text: str) -> str | None:
        # mexcuda without the driver's markers: count the files (reference §3a: 9 files, 2 lines each).
        if self._compiling is not None or not self._enter("compile"):
            return None
        index = len(self.compiled) + 1
        total = len(MEX_FILES)
        name = f"{MEX_FILES[index - 1]}.cu" if index <= total else "a mex file"
        return self._compile_file(index, max(total, index), name)

    def _mex_done(self, text: str) -> str | None:
        if self._compiling is None or self.stage != "compile":
            return None
        self._finish_compiling(self._clock())
        self._quiet = None
        return f"Compiled {len(self.compiled)} of {self.counter[1] if self.counter else len(MEX_FILES)}"

    def _time_line(self, text: str) -> str | None:
        if "Optimizing templates" in text:
            # Same text twice: template learning first, spike extraction second.
            if _INDEX[self.stage] < _INDEX["learn"] or (self.stage == "learn" and not self._learn_started):
                self._enter("learn")
                self._learn_started = True
            elif self.stage == "learn" and self._learn_seen:
                self._enter("extract")
            else:
                return None
            self.counter = None
            return STAGE_TITLES[self.stage]
        if match := _PREPROCESS_DONE.match(text):
            self.n_batches = int(match.group(1))
            if not self._at("preprocess", 1.0, "filtering"):
                return None
            self._quiet = None
            return f"Preprocessed {self.n_batches} batches"
        if "Computing whitening matrix" in text:
            if not self._at("preprocess", 0.0, "whitening"):
                return None
            self._whitening_since = self._clock()
            self._quiet = _Quiet(0.0, _WHITENING_SHARE, self._whitening_since, _GUESS_SECONDS["whitening"], False)
            return "Preprocessing: computing the whitening matrix"
        if "Loading raw data and applying filters" in text:
            if not self._at("preprocess", _WHITENING_SHARE, "filtering"):
                return None
            now = self._clock()
            self._filtering_since = now
            self._filtering_wall = time.time()
            whitening = now - self._whitening_since if self._whitening_since is not None else 0.0
            seconds = max(_FILTER_PER_WHITENING * whitening, 60.0)
            self._quiet = _Quiet(_WHITENING_SHARE, 1.0, now, seconds, known=False)
            return "Preprocessing: filtering and whitening the data"
        return None

    def _lower_time_line(self, text: str) -> str | None:
        if match := _SHIFT_DONE.match(text):
            if not self._at("drift", 1.0, "shift"):
                return None
            self._quiet = None
            return "Drift corrected"
        if match := _KS3_GROUP.match(text):
            self.sorter_version = "3"
            group, total = int(match.group(1)), int(match.group(2))
            stage = "learn" if _INDEX[self.stage] < _INDEX["extract"] else "merge_split"
            if not self._at(stage, group / max(total, 1)):
                return None
            self.counter = (group, total)
            return f"{STAGE_TITLES[stage]}: group {group} of {total}, {match.group(3)} units"
        if match := _KS2_BATCHES.match(text):
            self.sorter_version = "2.0"
            batch, total = int(match.group(2)), int(match.group(3))
            clustering = match.group(1) == "pre clustered"
            share = _DETECT_SHARE * batch / total if clustering else _DETECT_SHARE + (1 - _DETECT_SHARE) * batch / total
            if not self._at("drift", share, "detect" if clustering else "shift"):
                return None
            self.counter = (batch, total)
            return f"Reordering batches: {match.group(1)} {batch} of {total}"
        return None

    def _batch_line(self, text: str) -> str | None:
        if "%|" in text:
            return self._tqdm(text)
        if " / " in text:
            match = _TEMPLATE_BATCH.match(text)
            if match is None:
                return None
            batch, total, units = int(match.group(1)), int(match.group(2)), int(match.group(3))
            # learnTemplates prints "merges:", trackAndSort does not: that places a log that starts mid-run.
            stage = "learn" if "merges:" in text else "extract"
            if stage == "learn":
                self._learn_started = self._learn_seen = True
            if self.sorter_version is None and stage == "learn":
                self.sorter_version = "2.5" if text.count(",") >= 8 else "2.0"  # v2.5 prints 3 merges numbers
            if not self._at(stage, batch / max(total, 1)):
                return None
            self.n_batches = total
            self.counter = (batch, total)
            self._after_batch(stage, batch, total, lambda k: k / total)
            return f"{STAGE_TITLES[stage]}: batch {batch} of {total}, {units} units"
        match = _DETECT_BATCH.match(text)
        if match is None:
            return None
        batch = int(match.group(1))
        total = self.n_batches
        if not self._enter("drift", "detect"):
            return None
        if self._detect_since is None:
            self._detect_since = self._clock()
        if total:
            total = max(total, batch)
            self._advance(_DETECT_SHARE * batch / total)
            self.counter = (batch, total)
            self._after_batch("drift", batch, total, lambda k: _DETECT_SHARE * k / total)
            if batch >= total:  # detection done; shift_batch_on_disk2 prints nothing until "Shifted up/down"
                detect_seconds = self._clock() - self._detect_since
                self._quiet = _Quiet(_DETECT_SHARE, 1.0, self._clock(), max(detect_seconds / 3, 1.0), known=True)
        return f"Detecting spikes for drift: batch {batch} of {total or '?'}"

    def _after_batch(self, kind: str, batch: int, total: int, share_at: Callable[[int], float]) -> None:
        """Interpolate towards the next printed batch at the rate observed between the last two batch lines."""
        now = self._clock()
        mark = self._batch_mark
        self._batch_mark = _BatchMark(kind, batch, now)
        next_batch = min(batch + _PRINT_EVERY, total)
        if mark is None or mark.kind != kind or batch <= mark.batch or next_batch <= batch:
            self._quiet = None
            return
        per_batch = (now - mark.at) / (batch - mark.batch)
        self._quiet = _Quiet(share_at(batch), share_at(next_batch), now, per_batch * (next_batch - batch), True)

    def _tqdm(self, text: str) -> str | None:
        """Kilosort 4's bars: spike detection over batches (drift, learn, extract) and clustering over centres
        (learn, merge_split); the driver's stage markers say which stage a bar belongs to."""
        match = _TQDM.match(text)
        if match is None or self.stage not in ("drift", "learn", "extract", "merge_split"):
            return None
        done, total = int(match.group(2)), int(match.group(3))
        if total <= 0 or self.counter == (done, total):
            return None
        self.counter = (done, total)
        self._advance(_TQDM_SHARE * done / total)
        return f"{STAGE_TITLES[self.stage]}: {done} of {total}"

    def _ks4(self, text: str) -> str | None:
        self.sorter_version = "4"
        return None

    def _learning_finished(self, text: str) -> str | None:
        if not self._at("learn", 1.0):
            return None
        self._learn_seen = True
        self._quiet = None
        return "Templates learned"

    def _elapsed(self, text: str) -> str | None:
        if self.stage not in ("learn", "extract"):
            return None
        self._advance(1.0)
        self._quiet = None
        return f"{STAGE_TITLES[self.stage]}: pass finished"

    def _merged(self, text: str) -> str | None:
        if not self._at("merge_split", 0.0, "merge"):
            return None
        return "Merging clusters"

    def _split(self, text: str) -> str | None:
        match = _SPLIT.match(text)
        if match is None:
            return None
        splits, checked, total = (int(g) for g in match.groups())
        finished = text.startswith("Finished")
        share = _MERGE_SHARE + (1 - _MERGE_SHARE) * (1.0 if finished else checked / max(total, 1))
        if not self._at("merge_split", share, "split"):
            return None
        self.counter = (checked, total)
        self._quiet = None
        if finished:
            return f"Split clusters: {splits} splits, {total} clusters"
        return f"Splitting clusters: {checked} of {total} checked, {splits} splits"

    def _ks20(self, text: str) -> str | None:
        self.sorter_version = "2.0"
        return None if not self._at("preprocess", 0.0, "whitening") else "Preprocessing: finding good channels"

    _PREFIXES: tuple[tuple[str, Callable[[Tracker, str], str | None]], ...] = (
        ("Building with ", _building),
        ("MEX completed successfully.", _mex_done),
        (
            "Getting channel whitening matrix",
            _line_at("preprocess", 0.0, "Preprocessing: whitening", "whitening", quiet=(0.06, "whitening")),
        ),
        ("Channel-whitening matrix computed", _line_at("preprocess", 0.06, "Preprocessing: whitening", "whitening")),
        ("pitch is ", _line_at("drift", 0.0, "Drift correction: detecting spikes", "detect")),
        ("Finished learning templates", _learning_finished),
        ("Elapsed time is ", _elapsed),
        ("Number of spikes before applying cutoff", _line_at("extract", 1.0, "Spikes extracted")),
        ("initialized spike counts", _line_at("merge_split", 0.0, "Merging clusters", "merge", quiet=(0.27, "merge"))),
        ("merged ", _merged),
        ("Found ", _split),
        ("Finished splitting.", _split),
        ("Removing ", _line_at("merge_split", 0.97, "Removing spikes below the cutoff", "split", "below cutoff")),
        ("found ", _line_at("merge_split", 1.0, "Units labelled good or mua", "split", "good units")),
        ("Saving results to Phy", _line_at("export", 0.0, "Saving the phy folder", quiet=(0.55, "export"))),
        ("Saving final results in rez2", _line_at("export", 0.6, "Saving rez2.mat", quiet=(0.9, "export"))),
        ("Determining good channels", _ks20),
        ("kilosort.run_kilosort: Kilosort version 4", _ks4),
        ("Obtained ", _line_at("drift", 0.0, "Reordering batches", "detect", "PC waveforms")),
    )

    # --- moving forward --------------------------------------------------------------------------------------

    def _at(self, stage: str, stage_fraction: float, step: str = "") -> bool:
        """Enter `stage` (unless the sort is past it) and move it to at least `stage_fraction`; False when past."""
        if not self._enter(stage, step):
            return False
        self._advance(stage_fraction)
        return True

    def _enter(self, stage: str, step: str = "") -> bool:
        if _INDEX[stage] < _INDEX[self.stage]:
            return False
        if stage != self.stage:
            now = self._clock()
            if self.stage == "compile":
                self._finish_compiling(now)
            self.stage = stage
            self.step = ""
            self.counter = None
            self._stage_fraction = 0.0
            self._quiet = None
            self._batch_mark = None
            if _INDEX[stage] >= _INDEX["preprocess"] and self._work_started is None:
                self._work_started = (now, max(self._fraction, _BEFORE[stage]))
            if self.sorter_version is None and _INDEX[stage] >= _INDEX["preprocess"]:
                self.sorter_version = "2.5"
            self._update()
        if step:
            self.step = step
        return True

    def _advance(self, stage_fraction: float) -> None:
        self._stage_fraction = max(self._stage_fraction, min(stage_fraction, 1.0))
        self._update()

    def _update(self) -> None:
        overall = (
            1.0 if self.stage == "done" else _BEFORE[self.stage] + STAGE_WEIGHTS[self.stage] * self._stage_fraction
        )
        self._fraction = max(self._fraction, min(overall, 1.0))

    def _temp_file_share(self) -> float | None:
        """How much of the whitened temp file exists, once Kilosort has truncated it for this run."""
        if self._temp_file is None or self._temp_file_bytes <= 0 or self._filtering_wall is None:
            return None
        try:
            status = os.stat(self._temp_file)
        except OSError:
            return None
        if status.st_mtime < self._filtering_wall - 2:  # an earlier run's file, not yet truncated by this one
            return None
        return status.st_size / self._temp_file_bytes
