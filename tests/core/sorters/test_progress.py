import os
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ks_gui.core.sorters.progress import STAGE_WEIGHTS, Result, Tracker
from tests.conftest import FIXTURES
from tests.helpers.ks25_log import ks25_run

# A Kilosort 2.5 run as the driver prints it: markers plus Kilosort's own lines (formats from
# reference/kilosort25_container.md §3c; the drift lines' numbers are from AllenNeuralDynamics/aind-ephys-pipeline#8).
RUN = """\
MATLAB is selecting SOFTWARE OPENGL rendering.
[ks-gui] stage start
[ks-gui] stage compile
[ks-gui] compile 1/9 spikedetector3.cu
Building with 'NVIDIA CUDA Compiler'.
MEX completed successfully.
[ks-gui] compile 2/9 mexThSpkPC.cu
Building with 'NVIDIA CUDA Compiler'.
MEX completed successfully.
Looking for data inside /data/rec
[ks-gui] stage preprocess
Time   0s. Computing whitening matrix..
Getting channel whitening matrix...
Channel-whitening matrix computed.
Time  66s. Loading raw data and applying filters...
Time 2029s. Finished preprocessing 201 batches.
[ks-gui] stage drift
pitch is 20 um
0.56 sec, 1 batches, 10000 spikes
40.33 sec, 101 batches, 1000448 spikes
80.10 sec, 201 batches, 2000448 spikes
time 90.11, Shifted up/down 201 batches.
[ks-gui] stage learn
Time  91s. Optimizing templates ...
92.01 sec, 1 / 201 batches, 96 units, nspks: 0.0000, mu: 10.0000, nst0: 0, merges: 0.0000, 0.0000, 0.0000
150.55 sec, 101 / 201 batches, 301 units, nspks: 2120.3000, mu: 12.1000, nst0: 1201, merges: 2.0000, 1.0000, 0.0000
Elapsed time is 210.903635 seconds.
Finished learning templates
Time 211s. Optimizing templates ...
212.20 sec, 1 / 201 batches, 310 units, nspks: 1500.1000, mu: 11.5000, nst0: 900
260.31 sec, 201 / 201 batches, 310 units, nspks: 1700.9000, mu: 11.5000, nst0: 1000
Elapsed time is 262.100000 seconds.
Number of spikes before applying cutoff: 1523467
[ks-gui] stage merge_split
initialized spike counts
merged 12 into 40
Found 0 splits, checked 1/298 clusters, nccg 0
Found 23 splits, checked 101/321 clusters, nccg 11
Finished splitting. Found 40 splits, checked 338/338 clusters, nccg 20
Removing 1203 spikes below cutoff from rez.
found 152 good units
[ks-gui] stage export
Saving results to Phy
Saving final results in rez2
[ks-gui] result units=338 good=152 spikes=1522264
[ks-gui] stage done
"""


def feed_all(tracker: Tracker, text: str):
    return [event for line in text.splitlines() if (event := tracker.feed(line)) is not None]


def test_stages_in_order_and_never_backwards():
    tracker = Tracker(n_batches=201)
    events = feed_all(tracker, RUN)
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["start", "compile", "preprocess", "drift", "learn", "extract", "merge_split", "export", "done"]
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert tracker.result == Result(units=338, good=152, spikes=1522264)


def test_the_second_optimizing_line_starts_extraction():
    tracker = Tracker()
    feed_all(tracker, RUN.split("Finished learning templates")[0])
    assert tracker.stage == "learn"
    event = tracker.feed("Time 211s. Optimizing templates ...")
    assert event.stage == "extract" and event.stage_title == "Extracting spikes"


def test_batch_lines_move_the_stage_forward():
    tracker = Tracker(n_batches=201)
    feed_all(tracker, RUN.split("40.33 sec")[0])
    before = tracker.fraction
    event = tracker.feed("40.33 sec, 101 batches, 1000448 spikes ")
    assert event.stage == "drift"
    assert event.detail == "Detecting spikes for drift: batch 101 of 201"
    assert event.fraction > before


