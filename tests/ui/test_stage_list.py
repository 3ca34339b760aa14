"""The stage list and the failure panel: fed by a real tracker, and by real runs of the stand-in image."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices

from ks_gui.core.sorters.diagnosis import diagnose
from ks_gui.core.sorters.progress import Tracker
from ks_gui.ui.failure_panel import FailurePanel
from ks_gui.ui.stage_list import MARK_DONE, MARK_FAILED, MARK_PENDING, MARK_RUNNING, StageList
from tests.helpers.ks25_log import ks25_run
from tests.ui.conftest import OnGuiThread, type_into
from tests.ui.test_main_window import SORT_TIMEOUT_MS, fill_form


def marks(stage_list: StageList) -> list[str]:
    return [stage_list.mark(stage) for stage in stage_list.stages]  # the sorter's stages (Kilosort 4 adds quality)


def count_done(snapshot: list[str]) -> int:
    return snapshot.count(MARK_DONE)


@pytest.fixture
def opened_urls(monkeypatch) -> list[QUrl]:
    # No desktop session runs here to open a text viewer: record what would be opened instead.
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    return opened


def test_the_list_ticks_off_as_a_run_advances(qtbot):
    stage_list = StageList()
    qtbot.addWidget(stage_list)
    assert marks(stage_list) == [MARK_PENDING] * 8
    tracker = Tracker(n_batches=900)
    seen = []
    for line in ks25_run(900):
        if (event := tracker.feed(line)) is not None:
            stage_list.show_progress(event)
            seen.append(marks(stage_list))
            if event.detail == "Compiling mexMPnu8.cu (4 of 9)":
                assert stage_list.row("compile").text() == f"{MARK_RUNNING}  Compile mex files — 4 of 9"
            if event.detail.startswith("Detecting spikes for drift: batch 401"):
                assert stage_list.row("drift").text() == f"{MARK_RUNNING}  Drift correction — detect, 401 of 900"
    assert [count_done(s) for s in seen] == sorted(count_done(s) for s in seen)
    assert seen[-1] == [MARK_DONE] * 8


def test_a_failure_marks_its_stage(qtbot):
    stage_list = StageList()
    qtbot.addWidget(stage_list)
    tracker = Tracker()
    for line in ks25_run(300)[:40]:
        if (event := tracker.feed(line)) is not None:
            stage_list.show_progress(event)
    stage_list.show_failure("learn")
    assert marks(stage_list) == [MARK_DONE] * 4 + [MARK_FAILED] + [MARK_PENDING] * 3
    assert stage_list.row("learn").text() == f"{MARK_FAILED}  Learn templates — failed"


def test_the_failure_panel_says_what_and_opens_the_log(qtbot, tmp_path, opened_urls):
    log = tmp_path / "run.log"
    log.write_text("Error using  * \nOut of memory on device. To view more detail\n")
    panel = FailurePanel()
    qtbot.addWidget(panel)
    panel.show_failure(diagnose(log.read_text().splitlines()), log)
    assert panel.isVisible()
    assert panel.title.text() == "The GPU ran out of memory."
    assert panel.hint.text().startswith("Lower NT")
    qtbot.mouseClick(panel.open_log_button, Qt.MouseButton.LeftButton)
    assert opened_urls == [QUrl.fromLocalFile(str(log))]


def test_the_failure_panel_without_a_diagnosis(qtbot, tmp_path):
    panel = FailurePanel()
    qtbot.addWidget(panel)
    panel.show_failure(None, tmp_path / "gone.log", exit_code=3)
    assert "exit code 3" in panel.title.text()
    assert not panel.open_log_button.isEnabled()  # the log file is not there


def run_in_window(qtbot, window, recording, output: Path, environment: str) -> list[list[str]]:
    """Sort with the stand-in image from the window; the stage list's marks after each progress event."""
    fill_form(qtbot, window, recording, output, "27000@license.example.org")
    window.form.advanced.setChecked(True)  # the Environment field is in Advanced
    type_into(qtbot, window.form.environment, environment)
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    snapshots: list[list[str]] = []
    panel = window.run_panel
    receiver = OnGuiThread(panel.worker.progress, lambda _event: snapshots.append(marks(panel.stage_list)))
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)
    del receiver
    return snapshots


@pytest.mark.engine
def test_the_stage_list_ticks_during_a_real_run(qtbot, window, recording, tmp_path, sim_image):
    snapshots = run_in_window(qtbot, window, recording, tmp_path / "out", "KS_GUI_SIM_PACE=0.02")
    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    done_counts = [count_done(s) for s in snapshots]
    assert done_counts == sorted(done_counts)
    assert set(range(1, 8)) <= set(done_counts)  # every stage was seen running, then ticked off
    assert marks(window.run_panel.stage_list) == [MARK_DONE] * 8
    assert not window.run_panel.failure_panel.isVisible()


@pytest.mark.engine
@pytest.mark.parametrize(
    ("fail", "stage", "message"),
    [
        ("too_few_spikes", "learn", "Kilosort found too few spikes to learn templates."),
        ("gpu_out_of_memory", "learn", "The GPU ran out of memory."),
        ("mex_compile", "compile", "Compiling Kilosort's GPU code failed at mexMPnu8.cu (4 of 9): fatbinary fatal"),
    ],
)
def test_a_failed_run_shows_the_panel(qtbot, window, recording, tmp_path, sim_image, opened_urls, fail, stage, message):
    run_in_window(qtbot, window, recording, tmp_path / "out", f"KS_GUI_SIM_PACE=0.01 KS_GUI_SIM_FAIL={fail}")
    assert window.run_panel.stage.text() == "Failed"
    assert window.run_panel.failure_panel.isVisible()
    assert window.run_panel.failure_panel.title.text().startswith(message)
    assert window.run_panel.failure_panel.hint.text()
    shown = window.run_panel.stage_list.stages
    failed_at = shown.index(stage)
    assert marks(window.run_panel.stage_list) == (
        [MARK_DONE] * failed_at + [MARK_FAILED] + [MARK_PENDING] * (len(shown) - failed_at - 1)
    )
    qtbot.mouseClick(window.run_panel.failure_panel.open_log_button, Qt.MouseButton.LeftButton)
    assert len(opened_urls) == 1
    log = Path(opened_urls[0].toLocalFile())
    assert log.is_file() and "Error using" in log.read_text()


@pytest.mark.engine
def test_preprocessing_moves_on_while_kilosort_prints_nothing(qtbot, window, recording, tmp_path, sim_image):
    """The filter loop prints nothing; the stand-in grows the temp file in 4 paced steps meanwhile, and the bar
    follows the file's size (ticks while the output is quiet)."""
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    window.form.advanced.setChecked(True)  # the Environment field is in Advanced
    type_into(qtbot, window.form.environment, "KS_GUI_SIM_PACE=1.2")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    filtering: list[float] = []
    window.run_panel.worker.progress.connect(
        lambda event: filtering.append(event.stage_fraction) if event.step == "filtering" else None
    )
    qtbot.waitUntil(lambda: len([f for f in filtering if 0.08 < f < 1.0]) >= 2, timeout=SORT_TIMEOUT_MS)
    window.cancel_sort()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    between = [f for f in filtering if 0.08 < f < 1.0]
    assert between == sorted(between) and len(set(between)) >= 2
