"""The ETA: each finished sort's stage times kept on this machine and used for the next sort of its kind, the
estimate withheld until it means something, never negative, moving steadily; one wording for every face."""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime
from pathlib import Path

import pytest

from ks_gui.cli.terminal import bar_text
from ks_gui.core.ground.eta_text import ESTIMATING, done_at_text, left_text, starts_at_text, still_running_text
from ks_gui.core.ground.locations import stage_times_file
from ks_gui.core.results import stage_times
from ks_gui.core.results.phy_folder import SORT_FILES
from ks_gui.core.results.stage_times import SortKind, StageRecord
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.progress import ProgressEvent, Tracker
from tests.core.spine.test_run_loop import job, run_on, stages_and_result  # noqa: F401  (job is a fixture)
from tests.helpers.replay import Script

KS4 = SORTERS["kilosort4"]
CPU = SortKind("kilosort4", "local", "cpu")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def simulated_run(tracker: Tracker, clock: Clock, seconds: dict[str, float], jitter: float = 0.0, seed: int = 1):
    """Walk a Kilosort 4 sort through its stages and tqdm bars: each stage taking `seconds[stage]`, each batch's
    time off by up to `jitter`. Yields (time, eta) after every line and every quiet second."""
    rng = random.Random(seed)
    for stage in ("start", "preprocess", "drift", "learn", "extract", "merge_split", "export"):
        tracker.feed(f"[ks-gui] stage {stage}")
        steps = 10
        for i in range(1, steps + 1):
            step = seconds[stage] / steps * (1 + rng.uniform(-jitter, jitter))
            for _ in range(int(step)):
                clock.now += 1
                tracker.tick()
                yield clock.now, tracker.eta_seconds()
            clock.now += step - int(step)
            tracker.feed(f"{i * 10}%|####      | {i}/{steps} [00:01<00:01, 1.00it/s]")
            yield clock.now, tracker.eta_seconds()
    tracker.feed("[ks-gui] stage done")


SHAPE = {"start": 20, "compile": 0, "preprocess": 5, "drift": 60, "learn": 80, "extract": 40, "merge_split": 15}
SHAPE["export"] = 5


def test_a_first_sort_says_estimating_at_first_then_a_number_that_is_never_negative():
    clock = Clock()
    predicted = KS4.shapes["cpu"].seconds(960)
    tracker = Tracker(clock=clock, sorter=KS4, predicted=predicted)
    # The real run takes twice what the shape says: the estimate must catch up without going below zero.
    slower = {stage: 2 * t for stage, t in predicted.items()}
    etas = [eta for _, eta in simulated_run(tracker, clock, slower)]
    assert etas[0] is None and left_text(etas[0]) == ESTIMATING
    shown = [eta for eta in etas if eta is not None]
    assert shown and min(shown) >= 0
    assert tracker.eta_seconds() == 0.0


def test_estimates_move_steadily_even_when_batches_take_uneven_times():
    clock = Clock()
    tracker = Tracker(clock=clock, sorter=KS4, predicted=dict(SHAPE), learned=True)
    trace = [(t, eta) for t, eta in simulated_run(tracker, clock, SHAPE, jitter=0.6, seed=3) if eta is not None]
    ends = [t + eta for t, eta in trace]
    total = sum(SHAPE.values())
    # From one reading to the next (a second apart at most) the end time moves by a few percent of the run at most.
    assert max(abs(b - a) for a, b in itertools.pairwise(ends)) < 0.05 * total
    # and it does not swing back and forth: few changes of direction beyond a second.
    moves = [b - a for a, b in itertools.pairwise(ends) if abs(b - a) > 1.0]
    turns = sum(1 for a, b in itertools.pairwise(moves) if (a > 0) != (b > 0))
    assert turns <= 6, moves


def test_a_finished_sort_keeps_its_stage_times_and_the_next_of_its_kind_starts_from_them(job):  # noqa: F811
    assert not stage_times_file().exists()
    run, _ = run_on(job, Script(stages_and_result(), writes={name: b"" for name in SORT_FILES}))
    assert not run.tracker.learned  # a fresh machine: the sorter's own shape
    assert list(run.events())[-1].succeeded
    (kept,) = json.loads(stage_times_file().read_text())["records"]
    assert kept["kind"] == {"sorter": "kilosort2.5", "place": "docker", "device": "cpu"}
    assert kept["size"] == pytest.approx(4 * 32)  # 4 s x 32 channels
    assert set(kept["seconds"]) >= {"start", "preprocess", "drift", "learn", "extract", "merge_split", "export"}
    assert all(seconds >= 0 for seconds in kept["seconds"].values())
    job.output = job.output.with_name("out2")
    again, _ = run_on(job, Script(stages_and_result(), writes={name: b"" for name in SORT_FILES}))
    assert again.tracker.learned


