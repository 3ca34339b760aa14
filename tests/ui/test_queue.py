"""Several recordings queued in the window: one sort per GPU (here: the CPU line) at a time, the next starting as one
ends; waiting sorts moved or removed in the queue list, a running one chosen there and cancelled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.results import history
from ks_gui.ui.main_window import MainWindow
from ks_gui.ui.queue_view import RowState
from tests.conftest import write_recording
from tests.ui.conftest import drop_path, type_into
from tests.ui.test_main_window import SORT_TIMEOUT_MS, fill_form

pytestmark = pytest.mark.engine
LICENSE = "27000@license.example.org"


def queue_rows(window) -> list[tuple[str, RowState]]:
    return [(row.title, row.state) for row in window.sorts.queue_view.rows()]


def queue_another(qtbot, window, recording, output) -> None:
    drop_path(window.form.drop_zone, recording.folder)
    type_into(qtbot, window.form.output, str(output))
    assert window.form.sort_button.text() == "Add to queue" and window.form.sort_button.isEnabled(), (
        window.form.sort_reason.text()
    )
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)


def start_first(qtbot, window, recording, output, pace: str) -> None:
    fill_form(qtbot, window, recording, output, LICENSE)
    window.form.advanced.setChecked(True)
    type_into(qtbot, window.form.environment, f"KS_GUI_SIM_PACE={pace}")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Running" in window.run_panel.message.text(), timeout=30_000)


def select_row(window, title: str) -> None:
    index = [row.title for row in window.sorts.queue_view.rows()].index(title)
    window.sorts.queue_view.list.setCurrentRow(index)


def test_a_second_recording_waits_for_the_first(qtbot, window, tmp_path, sim_image):
    first, second = write_recording(tmp_path / "rec_a", seconds=2), write_recording(tmp_path / "rec_b", seconds=2)
    start_first(qtbot, window, first, tmp_path / "out_a", "0.02")

    # The form stays open for the next recording; the folder the first sort writes is not offered twice.
    drop_path(window.form.drop_zone, second.folder)
    assert not window.form.sort_button.isEnabled()
    assert "is the output folder of a sort in the queue" in window.form.sort_reason.text()
    queue_another(qtbot, window, second, tmp_path / "out_b")

    assert window.sorts.queue_view.isVisible()
    assert queue_rows(window) == [("rec_a/recording.bin", RowState.RUNNING), ("rec_b/recording.bin", RowState.WAITING)]
    assert window.sorts.queue_view.rows()[1].detail == "waiting for the CPU"
    qtbot.waitUntil(lambda: not window.running, timeout=2 * SORT_TIMEOUT_MS)

    assert queue_rows(window) == [
        ("rec_a/recording.bin", RowState.SUCCEEDED),
        ("rec_b/recording.bin", RowState.SUCCEEDED),
    ]
    assert (tmp_path / "out_a" / "params.py").is_file() and (tmp_path / "out_b" / "params.py").is_file()
    records = sorted(history.load_all(), key=lambda record: record.started)
    assert [(r.output, r.status) for r in records] == [
        (str(tmp_path / "out_a"), "succeeded"),
        (str(tmp_path / "out_b"), "succeeded"),
    ]
    assert records[1].started >= records[0].ended  # one sort on the CPU line at a time
    # Each sort keeps its own panel: choosing the first row shows the first sort's result again.
    select_row(window, "rec_a/recording.bin")
    assert str(tmp_path / "out_a") in window.run_panel.message.text()


def test_waiting_sorts_are_reordered_removed_and_the_running_one_cancelled(qtbot, window, tmp_path, sim_image):
    recordings = {name: write_recording(tmp_path / f"rec_{name}", seconds=2) for name in "abc"}
    start_first(qtbot, window, recordings["a"], tmp_path / "out_a", "0.2")
    queue_another(qtbot, window, recordings["b"], tmp_path / "out_b")
    queue_another(qtbot, window, recordings["c"], tmp_path / "out_c")

    select_row(window, "rec_c/recording.bin")
    qtbot.mouseClick(window.sorts.queue_view.up_button, Qt.MouseButton.LeftButton)
    assert [title for title, _state in queue_rows(window)] == [
        "rec_a/recording.bin",
        "rec_c/recording.bin",
        "rec_b/recording.bin",
    ]
    select_row(window, "rec_b/recording.bin")
    assert window.sorts.queue_view.remove_button.isEnabled()
    qtbot.mouseClick(window.sorts.queue_view.remove_button, Qt.MouseButton.LeftButton)
    assert [title for title, _state in queue_rows(window)] == ["rec_a/recording.bin", "rec_c/recording.bin"]

    select_row(window, "rec_a/recording.bin")  # the running sort's panel, with its Cancel
    assert not window.sorts.queue_view.remove_button.isEnabled()
    assert window.run_panel.title == "rec_a/recording.bin" and window.run_panel.running
    qtbot.mouseClick(window.run_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=2 * SORT_TIMEOUT_MS)
    assert [state for _title, state in queue_rows(window)] == [RowState.STOPPED, RowState.SUCCEEDED]
    assert window.sorts.queue_view.rows()[0].detail == "Cancelled"

    statuses = {record.output: record.status for record in history.load_all()}
    assert statuses == {str(tmp_path / "out_a"): "cancelled", str(tmp_path / "out_c"): "succeeded"}
    assert not (tmp_path / "out_b").exists()  # removed from the queue: nothing was started for it


def test_two_sorts_share_the_cpu_line_when_the_user_allows_it(qtbot, window, tmp_path, sim_image):
    first, second = write_recording(tmp_path / "rec_a", seconds=2), write_recording(tmp_path / "rec_b", seconds=2)
    start_first(qtbot, window, first, tmp_path / "out_a", "0.05")
    queue_another(qtbot, window, second, tmp_path / "out_b")
    assert [state for _title, state in queue_rows(window)] == [RowState.RUNNING, RowState.WAITING]
    type_into(qtbot, window.form.sorts_per_gpu, "2")  # the waiting sort starts at once
    assert [state for _title, state in queue_rows(window)] == [RowState.RUNNING, RowState.RUNNING]
    qtbot.waitUntil(lambda: not window.running, timeout=2 * SORT_TIMEOUT_MS)
    assert sorted(record.status for record in history.load_all()) == ["succeeded", "succeeded"]
    window.close()
    reopened = MainWindow()
    qtbot.addWidget(reopened)
    assert reopened.form.sorts_per_gpu.value() == 2  # remembered


def test_a_waiting_row_says_when_it_starts_once_the_running_sort_has_an_estimate(qtbot, window, tmp_path, sim_image):
    recordings = [write_recording(tmp_path / f"rec_{name}", seconds=2) for name in "abc"]
    # One sort of the kind first: the next is estimated from it within seconds.
    start_first(qtbot, window, recordings[0], tmp_path / "out_a", "0.02")
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)

    start_first(qtbot, window, recordings[1], tmp_path / "out_b", "0.3")
    queue_another(qtbot, window, recordings[2], tmp_path / "out_c")
    waiting = lambda: window.sorts.queue_view.rows()[1]  # noqa: E731
    assert waiting().title == "rec_c/recording.bin" and waiting().state is RowState.WAITING
    qtbot.waitUntil(lambda: "starts at about" in waiting().detail, timeout=30_000)
    assert waiting().detail.startswith("waiting for the CPU · starts at about ")
    running = window.sorts.queue_view.rows()[0].detail
    assert running.rsplit("done at about ", 1)[1] == waiting().detail.rsplit("starts at about ", 1)[1]
    qtbot.waitUntil(lambda: not window.running, timeout=2 * SORT_TIMEOUT_MS)
