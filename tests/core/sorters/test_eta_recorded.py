"""The ETA on real Kilosort 4 CPU sorts, replayed from their timed lines (tests/fixtures/logs/ks4_cpu_timed.json: two
pairs of a first sort on a fresh machine, then the same recording again, on a machine whose load came and went).
What a user sees:
"estimating…" until there is something to go on, then a number that is never negative, an end time that does not
swing back and forth, and the same words on every face. Behaviour only: how close the estimate comes is the bench's
business (tests/bench/eta.py)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest

from ks_gui.cli.terminal import bar_text
from ks_gui.core.ground.eta_text import ESTIMATING, done_at_text, left_text
from ks_gui.core.results import stage_times
from ks_gui.core.results.stage_times import SortKind, StageRecord
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.progress import ProgressEvent, Tracker

FIXTURE = Path(__file__).parents[2] / "fixtures" / "logs" / "ks4_cpu_timed.json"
KS4 = SORTERS["kilosort4"]
CPU = SortKind("kilosort4", "local", "cpu")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def recorded() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def replay(sort: dict, tracker_for) -> list[tuple[float, float, float | None, str]]:
    """(time, fraction, seconds left, stage) of every event, the lines fed at their times and a tick each second
    between them, as the launcher does."""
    clock = Clock(sort["tracker_made"])
    tracker: Tracker = tracker_for(clock)
    events = []
    for at, line in sort["lines"]:
        while clock.now + 1 < at:
            clock.now += 1
            if (event := tracker.tick()) is not None:
                events.append((clock.now, event.fraction, event.eta_seconds, event.stage))
        clock.now = at
        if (event := tracker.feed(line)) is not None:
            events.append((clock.now, event.fraction, event.eta_seconds, event.stage))
    return events


PAIRS = range(len(recorded()["pairs"]))


def first_sort(tmp_path: Path, pair: int):
    sort = recorded()["pairs"][pair][0]
    size = recorded()["size"]
    predicted, learned = stage_times.expected_seconds(KS4, CPU, size, tmp_path / "none.json")
    assert not learned
    predicted.pop("quality")  # recorded before the sorts had a quality stage

    def tracker_for(clock: Clock) -> Tracker:
        shares = stage_times.fixed_shares(KS4, CPU, size)
        return Tracker(clock=clock, sorter=KS4, predicted=predicted, fixed_shares=shares)

    return sort, replay(sort, tracker_for)


def second_sort(tmp_path: Path, pair: int):
    document = recorded()
    first, sort = document["pairs"][pair]
    path = tmp_path / "stage_times.json"
    stage_times.record(StageRecord(CPU, document["size"], first["stage_seconds"]), path)
    predicted, learned = stage_times.expected_seconds(KS4, CPU, document["size"], path)
    assert learned

    def tracker_for(clock: Clock) -> Tracker:
        shares = stage_times.fixed_shares(KS4, CPU, document["size"])
        return Tracker(clock=clock, sorter=KS4, predicted=predicted, learned=True, fixed_shares=shares)

    return sort, replay(sort, tracker_for)


def swings(events, band: float) -> int:
    """How often the end time turns back after moving by more than `band` seconds one way."""
    ends = [at + eta for at, _, eta, _ in events if eta is not None]
    moves, total = [], 0.0
    for a, b in itertools.pairwise(ends):
        total += b - a
        if abs(total) > band:
            moves.append(total > 0)
            total = 0.0
    return sum(1 for a, b in itertools.pairwise(moves) if a != b)


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("which", [first_sort, second_sort])
def test_recorded_sorts_never_say_a_negative_time_and_end_at_zero(which, pair: int, tmp_path: Path):
    _, events = which(tmp_path, pair)
    shown = [eta for _, _, eta, _ in events if eta is not None]
    assert shown and min(shown) >= 0
    assert events[-1][3] == "done" and events[-1][2] == 0.0
    fractions = [fraction for _, fraction, _, _ in events]
    assert fractions == sorted(fractions)


@pytest.mark.parametrize("pair", PAIRS)
def test_a_first_sort_says_estimating_until_the_sort_proper_has_gone_on_a_while(pair: int, tmp_path: Path):
    sort, events = first_sort(tmp_path, pair)
    assert events[0][2] is None and left_text(events[0][2]) == ESTIMATING
    first_number = next(i for i, event in enumerate(events) if event[2] is not None)
    # Not while Python and torch start (Kilosort's "Computing preprocessing variables" comes after that).
    assert events[first_number][3] not in ("start", "preprocess")
    started = next(at for at, line in sort["lines"] if line == "[ks-gui] stage preprocess")
    assert events[first_number][0] >= started + 5
    # Once a number, always a number.
    assert all(eta is not None for _, _, eta, _ in events[first_number:])


@pytest.mark.parametrize("pair", PAIRS)
def test_after_one_earlier_sort_a_number_comes_within_seconds(pair: int, tmp_path: Path):
    sort, events = second_sort(tmp_path, pair)
    first_number = next(event for event in events if event[2] is not None)
    assert first_number[0] < sort["tracker_made"] + 5


@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("which", [first_sort, second_sort])
def test_the_end_time_does_not_swing_back_and_forth(which, pair: int, tmp_path: Path):
    sort, events = which(tmp_path, pair)
    # Moves of the end time by more than a tenth of the run turn back at most once (pair 2's first sort: the cores
    # were busy elsewhere through drift, then free for learning: the end followed, later, then earlier).
    assert swings(events, 0.1 * sort["end"]) <= 1
    # and from one event to the next it moves a little, never a leap.
    ends = [at + eta for at, _, eta, _ in events if eta is not None]
    assert max(abs(b - a) for a, b in itertools.pairwise(ends)) < 0.15 * sort["end"]


def test_every_face_says_the_same_of_a_recorded_sort(tmp_path: Path):
    _, events = second_sort(tmp_path, 0)
    _, fraction, eta, stage = next(event for event in events if event[2] is not None and event[2] > 60)
    now = datetime(2026, 12, 4, 14, 0, 0)
    bar = bar_text(ProgressEvent(stage, 0.5, fraction, "Drift correction", eta), 30.0)
    assert bar.endswith(left_text(eta)) and "min left" in bar
    assert done_at_text(eta, now).startswith("done at about 14:0")


# Four sorts on an NVIDIA H200 (tests/bench/eta_gpu.py record): a first sort of each length, predicted from the GPU
# shape. Start-up is a third or more of each, so the estimate waits longest here.
GPU_FIXTURE = Path(__file__).parents[2] / "fixtures" / "logs" / "ks4_h200_timed.json"
GPU = SortKind("kilosort4", "local", "NVIDIA H200")
GPU_SORTS = json.loads(GPU_FIXTURE.read_text(encoding="utf-8"))["sorts"]


@pytest.mark.parametrize("sort", GPU_SORTS, ids=lambda sort: f"{sort['duration_s']:.0f}s")
def test_first_sorts_on_a_gpu_say_estimating_then_a_steady_number_that_ends_at_zero(sort: dict, tmp_path: Path):
    size = sort["duration_s"] * sort["channels"]
    predicted, learned = stage_times.expected_seconds(KS4, GPU, size, tmp_path / "none.json")
    assert not learned and predicted == KS4.shapes["gpu"].seconds(size)
    predicted.pop("quality")  # recorded before the sorts had a quality stage

    def tracker_for(clock: Clock) -> Tracker:
        shares = stage_times.fixed_shares(KS4, GPU, size)
        return Tracker(clock=clock, sorter=KS4, predicted=predicted, fixed_shares=shares)

    events = replay({**sort, "tracker_made": 0.0}, tracker_for)
    assert events[0][2] is None  # estimating… while Python, torch and CUDA start
    shown = [eta for _, _, eta, _ in events if eta is not None]
    assert shown and min(shown) >= 0
    assert events[-1][3] == "done" and events[-1][2] == 0.0
    assert swings(events, 0.1 * sort["seconds"]) == 0