def test_a_failed_sort_teaches_nothing(job):  # noqa: F811
    run, _ = run_on(job, Script(stages_and_result()[:4], exit_code=1))
    assert not list(run.events())[-1].succeeded
    assert not stage_times_file().exists()


def test_predictions_scale_the_growing_part_with_the_recording_and_keep_the_fixed_costs(tmp_path: Path):
    path = tmp_path / "stage_times.json"
    times = {"start": 10.0, "drift": 50.0, "learn": 100.0, "unknown_step": 7.0}
    stage_times.record(StageRecord(CPU, 1000.0, times), path)
    same, learned = stage_times.expected_seconds(KS4, CPU, 1000.0, path)
    assert learned and same == pytest.approx(times)  # the same recording again: what it took
    predicted, _ = stage_times.expected_seconds(KS4, CPU, 3000.0, path)
    assert predicted["start"] == 10.0  # starting Python and torch does not grow with the recording
    # A stage's fixed part (universal templates, the first batch) is not tripled with the recording; its batches are.
    assert 50.0 * 1.5 < predicted["drift"] < 50.0 * 3 and 100.0 * 1.5 < predicted["learn"] < 100.0 * 3
    assert predicted["unknown_step"] == pytest.approx(21.0)  # a stage the shape does not know: in proportion
    shorter, _ = stage_times.expected_seconds(KS4, CPU, 100.0, path)
    assert shorter["drift"] > 50.0 / 10 and shorter["start"] == 10.0
    # Another GPU, another kind: the sorter's measured shape for a GPU, not this CPU's times.
    other, learned = stage_times.expected_seconds(KS4, SortKind("kilosort4", "local", "NVIDIA H200"), 3000.0, path)
    assert not learned and other == KS4.shapes["gpu"].seconds(3000.0)


def test_an_unreadable_store_only_means_no_earlier_sorts(tmp_path: Path):
    path = tmp_path / "stage_times.json"
    path.write_text("{not json")
    assert stage_times.load(path) == [] and stage_times.predict(CPU, 100.0, path) is None
    stage_times.record(StageRecord(CPU, 100.0, {"drift": 5.0}), path)
    assert len(stage_times.load(path)) == 1


def test_every_face_words_the_time_left_the_same_way():
    assert left_text(None) == ESTIMATING == done_at_text(None)
    assert left_text(12 * 60 + 20) == "about 12 min left"
    assert left_text(80 * 60) == "about 1 h 20 min left"
    assert left_text(-3) == "almost done"
    assert done_at_text(23 * 60, datetime(2026, 12, 4, 14, 13, 0)) == "done at about 14:35"
    # A waiting sort's start in the queue list, worded as an end is.
    assert starts_at_text(23 * 60, datetime(2026, 12, 4, 14, 13, 0)) == "starts at about 14:35"
    assert starts_at_text(3 * 3600, datetime(2026, 12, 4, 23, 0, 0)) == "starts at about Sat 02:00"
    event = ProgressEvent("drift", 0.3, 0.4, "Drift correction: 3 of 10", 12 * 60 + 20)
    assert bar_text(event, 65.0).endswith("· 1:05 · about 12 min left")
    assert bar_text(ProgressEvent("start", 0.1, 0.01, "Starting", None), 3.0).endswith(ESTIMATING)
    # A notification lists the sorts still running in the queue list's words.
    now = datetime(2026, 12, 4, 14, 13, 0)
    running = [("rec_b", 23 * 60), ("rec_c", None)]
    assert still_running_text(running, 2, now) == (
        f"Still running: rec_b: done at about 14:35; rec_c: {ESTIMATING}. 2 waiting."
    )
    assert still_running_text([], 0, now) == ""


def test_between_two_updates_of_a_kilosort4_bar_the_stage_moves_on_at_the_bar_s_pace():
    clock = Clock()
    tracker = Tracker(clock=clock, sorter=KS4, predicted=dict(SHAPE), learned=True)
    tracker.feed("[ks-gui] stage drift")
    for done in (1, 2):
        clock.now += 20
        tracker.feed(f"{done * 10}%|#         | {done}/10 [00:20<03:00, 20.00s/it]")
    at_update = tracker.stage_fraction
    seen = []
    for _ in range(30):  # the third batch is slow: the stage goes on, but never past where batch 3's line puts it
        clock.now += 1
        tracker.tick()
        seen.append(tracker.stage_fraction)
    assert seen == sorted(seen) and seen[9] > at_update
    assert seen[-1] < 0.95 * 3 / 10
    tracker.feed("30%|###       | 3/10 [01:30<03:00, 20.00s/it]")
    assert tracker.stage_fraction == pytest.approx(0.95 * 3 / 10)


