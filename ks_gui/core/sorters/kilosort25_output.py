"""How Kilosort 2.5's own output reads (formats in reference/kilosort25_container.md §3c): mexcuda's compile lines,
preprocessing's "Time …" lines, the batch lines of drift detection, template learning and spike extraction, merges,
splits and the export. Kilosort 2.0's and Kilosort 3's own lines are recognised too, for logs pasted from a forum.

Phases that print nothing for minutes (preprocessing's filter loop, shifting batches on disk, merges) go on in
time from the rates seen earlier in the run, or from the whitened temp file's growing size while filtering.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ks_gui.core.ground.contract import MEX_FILES
from ks_gui.core.sorters.stages import GUESS_SECONDS, INDEX, STAGE_TITLES, Quiet

if TYPE_CHECKING:
    from ks_gui.core.sorters.progress import Tracker

# Shares inside a stage. Drift: detection, then shifting the batches on disk (reference weights 0.15 and 0.05).
DETECT_SHARE = 0.75
WHITENING_SHARE = 0.08  # preprocessing: the whitening matrix, then the filter loop that writes the temp file
MERGE_SHARE = 0.3  # merge_split: find_merges (no total known), then splitAllClusters
PRINT_EVERY = 100  # Kilosort prints a batch line when rem(k, 100) == 1
FILTER_PER_WHITENING = (
    30.0  # the filter loop takes about 30 times as long as the whitening matrix (aind#8: 66 s, 1963 s)
)

PREPROCESS_DONE = re.compile(r"Time\s*[\d.]+s\. Finished preprocessing (\d+) batches")
DETECT_BATCH = re.compile(r"[\d.]+ sec, (\d+) batches, \d+ spikes")
TEMPLATE_BATCH = re.compile(r"[\d.]+ sec, (\d+) / (\d+) batches, (\d+) units")
SHIFT_DONE = re.compile(r"time [\d.]+, (?:Shifted up/down|Skipped shifting) (\d+) batches")
SPLIT = re.compile(r"(?:Finished splitting\. )?Found (\d+) splits, checked (\d+)/(\d+) clusters")
# Kilosort 2.0 (clusterSingleBatches) and Kilosort 3 (template_learning, final_clustering): recognised, placed.
KS2_BATCHES = re.compile(r"time [\d.]+, (pre clustered|compared) (\d+) / (\d+) batches")
KS3_GROUP = re.compile(r"time [\d.]+, GROUP (\d+)/(\d+), units (\d+)")


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
) -> Callable[[Kilosort25Output, str], str | None]:
    """A line that puts the sort at `share` of `stage`; then quiet towards quiet[0], guessing quiet[1]'s time."""

    def handler(self: Kilosort25Output, text: str) -> str | None:
        tracker = self.tracker
        if (contains and contains not in text) or not tracker.at(stage, share, step):
            return None
        tracker.quiet = None
        if quiet is not None:
            high, guess = quiet
            tracker.quiet = Quiet(share, high, tracker.clock(), GUESS_SECONDS[guess], known=False)
        return detail

    return handler


