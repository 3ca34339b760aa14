"""Turn a sort's output, one line at a time, into stage and progress events.

The stage model follows docker/CONTRACT.md: the driver's `[ks-gui] stage` markers say where a sort is, and the
sorter's own lines say how far it is inside a stage. Each sorter's lines are read by its own reader
(kilosort25_output.py, kilosort4_output.py; the Sorter's `output_reader`); without a sorter, both read, so that a
log saved outside ks-gui, or pasted from a forum, is placed by Kilosort's lines alone.

Phases that print nothing for minutes (MATLAB's start, a mex compile, preprocessing's filter loop, shifting batches
on disk, merges) move forward on `tick()`: from what the reader follows (the temp file's growing size while
filtering), else by interpolating in time, from rates observed earlier in the same run where there are any.
Progress never goes backwards.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ks_gui.core.ground.contract import MARKER
from ks_gui.core.sorters.kilosort4_output import Kilosort4Output
from ks_gui.core.sorters.kilosort25_output import Kilosort25Output
from ks_gui.core.sorters.pasted_log import QUOTE_STARTS, clean_line
from ks_gui.core.sorters.stages import (
    GUESS_SECONDS,
    INDEX,
    STAGE_TITLES,
    STAGE_WEIGHTS,
    Quiet,
    before_from,
    weights_from,
)

if TYPE_CHECKING:
    from ks_gui.core.sorters.base import Sorter

__all__ = ["STAGE_TITLES", "STAGE_WEIGHTS", "OutputReader", "ProgressEvent", "Result", "Tracker"]

# The estimate's error while it stands: a new reading within this share of what is left does not move the end.
ETA_BAND = 0.1
_COMPILE_MARKER = re.compile(r"compile (\d+)/(\d+) (\S+)")
_RESULT_MARKER = re.compile(r"result units=(\d+) good=(\d+) spikes=(\d+)")
_QUALITY_STEP = re.compile(r"quality step (\d+)/(\d+) (\S+)")


class OutputReader(Protocol):
    """A sorter's own output, read for a Tracker (the driver's `[ks-gui]` markers are the Tracker's own)."""

    version: str  # the sorter_version a sort past its start is taken for when no line said otherwise

    def read(self, text: str) -> str | None:
        """A detail when the (stripped, non-empty) line moved the sort or said something new, else None."""
        ...

    def tick_share(self) -> float | None:
        """While the sorter is quiet: the stage fraction something the reader follows (a file's size) says."""
        ...


def _both(tracker: Tracker) -> tuple[OutputReader, ...]:
    return (Kilosort25Output(tracker), Kilosort4Output(tracker))


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