def test_a_batch_slower_than_the_ones_before_moves_the_estimate_while_the_bar_stands():
    clock = Clock()
    tracker = Tracker(clock=clock, sorter=KS4, predicted=dict(SHAPE), learned=True)
    for stage in ("start", "preprocess", "drift"):
        tracker.feed(f"[ks-gui] stage {stage}")
        clock.now += SHAPE[stage]
    for done in (1, 2):
        clock.now += 6
        tracker.feed(f"{done * 10}%|#         | {done}/10 [00:06<00:48, 6.00s/it]")
    ends = []
    for _ in range(120):  # the third batch takes two minutes (another program took the cores)
        clock.now += 1
        if (event := tracker.tick()) is not None:
            ends.append((clock.now, event.fraction, clock.now + event.eta_seconds))
    standing = [(t, end) for t, fraction, end in ends if fraction == ends[-1][1]]
    assert len(standing) >= 3  # the bar stands still, yet events keep coming: the estimate moves
    assert standing[-1][1] > standing[0][1] + 30  # later and later


@pytest.mark.parametrize("seconds", [4.0, 3600.0])
@pytest.mark.parametrize("compile_files", [0, 9])
def test_a_short_or_long_kilosort25_recording_moves_through_every_stage_with_or_without_a_compile(
    seconds: float, compile_files: int, tmp_path: Path
):
    """The stand-in's recording is 4 s: before, the predicted compile (225 s, fixed) left the sort proper 0.1 % of
    the bar, so it jumped to 99.9 % at preprocessing, and stood there."""
    from tests.helpers.ks25_log import ks25_run

    ks25 = SORTERS["kilosort2.5"]
    kind = SortKind("kilosort2.5", "docker", "cpu")
    predicted, _ = stage_times.expected_seconds(ks25, kind, seconds * 32, tmp_path / "none")
    clock = Clock()
    tracker = Tracker(clock=clock, sorter=ks25, predicted=predicted)
    at_entry = {}
    for line in ks25_run(n_batches=max(1, int(seconds * 30000 / 65536)), units=20, compile_files=compile_files):
        clock.now += 0.5
        tracker.feed(line)
        at_entry.setdefault(tracker.stage, tracker.fraction)
    order = ["preprocess", "drift", "learn", "extract", "merge_split", "export"]
    assert at_entry["preprocess"] < 0.9
    # The image has its mex files, or they compile in a second each (not the 25 s predicted): the predicted
    # compile's share is not jumped over.
    assert at_entry["preprocess"] < 0.5
    # Each stage of the sort proper has a visible share of the bar.
    shares = [at_entry[b] - at_entry[a] for a, b in itertools.pairwise([*order, "done"])]
    assert all(share > 0.01 for share in shares), shares
    assert tracker.fraction == 1.0


def test_a_kilosort4_bar_s_first_batch_carries_the_stage_s_fixed_cost():
    clock = Clock()
    tracker = Tracker(clock=clock, sorter=KS4, predicted=dict(SHAPE), learned=True, fixed_shares={"drift": 0.5})
    tracker.feed("[ks-gui] stage drift")
    clock.now += 3  # computing the universal templates
    tracker.feed("0%|          | 0/5 [00:00<?, ?it/s]")
    seen = []
    for _ in range(40):  # the first batch's warm-up: the stage goes on in time, not past where 1 of 5 puts it
        clock.now += 1
        tracker.tick()
        seen.append(tracker.stage_fraction)
    assert seen == sorted(seen) and 0 < seen[5] < seen[-1] < 0.95 * 0.6
    tracker.feed("20%|##        | 1/5 [00:40<02:40, 40.00s/it]")
    assert tracker.stage_fraction == pytest.approx(0.95 * (0.5 + 0.5 / 5))  # half the stage is its fixed cost
    clock.now += 6
    tracker.feed("40%|####      | 2/5 [00:46<00:40, 20.00s/it]")
    assert tracker.stage_fraction == pytest.approx(0.95 * (0.5 + 0.5 * 2 / 5))
