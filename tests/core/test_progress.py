from ks_gui.core.progress import Result, Tracker

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


def test_eta_from_the_observed_rate():
    now = [0.0]
    tracker = Tracker(n_batches=201, clock=lambda: now[0])
    now[0] = 100.0
    feed_all(tracker, RUN.split("[ks-gui] stage drift")[0])
    eta = tracker.eta_seconds()
    assert eta is not None
    assert abs(eta - 100.0 * (1 - tracker.fraction) / tracker.fraction) < 1e-6