class Tracker:
    """Fed one output line at a time; knows the stage, the overall fraction and an ETA. Never goes backwards.

    `n_batches` is Kilosort's Nbatch when known before the first line (SortJob.n_batches); `temp_file` and
    `temp_file_bytes` let `tick()` follow preprocessing's filter loop by the whitened file's size. `sorter` (a Sorter
    or its name) picks the reader of its own lines; None reads Kilosort 2.5's and Kilosort 4's lines both.
    `predicted` is each stage's expected seconds (the sorter's shape on this kind of place, or this machine's earlier
    sorts of the kind: `learned`): the bar's stage weights follow it, and the ETA starts from it. `fixed_shares`
    says how much of each stage's time is a fixed cost, spent before its counters start to count.
    """

    def __init__(
        self,
        n_batches: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        temp_file: Path | None = None,
        temp_file_bytes: int = 0,
        stage: str = "start",
        sorter: Sorter | str | None = None,
        predicted: dict[str, float] | None = None,
        learned: bool = False,
        fixed_shares: dict[str, float] | None = None,
    ) -> None:
        self.n_batches = n_batches
        self.predicted = dict(predicted) if predicted and sum(predicted.values()) > 0 else None
        self.learned = learned and self.predicted is not None
        self.fixed_shares = fixed_shares or {}  # each stage's share of its time that does not grow with the recording
        self._weights = weights_from(self.predicted) if self.predicted else dict(STAGE_WEIGHTS)
        self._before = before_from(self._weights)
        self.clock = clock
        self._temp_file = temp_file
        self._temp_file_bytes = temp_file_bytes
        now = clock()
        self._started = now
        self.stage = stage if stage in INDEX else "start"
        self.step = ""
        self.counter: tuple[int, int] | None = None
        self.detail = STAGE_TITLES[self.stage]
        self._stage_fraction = 0.0
        self._fraction = self._before[self.stage]
        self.quiet: Quiet | None = None  # set by a line that leaves the sorter quiet for a while; tick() follows it
        if self.stage == "start":
            start = self.predicted.get("start", 0.0) if self.predicted else 0.0
            self.quiet = Quiet(0.0, 0.9, now, start or GUESS_SECONDS["start"], known=self.learned and start > 0)
        self.entered: dict[str, float] = {self.stage: now}  # when each stage began (stage_seconds)
        self._eta_end: tuple[float, float] | None = None  # (the end time shown, when it was last moved)
        self._given_end: float | None = None  # the end time the last event gave out (tick() says when it moved)
        self.recognised = False  # any line said where a sort is
        self.sorter_version: str | None = None  # "2.5", "4", or "2.0" / "3" when their own lines show up
        self.result: Result | None = None
        self.quality: str | None = None  # how the quality stage ended, in a sentence (never a failure of the sort)
        self.compiled: list[int] = []
        self.compiling: tuple[int, int, float] | None = None  # (file index, total, since) of the file compiling
        self._compile_seconds: list[float] = []
        self._previous = ""
        self._work_started: tuple[float, float] | None = None  # (time, fraction) when the sort proper began
        self._work_done_then = 0.0  # the predicted seconds before it (starting, compiling)
        self._readers = _readers(self, sorter)

    # --- reading ---------------------------------------------------------------------------------------------

    @property
    def fraction(self) -> float:
        return self._fraction

    @property
    def stage_fraction(self) -> float:
        return self._stage_fraction

    def eta_seconds(self) -> float | None:
        """Seconds left; None while there is not enough to go on ("estimating…"). The end time it implies moves
        smoothly: a new reading beyond the estimate's error pulls it along over a while, so it never jumps back and
        forth. Never negative."""
        if self.stage == "done":
            return 0.0
        now = self.clock()
        raw = self._raw_remaining(now)
        if raw is None:
            return None
        end = now + raw
        if self._eta_end is not None:
            shown, moved = self._eta_end
            # The shown end stays while the reading is within the estimate's own error of it (a tenth of what is
            # left: one batch slower than the last is no news), else follows it to that error's edge with a time
            # constant of a tenth of what is left (3 s to 1 min). So it moves steadily, not back and forth.
            pull = min(1.0, (now - moved) / min(max(0.1 * raw, 3.0), 60.0))
            gap, band = end - shown, ETA_BAND * raw
            gap = 0.0 if abs(gap) <= band else gap - band if gap > 0 else gap + band
            end = shown + gap * pull
        self._eta_end = (end, now)
        return max(end - now, 0.0)

    def _predicted_done(self) -> float:
        """The predicted seconds of the work done so far."""
        assert self.predicted is not None
        done = sum(self.predicted.get(s, 0.0) for s in self._before if INDEX[s] < INDEX[self.stage])
        return done + self.predicted.get(self.stage, 0.0) * self._stage_fraction

    def _raw_remaining(self, now: float) -> float | None:
        if self.predicted is None:
            return self._remaining_from_rate(now)
        predicted = self.predicted
        total = sum(predicted.values())
        done = self._predicted_done()
        # Starting Python and torch (or MATLAB) says little about how fast the sort proper goes: this run's speed is
        # measured from where the sort proper began.
        if self._work_started is None:
            if not self.learned or now - self._started < 3:
                return None
            since, done_then = self._started, 0.0
        else:
            since, done_then = self._work_started[0], self._work_done_then
        elapsed, work, rest = now - since, done - done_then, total - done_then
        # A prediction from this machine's own sorts weighs as much as this run's own speed once 30 % of the work is
        # done (a shared machine's load changes from one sort to the next: tests/bench/eta.py saw 738 s, then 495 s);
        # the sorter's shape measured elsewhere gives way to this run's own speed after a tenth of the work, and says
        # nothing ("estimating…") before: 5 s and a tenth of the work (the first batch's fixed cost counts as work).
        if self.learned:
            trust = 0.3 * rest
        else:
            if elapsed < 5 or work < 0.1 * rest:
                return None
            trust = 0.1 * rest
        weight = work / (work + trust) if work > 0 else 0.0
        speed = weight * elapsed / work + (1 - weight) if work > 0 else 1.0
        # The stage under way has taken at least as long as it has so far.
        in_stage = now - self.entered.get(self.stage, now)
        stage_left = max(predicted.get(self.stage, 0.0) * speed - in_stage, 0.0)
        later = sum(predicted.get(s, 0.0) for s in self._before if INDEX[s] > INDEX[self.stage])
        return max((total - done) * speed, stage_left + later * speed)

    def _remaining_from_rate(self, now: float) -> float | None:
        """Without a prediction: the rate observed since the sort proper began (MATLAB's start and the mex compile
        do not scale with the recording)."""
        if self._work_started is None:
            return None
        since, fraction_then = self._work_started
        elapsed = now - since
        gained = self._fraction - fraction_then
        if elapsed < 5 or gained < 0.01:
            return None
        return elapsed * (1 - self._fraction) / gained

    def stage_seconds(self) -> dict[str, float]:
        """How long each stage this run went through took (the last one up to now)."""
        order = sorted(self.entered.items(), key=lambda item: item[1])
        ends = [at for _, at in order[1:]] + [self.clock()]
        return {stage: end - at for (stage, at), end in zip(order, ends, strict=True) if stage != "done"}

    def event(self) -> ProgressEvent:
        """Where the sort is now."""
        eta = self.eta_seconds()
        self._given_end = None if eta is None else self.clock() + eta
        fraction = self._fraction
        return ProgressEvent(self.stage, self._stage_fraction, fraction, self.detail, eta, self.step, self.counter)

    def _estimate_moved(self) -> bool:
        """Whether the end time has moved from what the last event said by more than a wobble (2 s, or 2 % of what
        is left): a batch that takes longer than the ones before moves the estimate even though the bar stands."""
        eta = self.eta_seconds()
        if eta is None or self._given_end is None:
            return (eta is None) != (self._given_end is None)
        return abs(self.clock() + eta - self._given_end) > max(2.0, 0.02 * eta)

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
        before, stage_before = self._fraction, self._stage_fraction
        followed = None
        for reader in self._readers:
            if (followed := reader.tick_share()) is not None:
                break
        if followed is not None:
            self.advance(followed)
        elif self.quiet is not None:
            self.advance(self.quiet.at(self.clock()))
        # The stage's own bar moves too: a stage whose share of the whole is small (a short recording's filter loop
        # beside a long compile) still shows that it goes on.
        if self._fraction - before < 0.0005 and self._stage_fraction - stage_before < 0.005:
            return self.event() if self._estimate_moved() else None
        return self.event()

    # --- the lines -------------------------------------------------------------------------------------------

    def _read(self, text: str) -> str | None:
        if text[0] == "[":
            return self._marker(text[len(MARKER) :]) if text.startswith(MARKER) else None
        for reader in self._readers:
            if (detail := reader.read(text)) is not None:
                return detail
        return None

    def _marker(self, text: str) -> str | None:
        if text.startswith("stage "):
            name = text[6:].strip()
            if name not in INDEX or not self.enter(name):
                return None
            if name == "done":
                self.advance(1.0)
            return STAGE_TITLES[self.stage]
        if match := _COMPILE_MARKER.match(text):
            index, total, name = int(match.group(1)), int(match.group(2)), match.group(3)
            return self.compile_file(index, total, name)
        if text.startswith("quality "):
            return self._quality(text)
        if match := _RESULT_MARKER.match(text):
            self.result = Result(*(int(g) for g in match.groups()))
            self.at("export", 0.95)
            return f"{self.result.units} units, {self.result.good} good, {self.result.spikes} spikes"
        return None

    def _quality(self, text: str) -> str | None:
        """The quality stage's markers: its steps, then its labels or why it could not finish."""
        if match := _QUALITY_STEP.match(text):
            index, total = int(match.group(1)), int(match.group(2))
            if not self.at("quality", (index - 1) / max(total, 1)):
                return None
            self.counter = (index, total)
            return f"Quality metrics: {match.group(3).replace('_', ' ')} ({index} of {total})"
        if text.startswith("quality labels "):
            counts = [cell.partition("=") for cell in text[len("quality labels ") :].split()]
            self.quality = "Automatic labels: " + ", ".join(f"{n} {label}" for label, _, n in counts) + "."
            return self.quality
        if text.startswith("quality failed: "):
            self.quality = f"The quality metrics could not be computed: {text[len('quality failed: ') :].strip()}"
            return self.quality
        return None

    def compile_file(self, index: int, total: int, name: str) -> str | None:
        """Mex file `index` of `total` starts compiling (a driver's marker, or a reader counting mexcuda's lines)."""
        if not self.at("compile", (index - 1) / max(total, 1)):
            return None
        now = self.clock()
        self.finish_compiling(now)
        self.compiling = (index, total, now)
        self.counter = (index, total)
        seconds = (
            sum(self._compile_seconds) / len(self._compile_seconds)
            if self._compile_seconds
            else GUESS_SECONDS["compile_file"]
        )
        self.quiet = Quiet((index - 1) / total, index / total, now, seconds, known=bool(self._compile_seconds))
        return f"Compiling {name} ({index} of {total})"

    def finish_compiling(self, now: float) -> None:
        """The file compiling is done: its time tells how long the next ones take."""
        if self.compiling is not None:
            index, total, since = self.compiling
            if index not in self.compiled:
                self.compiled.append(index)
                self._compile_seconds.append(now - since)
            self.compiling = None
            if self.stage == "compile":
                self.advance(index / total)
                if self.predicted is not None:  # the files compiled so far say how long the rest take
                    self.predicted["compile"] = sum(self._compile_seconds) / len(self._compile_seconds) * total
                    self._share_the_rest("compile")

    # --- moving forward --------------------------------------------------------------------------------------

    def at(self, stage: str, stage_fraction: float, step: str = "") -> bool:
        """Enter `stage` (unless the sort is past it) and move it to at least `stage_fraction`; False when past."""
        if not self.enter(stage, step):
            return False
        self.advance(stage_fraction)
        return True

    def enter(self, stage: str, step: str = "") -> bool:
        """Move to `stage` (and `step` in it) unless the sort is past it; False when past."""
        if INDEX[stage] < INDEX[self.stage]:
            return False
        if stage != self.stage:
            now = self.clock()
            if self.stage == "compile":
                self.finish_compiling(now)
            self.stage = stage
            self.step = ""
            self.counter = None
            self._stage_fraction = 0.0
            self.quiet = None
            self.entered[stage] = now
            self._share_the_rest(stage)
            if INDEX[stage] >= INDEX["preprocess"] and self._work_started is None:
                self._work_started = (now, max(self._fraction, self._before[stage]))
                self._work_done_then = self._predicted_done() if self.predicted else 0.0
            if self.sorter_version is None and INDEX[stage] >= INDEX["preprocess"]:
                self.sorter_version = self._readers[0].version
            self._update()
        if step:
            self.step = step
        return True

    def _share_the_rest(self, stage: str) -> None:
        """With predicted times: what is left of the bar goes to what is left of `stage` (the one under way) and
        the stages after it, in proportion to their predicted times. A fixed cost that came out shorter than
        predicted (no mex file to compile: the image has them; or files that compile in a second, not 25) leaves
        the bar where it is, instead of jumping over its unspent share."""
        if self.predicted is None or stage == "done":
            return
        later = [s for s in self._weights if INDEX[s] > INDEX[stage] and s != "done"]
        done = self._stage_fraction if stage == self.stage else 0.0
        own = self.predicted.get(stage, 0.0) * (1.0 - done)
        rest = own + sum(self.predicted.get(s, 0.0) for s in later)
        if rest <= 0 or done >= 1.0:
            return
        left = 1.0 - self._fraction
        self._weights[stage] = left * own / rest / (1.0 - done)
        self._before[stage] = self._fraction - self._weights[stage] * done
        at = self._fraction + left * own / rest
        for s in later:
            self._before[s] = at
            self._weights[s] = left * self.predicted.get(s, 0.0) / rest
            at += self._weights[s]
        self._before["done"] = 1.0

    def advance(self, stage_fraction: float) -> None:
        self._stage_fraction = max(self._stage_fraction, min(stage_fraction, 1.0))
        self._update()

    def _update(self) -> None:
        overall = (
            1.0 if self.stage == "done" else self._before[self.stage] + self._weights[self.stage] * self._stage_fraction
        )
        self._fraction = max(self._fraction, min(overall, 1.0))

    def temp_file_share(self, since_wall: float | None) -> float | None:
        """How much of the temp file exists, once the sorter has truncated it for this run (`since_wall`: the
        wall-clock time it began writing it)."""
        if self._temp_file is None or self._temp_file_bytes <= 0 or since_wall is None:
            return None
        try:
            status = os.stat(self._temp_file)
        except OSError:
            return None
        if status.st_mtime < since_wall - 2:  # an earlier run's file, not yet truncated by this one
            return None
        return status.st_size / self._temp_file_bytes


def _readers(tracker: Tracker, sorter: Sorter | str | None) -> tuple[OutputReader, ...]:
    """The reader of the sorter's own lines; both Kilosorts' when the sorter is not known or has none."""
    if isinstance(sorter, str):
        from ks_gui.core.sorters import sorter_named  # here: the package's modules may come to import this one

        sorter = sorter_named(sorter)[0]
    if sorter is None or sorter.output_reader is None:
        return _both(tracker)
    return (sorter.output_reader(tracker),)
