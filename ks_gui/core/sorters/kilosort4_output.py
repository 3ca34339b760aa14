"""How Kilosort 4's own output reads: its tqdm bars and the line that names its version.

Kilosort 4 prints a tqdm bar for spike detection over batches (drift, learn, extract) and for clustering over
centres (learn, merge_split); the driver's `[ks-gui] stage` markers say which stage a bar belongs to. Between two
updates of a bar (a batch can take half a minute on a CPU) the stage moves on in time at the bar's own pace so far.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ks_gui.core.sorters.stages import STAGE_TITLES, Quiet

if TYPE_CHECKING:
    from ks_gui.core.sorters.progress import Tracker

# Each update of a bar ends with \r, split into lines by lines.py, e.g. " 45%|####5     | 9/20 [00:08<…".
TQDM = re.compile(r"(\d+)%\|[^|]*\| (\d+)/(\d+) \[")
TQDM_SHARE = 0.95  # what a stage's bar reaching its end leaves for the rest of the stage
VERSION_LINE = "kilosort.run_kilosort: Kilosort version 4"
_BAR_STAGES = ("drift", "learn", "extract", "merge_split")


class Kilosort4Output:
    """Reads Kilosort 4's lines for a Tracker: `read` gives a detail when a line moved the sort, else None."""

    version = "4"

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._last: tuple[str, int, int, float] | None = None  # (stage, done, total, when) of the last bar update
        self._per_item: float | None = None  # seconds per batch or centre of the bar under way

    def read(self, text: str) -> str | None:
        if text[0].isdigit():
            return self._bar(text) if "%|" in text else None
        if text.startswith(VERSION_LINE):
            self.tracker.sorter_version = "4"
        return None

    def tick_share(self) -> float | None:
        """Kilosort 4 writes no file to follow while it is quiet."""
        return None

    def _bar(self, text: str) -> str | None:
        tracker = self.tracker
        match = TQDM.match(text)
        if match is None or tracker.stage not in _BAR_STAGES:
            return None
        done, total = int(match.group(2)), int(match.group(3))
        if total <= 0 or tracker.counter == (done, total):
            return None
        tracker.counter = (done, total)
        tracker.advance(self._share(done, total))
        self._pace(done, total)
        return f"{STAGE_TITLES[tracker.stage]}: {done} of {total}"

    def _fixed(self) -> float:
        return min(self.tracker.fixed_shares.get(self.tracker.stage, 0.0), 0.9)

    def _share(self, done: int, total: int) -> float:
        """The stage's fraction when its bar says `done` of `total`: the stage's fixed cost (universal templates,
        the first batch's warm-up: 8 s of a 17 s drift on two cores, where later batches take 1.3 s) is spent by the
        time the first item is done, the rest item by item."""
        fixed = self._fixed()
        return TQDM_SHARE * (fixed + (1 - fixed) * done / total) if done else 0.0

    def _pace(self, done: int, total: int) -> None:
        """Go on in time towards the bar's next item, at the seconds per item this bar has taken so far (the first
        item's time less the stage's fixed cost)."""
        tracker = self.tracker
        now = tracker.clock()
        last = self._last
        fixed = self._fixed()
        if last is None or last[0] != tracker.stage or last[2] != total or done <= last[1]:
            self._per_item = None  # a new bar: its pace is not known yet
        elif last[1] == 0:
            item = (1 - fixed) / total
            self._per_item = (now - last[3]) * item / (fixed + done * item)
        else:
            self._per_item = (now - last[3]) / (done - last[1])
        self._last = (tracker.stage, done, total, now)
        if self._per_item and done < total:
            tracker.quiet = Quiet(self._share(done, total), self._share(done + 1, total), now, self._per_item, True)
        elif done == 0 and total > 1 and tracker.predicted:
            # The first item carries the stage's fixed cost: go on towards it in time (at the predicted pace, stopping
            # short of it: the line that says 1 of n moves the stage there).
            first = self._share(1, total)
            seconds = tracker.predicted.get(tracker.stage, 0.0) * first / TQDM_SHARE
            # (Not for a later bar of the stage: clustering after detection.)
            if seconds > 0 and first > tracker.stage_fraction:
                spent = now - tracker.entered.get(tracker.stage, now)  # computing the universal templates
                low = max(tracker.stage_fraction, first * min(spent / seconds, 0.5))
                tracker.quiet = Quiet(low, first, now, max(seconds - spent, 1.0), known=True)