class Kilosort25Output:
    """Reads Kilosort 2.5's lines for a Tracker: `read` gives a detail when a line moved the sort, else None."""

    version = "2.5"

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._learn_started = False  # the first "Optimizing templates" line
        self._learn_seen = False  # a learning batch line, or "Finished learning templates"
        self._whitening_since: float | None = None
        self._filtering_wall: float | None = None  # wall-clock time of "Loading raw data": the temp file's truncation
        self._detect_since: float | None = None
        self._batch_mark: _BatchMark | None = None

    def read(self, text: str) -> str | None:
        first = text[0]
        if first.isdigit():
            return None if "%|" in text else self._batch_line(text)  # a tqdm bar is Kilosort 4's
        if first == "T" and text.startswith("Time"):
            return self._time_line(text)
        if first == "t" and text.startswith("time "):
            return self._lower_time_line(text)
        for prefix, handler in self._PREFIXES:
            if text.startswith(prefix):
                return handler(self, text)
        return None

    def tick_share(self) -> float | None:
        """Preprocessing's filter loop: the stage share the whitened temp file's size says, once it is followed."""
        tracker = self.tracker
        if tracker.stage != "preprocess" or tracker.step != "filtering":
            return None
        share = tracker.temp_file_share(self._filtering_wall)
        return None if share is None else WHITENING_SHARE + (1 - WHITENING_SHARE) * min(share, 0.99)

    # --- mexcuda without the driver's markers ------------------------------------------------------------------

    def _building(self, text: str) -> str | None:
        # Count the files (reference §3a: 9 files, 2 lines each).
        tracker = self.tracker
        if tracker.compiling is not None or not tracker.enter("compile"):
            return None
        index = len(tracker.compiled) + 1
        total = len(MEX_FILES)
        name = f"{MEX_FILES[index - 1]}.cu" if index <= total else "a mex file"
        return tracker.compile_file(index, max(total, index), name)

    def _mex_done(self, text: str) -> str | None:
        tracker = self.tracker
        if tracker.compiling is None or tracker.stage != "compile":
            return None
        tracker.finish_compiling(tracker.clock())
        tracker.quiet = None
        return f"Compiled {len(tracker.compiled)} of {tracker.counter[1] if tracker.counter else len(MEX_FILES)}"

    # --- "Time …" and "time …" lines ---------------------------------------------------------------------------

    def _time_line(self, text: str) -> str | None:
        tracker = self.tracker
        if "Optimizing templates" in text:
            # Same text twice: template learning first, spike extraction second.
            if INDEX[tracker.stage] < INDEX["learn"] or (tracker.stage == "learn" and not self._learn_started):
                tracker.enter("learn")
                self._learn_started = True
            elif tracker.stage == "learn" and self._learn_seen:
                tracker.enter("extract")
            else:
                return None
            tracker.counter = None
            return STAGE_TITLES[tracker.stage]
        if match := PREPROCESS_DONE.match(text):
            tracker.n_batches = int(match.group(1))
            if not tracker.at("preprocess", 1.0, "filtering"):
                return None
            tracker.quiet = None
            return f"Preprocessed {tracker.n_batches} batches"
        if "Computing whitening matrix" in text:
            if not tracker.at("preprocess", 0.0, "whitening"):
                return None
            self._whitening_since = tracker.clock()
            tracker.quiet = Quiet(0.0, WHITENING_SHARE, self._whitening_since, GUESS_SECONDS["whitening"], False)
            return "Preprocessing: computing the whitening matrix"
        if "Loading raw data and applying filters" in text:
            if not tracker.at("preprocess", WHITENING_SHARE, "filtering"):
                return None
            now = tracker.clock()
            self._filtering_wall = time.time()
            whitening = now - self._whitening_since if self._whitening_since is not None else 0.0
            seconds = max(FILTER_PER_WHITENING * whitening, 60.0)
            tracker.quiet = Quiet(WHITENING_SHARE, 1.0, now, seconds, known=False)
            return "Preprocessing: filtering and whitening the data"
        return None

    def _lower_time_line(self, text: str) -> str | None:
        tracker = self.tracker
        if match := SHIFT_DONE.match(text):
            if not tracker.at("drift", 1.0, "shift"):
                return None
            tracker.quiet = None
            return "Drift corrected"
        if match := KS3_GROUP.match(text):
            tracker.sorter_version = "3"
            group, total = int(match.group(1)), int(match.group(2))
            stage = "learn" if INDEX[tracker.stage] < INDEX["extract"] else "merge_split"
            if not tracker.at(stage, group / max(total, 1)):
                return None
            tracker.counter = (group, total)
            return f"{STAGE_TITLES[stage]}: group {group} of {total}, {match.group(3)} units"
        if match := KS2_BATCHES.match(text):
            tracker.sorter_version = "2.0"
            batch, total = int(match.group(2)), int(match.group(3))
            clustering = match.group(1) == "pre clustered"
            share = DETECT_SHARE * batch / total if clustering else DETECT_SHARE + (1 - DETECT_SHARE) * batch / total
            if not tracker.at("drift", share, "detect" if clustering else "shift"):
                return None
            tracker.counter = (batch, total)
            return f"Reordering batches: {match.group(1)} {batch} of {total}"
        return None

    # --- batch lines -------------------------------------------------------------------------------------------

    def _batch_line(self, text: str) -> str | None:
        tracker = self.tracker
        if " / " in text:
            match = TEMPLATE_BATCH.match(text)
            if match is None:
                return None
            batch, total, units = int(match.group(1)), int(match.group(2)), int(match.group(3))
            # learnTemplates prints "merges:", trackAndSort does not: that places a log that starts mid-run.
            stage = "learn" if "merges:" in text else "extract"
            if stage == "learn":
                self._learn_started = self._learn_seen = True
            if tracker.sorter_version is None and stage == "learn":
                tracker.sorter_version = "2.5" if text.count(",") >= 8 else "2.0"  # v2.5 prints 3 merges numbers
            if not tracker.at(stage, batch / max(total, 1)):
                return None
            tracker.n_batches = total
            tracker.counter = (batch, total)
            self._after_batch(stage, batch, total, lambda k: k / total)
            return f"{STAGE_TITLES[stage]}: batch {batch} of {total}, {units} units"
        match = DETECT_BATCH.match(text)
        if match is None:
            return None
        batch = int(match.group(1))
        total = tracker.n_batches or 0  # 0 when unknown, as None was: both falsy below
        if not tracker.enter("drift", "detect"):
            return None
        if self._detect_since is None:
            self._detect_since = tracker.clock()
        if total:
            total = max(total, batch)
            tracker.advance(DETECT_SHARE * batch / total)
            tracker.counter = (batch, total)
            self._after_batch("drift", batch, total, lambda k: DETECT_SHARE * k / total)
            if batch >= total:  # detection done; shift_batch_on_disk2 prints nothing until "Shifted up/down"
                detect_seconds = tracker.clock() - self._detect_since
                tracker.quiet = Quiet(DETECT_SHARE, 1.0, tracker.clock(), max(detect_seconds / 3, 1.0), known=True)
        return f"Detecting spikes for drift: batch {batch} of {total or '?'}"

    def _after_batch(self, kind: str, batch: int, total: int, share_at: Callable[[int], float]) -> None:
        """Interpolate towards the next printed batch at the rate observed between the last two batch lines.

        `kind` is the stage the batch line put the sort in; stages only move forward, so a mark left from an
        earlier stage never matches again."""
        tracker = self.tracker
        now = tracker.clock()
        mark = self._batch_mark
        self._batch_mark = _BatchMark(kind, batch, now)
        next_batch = min(batch + PRINT_EVERY, total)
        if mark is None or mark.kind != kind or batch <= mark.batch or next_batch <= batch:
            tracker.quiet = None
            return
        per_batch = (now - mark.at) / (batch - mark.batch)
        tracker.quiet = Quiet(share_at(batch), share_at(next_batch), now, per_batch * (next_batch - batch), True)

    # --- the other lines ---------------------------------------------------------------------------------------

    def _learning_finished(self, text: str) -> str | None:
        tracker = self.tracker
        if not tracker.at("learn", 1.0):
            return None
        self._learn_seen = True
        tracker.quiet = None
        return "Templates learned"

    def _elapsed(self, text: str) -> str | None:
        tracker = self.tracker
        if tracker.stage not in ("learn", "extract"):
            return None
        tracker.advance(1.0)
        tracker.quiet = None
        return f"{STAGE_TITLES[tracker.stage]}: pass finished"

    def _merged(self, text: str) -> str | None:
        if not self.tracker.at("merge_split", 0.0, "merge"):
            return None
        return "Merging clusters"

    def _split(self, text: str) -> str | None:
        tracker = self.tracker
        match = SPLIT.match(text)
        if match is None:
            return None
        splits, checked, total = (int(g) for g in match.groups())
        finished = text.startswith("Finished")
        share = MERGE_SHARE + (1 - MERGE_SHARE) * (1.0 if finished else checked / max(total, 1))
        if not tracker.at("merge_split", share, "split"):
            return None
        tracker.counter = (checked, total)
        tracker.quiet = None
        if finished:
            return f"Split clusters: {splits} splits, {total} clusters"
        return f"Splitting clusters: {checked} of {total} checked, {splits} splits"

    def _ks20(self, text: str) -> str | None:
        tracker = self.tracker
        tracker.sorter_version = "2.0"
        return None if not tracker.at("preprocess", 0.0, "whitening") else "Preprocessing: finding good channels"

    _PREFIXES: tuple[tuple[str, Callable[[Kilosort25Output, str], str | None]], ...] = (
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
        ("Obtained ", _line_at("drift", 0.0, "Reordering batches", "detect", "PC waveforms")),
    )
