"""A Kilosort 4 sort lists Kilosort 4's own stages in the window (issue 29): no "Start MATLAB", no "Compile mex
files" ticking by for a sort that has neither."""

from __future__ import annotations

from ks_gui.core.job import SortJob
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters import KILOSORT25, sorter_named
from ks_gui.core.sorters.progress import Tracker
from ks_gui.ui.run_panel import RunPanel
from ks_gui.ui.sort_worker import SortWorker
from ks_gui.ui.stage_list import MARK_DONE, MARK_PENDING, MARK_RUNNING, StageList

KILOSORT4 = sorter_named("kilosort4")[0]


def shown_rows(stage_list: StageList) -> list[str]:
    return [row.text() for row in stage_list.findChildren(type(stage_list.row("start"))) if not row.isHidden()]


def test_a_kilosort4_sort_lists_kilosort4s_stages(qtbot, recording, tmp_path):
    job = SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=None,
        sorter=KILOSORT4,
        place="local",
        param_overrides={"n_chan_bin": 32, "fs": 30000.0},
    )
    panel = RunPanel("rec/recording.bin")
    qtbot.addWidget(panel)
    ended = []
    panel.ended.connect(ended.append)
    panel.start(SortWorker(job, "none"))  # refused here (no Kilosort 4 environment in the test's home): no matter
    assert shown_rows(panel.stage_list) == [
        f"{MARK_PENDING}  Start Kilosort 4",
        f"{MARK_PENDING}  Preprocess",
        f"{MARK_PENDING}  Drift correction",
        f"{MARK_PENDING}  Detect spikes (universal templates)",
        f"{MARK_PENDING}  Detect spikes (learned templates)",
        f"{MARK_PENDING}  Final clustering and merges",
        f"{MARK_PENDING}  Save for phy",
    ]
    qtbot.waitUntil(lambda: bool(ended), timeout=30_000)

    stage_list = panel.stage_list
    tracker = Tracker(n_batches=10)
    for line in ("[ks-gui] stage start", "[ks-gui] stage preprocess", "[ks-gui] stage drift", "[ks-gui] stage learn"):
        if (event := tracker.feed(line)) is not None:
            stage_list.show_progress(event)
    assert [stage_list.mark(s) for s in stage_list.stages] == [MARK_DONE] * 3 + [MARK_RUNNING] + [MARK_PENDING] * 3
    assert stage_list.row("learn").text().startswith(f"{MARK_RUNNING}  Detect spikes (universal templates)")
    stage_list.show_done()
    assert [stage_list.mark(s) for s in stage_list.stages] == [MARK_DONE] * 7


def test_a_kilosort25_sort_still_lists_matlabs_stages(qtbot):
    stage_list = StageList()
    qtbot.addWidget(stage_list)
    stage_list.reset(KILOSORT4.stage_names)
    stage_list.reset(KILOSORT25.stage_names)  # the panel's next sort is Kilosort 2.5's
    assert shown_rows(stage_list)[:2] == [f"{MARK_PENDING}  Start MATLAB", f"{MARK_PENDING}  Compile mex files"]
    assert len(shown_rows(stage_list)) == 8