def test_batch_count_learned_from_preprocessing():
    tracker = Tracker()
    tracker.feed("Time 2029s. Finished preprocessing 3737 batches. ")
    assert tracker.n_batches == 3737


def test_compile_progress_counts_files():
    tracker = Tracker()
    event = tracker.feed("[ks-gui] compile 4/9 mexMPnu8.cu")
    assert event.detail == "Compiling mexMPnu8.cu (4 of 9)"
    tracker.feed("MEX completed successfully.")
    assert tracker.feed("[ks-gui] compile 5/9 mexSVDsmall2.cu").stage_fraction == 4 / 9


def test_quoted_and_unrelated_lines_are_ignored():
    tracker = Tracker()
    assert tracker.feed("Warning: X does not support locale C.UTF-8") is None
    assert tracker.feed("[ks-gui] stage nonsense") is None
    assert tracker.fraction == 0.0


STAGE_ORDER = ["start", "compile", "preprocess", "drift", "learn", "extract", "merge_split", "export", "done"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_full_synthesised_run_with_realistic_batch_counts():
    tracker = Tracker(n_batches=1650)
    events = feed_all(tracker, "\n".join(ks25_run(1650)))
    assert list(dict.fromkeys(e.stage for e in events)) == STAGE_ORDER
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert tracker.sorter_version == "2.5"
    assert tracker.compiled == list(range(1, 10))
    # Every batch line Kilosort prints moves its stage on: 17 detector lines, 17 learning, 17 extraction.
    assert sum(e.detail.startswith("Detecting spikes for drift") for e in events) == 18
    assert sum(e.detail.startswith("Learning templates: batch") for e in events) == 17
    assert sum(e.detail.startswith("Extracting spikes: batch") for e in events) == 17


def test_a_run_without_markers_is_placed_by_kilosorts_own_lines():
    tracker = Tracker()
    events = feed_all(tracker, "\n".join(ks25_run(400, markers=False)))
    assert list(dict.fromkeys(e.stage for e in events)) == STAGE_ORDER[1:-1]
    assert tracker.n_batches == 400
    assert 0.95 < tracker.fraction < 1.0  # without the result marker the export is never known to be finished


def test_progress_inside_stages_follows_the_batches():
    tracker = Tracker(n_batches=1650)
    lines = ks25_run(1650)
    half = next(i for i, line in enumerate(lines) if line.startswith("1701.00 sec, 801 / 1650 batches"))
    feed_all(tracker, "\n".join(lines[: half + 1]))
    assert tracker.stage == "learn"
    assert abs(tracker.stage_fraction - 801 / 1650) < 1e-9
    before = sum(STAGE_WEIGHTS[s] for s in STAGE_ORDER[:4])
    assert abs(tracker.fraction - (before + STAGE_WEIGHTS["learn"] * 801 / 1650)) < 1e-9


def test_n_batches_known_before_the_first_line_places_the_detector():
    tracker = Tracker(n_batches=2336)
    tracker.feed("[ks-gui] stage drift")
    event = tracker.feed("1001.00 sec, 1001 batches, 3000 spikes ")
    assert event.detail == "Detecting spikes for drift: batch 1001 of 2336" and event.counter == (1001, 2336)


def test_the_split_loops_growing_cluster_count_never_moves_back():
    tracker = Tracker()
    tracker.feed("initialized spike counts")
    a = tracker.feed("Found 10 splits, checked 101/300 clusters, nccg 5 ")
    b = tracker.feed("Found 30 splits, checked 201/330 clusters, nccg 9 ")
    c = tracker.feed("Found 31 splits, checked 301/420 clusters, nccg 9 ")  # many splits: the total grew fast
    assert a.stage == "merge_split" and a.step == "split" and c.counter == (301, 420)
    assert a.fraction < b.fraction <= c.fraction
    done = tracker.feed("Finished splitting. Found 40 splits, checked 430/430 clusters, nccg 20 ")
    assert done.stage_fraction == 1.0


def test_doubled_lines_from_a_wrapper_do_not_skip_learning():
    once, twice = Tracker(), Tracker()
    lines = ks25_run(300, markers=False)
    feed_all(once, "\n".join(lines))
    doubled = [line for line in lines for _ in range(2)]
    events = feed_all(twice, "\n".join(doubled))
    assert twice.fraction == once.fraction and twice.stage == once.stage
    learn_events = [e for e in events if e.stage == "learn"]
    assert learn_events and learn_events[-1].stage_fraction == 1.0


def test_crlf_and_forum_quoting_read_like_the_plain_log():
    plain, quoted = Tracker(), Tracker()
    lines = ks25_run(500)
    feed_all(plain, "\n".join(lines))
    for line in lines:
        quoted.feed(f"> {line}\r\n")
    assert (quoted.stage, quoted.fraction, quoted.result) == (plain.stage, plain.fraction, plain.result)


def test_a_log_that_starts_mid_run():
    tracker = Tracker()
    event = tracker.feed("2212.20 sec, 1201 / 1650 batches, 310 units, nspks: 1500.1000, mu: 11.5000, nst0: 900 ")
    assert event.stage == "extract" and event.counter == (1201, 1650)
    assert (
        tracker.feed("1702.00 sec, 801 / 1650 batches, 300 units, nspks: 1.0, mu: 1.0, nst0: 1, merges: 1, 0, 0 ")
        is None
    )
    tracker2 = Tracker()
    assert tracker2.feed("150.55 sec, 101 / 201 batches, 301 units, nspks: 2120.3000, mu: 12.1000, nst0: 1201, "
                         "merges: 2.0000, 1.0000, 0.0000 ").stage == "learn"  # fmt: skip
    # after learning, the next "Optimizing templates" line is extraction
    assert tracker2.feed("Time 211s. Optimizing templates ...").stage == "extract"


def test_the_real_fixture_logs():
    drift = Tracker()
    for line in (FIXTURES / "logs" / "ks25_issue307.txt").read_text().splitlines():
        drift.feed(line)
    assert drift.stage == "drift" and drift.step == "shift" and drift.stage_fraction == 1.0
    compile_ = Tracker()
    for line in (FIXTURES / "logs" / "mexgpuall_issue220.txt").read_text().splitlines():
        compile_.feed(line)
    assert compile_.stage == "compile" and compile_.compiled == [1, 2] and compile_.counter == (3, 9)


def test_kilosort_2_0_and_3_logs_are_recognised():
    ks2 = Tracker()
    for line in [
        "Time   0s. Determining good channels.. ",
        "found 3 bad channels ",
        "Time  15s. Computing whitening matrix.. ",
        "Time 120s. Finished preprocessing 401 batches. ",
        "Obtained 7 PC waveforms in 9.31 seconds ",
        "time 10.20, pre clustered 1 / 401 batches ",
        "time 40.25, compared 201 / 401 batches ",
        "Time 160s. Optimizing templates ...",
        "200.01 sec, 1 / 401 batches, 96 units, nspks: 0.0000, mu: 10.0000, nst0: 0, merges: 0.0000, 0.0000 ",
    ]:
        ks2.feed(line)
    assert ks2.sorter_version == "2.0" and ks2.stage == "learn"
    ks3 = Tracker()
    for line in [
        "Time   0s. Computing whitening matrix.. ",
        "time 12.00, GROUP 1/48, units 0 ",
        "time 15.00, GROUP 46/48, units 250 ",
        "300.00 sec, 1 / 401 batches, 250 units, nspks: 0.0000, mu: 10.0000, nst0: 0 ",
        "time 400.00, GROUP 1/48, units 250 ",
    ]:
        ks3.feed(line)
    assert ks3.sorter_version == "3" and ks3.stage == "merge_split"


def test_quiet_phases_move_on_with_time_but_not_past_their_end():
    clock = FakeClock()
    tracker = Tracker(n_batches=1650, clock=clock)
    for line in ks25_run(1650)[: ks25_run(1650).index("Time  66s. Loading raw data and applying filters... ") + 1]:
        tracker.feed(line)
    assert tracker.step == "filtering"
    start = tracker.fraction
    ticks = []
    for _ in range(100):
        clock.now += 60
        if (event := tracker.tick()) is not None:
            ticks.append(event.fraction)
    assert ticks and ticks == sorted(ticks) and ticks[0] > start
    assert tracker.stage == "preprocess" and tracker.stage_fraction < 1.0


def test_the_filter_loop_follows_the_temp_files_size(tmp_path: Path):
    temp_file = tmp_path / "temp_wh.dat"
    temp_file.write_bytes(b"\0" * 4000)  # an earlier run's file: ignored until this run truncates it
    old = time.time() - 3600
    os.utime(temp_file, (old, old))
    tracker = Tracker(n_batches=10, temp_file=temp_file, temp_file_bytes=4000)
    tracker.feed("[ks-gui] stage preprocess")
    tracker.feed("Time   3s. Loading raw data and applying filters... ")
    tracker.tick()
    assert tracker.stage_fraction < 0.1
    with temp_file.open("r+b") as f:
        f.truncate(0)
        f.truncate(2000)
    event = tracker.tick()
    assert event is not None and abs(event.stage_fraction - (0.08 + 0.92 * 0.5)) < 1e-6
    temp_file.write_bytes(b"\0" * 4000)
    assert tracker.tick().stage_fraction < 1.0  # the stage ends with "Finished preprocessing", not before
    assert tracker.feed("Time  60s. Finished preprocessing 10 batches. ").stage_fraction == 1.0


def test_compile_progress_moves_within_a_file_by_time():
    clock = FakeClock()
    tracker = Tracker(clock=clock)
    tracker.feed("[ks-gui] compile 1/9 spikedetector3.cu")
    clock.now += 20
    first = tracker.tick()
    assert first is not None and 0 < first.stage_fraction < 1 / 9


def test_eta_settles_on_the_real_remaining_time():
    """A run whose stages take their typical share of an hour: once the real work has gone on for a while,
    the ETA is within 10 % of the time really left."""
    lines = ks25_run(1650, compile_files=0)
    reference = Tracker(n_batches=1650)
    reached = []  # the fraction each line brings the sort to
    for line in lines:
        reference.feed(line)
        reached.append(reference.fraction)
    total_seconds = 3600.0
    clock = FakeClock()
    tracker = Tracker(n_batches=1650, clock=clock)
    checked = 0
    for line, fraction in zip(lines, reached, strict=True):
        clock.now = fraction * total_seconds  # the work up to this line took its share of the hour
        tracker.feed(line)
        eta = tracker.eta_seconds()
        if 0.25 < tracker.fraction < 0.95:
            remaining = (1 - tracker.fraction) * total_seconds
            assert eta is not None and abs(eta - remaining) <= 0.1 * remaining, (line, eta, remaining)
            checked += 1
    assert checked > 40


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=60))
def test_random_lines_never_raise(lines):
    tracker = Tracker(n_batches=100)
    last = 0.0
    for line in lines:
        tracker.feed(line)
        tracker.tick()
        assert last <= tracker.fraction <= 1.0
        last = tracker.fraction


REAL_LINES = ks25_run(250) + ks25_run(250, markers=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(REAL_LINES), max_size=80),
    st.integers(min_value=0, max_value=len(REAL_LINES)),
    st.integers(min_value=0, max_value=40),
)
def test_shuffled_and_truncated_real_lines_keep_progress_monotonic(sample, cut, chop):
    tracker = Tracker()
    last = 0.0
    # a partial log: a run cut anywhere, a line cut mid-way, then real lines in any order
    for line in [*REAL_LINES[:cut], REAL_LINES[cut % len(REAL_LINES)][:chop], *sample]:
        event = tracker.feed(line)
        assert tracker.fraction >= last and 0.0 <= tracker.fraction <= 1.0
        if event is not None:
            assert event.fraction == tracker.fraction and event.stage in STAGE_ORDER
        last = tracker.fraction
