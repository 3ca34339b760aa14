"""Closing the window during a sort: keep it sorting in the background, and the next window follows it to its end
and queues again the sorts that were waiting."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from PySide6.QtCore import Qt

from ks_gui.core.ground.contract import LABEL_OUTPUT
from ks_gui.core.results import history
from ks_gui.ui import dialogs
from ks_gui.ui.main_window import MainWindow
from ks_gui.ui.queue_view import RowState
from tests.conftest import write_recording
from tests.ui.conftest import drop_path, type_into
from tests.ui.test_main_window import fill_form

pytestmark = pytest.mark.engine


def test_keep_sorting_in_the_background_then_follow_it_again(qtbot, recording, tmp_path, sim_image, monkeypatch):
    output = tmp_path / "out"
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    fill_form(qtbot, first, recording, output, "27000@license.example.org")
    first.form.advanced.setChecked(True)
    type_into(qtbot, first.form.environment, "KS_GUI_SIM_PACE=0.05")
    qtbot.mouseClick(first.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Running" in first.run_panel.message.text(), timeout=30_000)

    asked = []
    monkeypatch.setattr(dialogs, "choose", lambda parent, title, text, options: asked.append(options) or 0)
    first.close()
    assert asked == [["Keep sorting in the background", "Stop the sorts"]]
    (container,) = docker.from_env().containers.list(filters={"label": f"{LABEL_OUTPUT}={output}"})
    assert container.status == "running"

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    second.follow_earlier_runs()
    qtbot.waitUntil(lambda: second.running, timeout=20_000)
    assert second.run_panel.message.text().startswith("Following the sort into")
    qtbot.waitUntil(lambda: not second.running, timeout=120_000)
    assert second.run_panel.message.text().startswith("Sorted: "), second.run_panel.message.text()
    assert second.run_panel.stage.text() == "Done"
    # this test's run (a shared engine may hold this user's other containers, which the window harvests too)
    assert [r.status for r in history.load_all() if r.output == str(output)] == ["succeeded"]
    assert docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"}) == []


def test_sorts_waiting_when_the_window_closed_are_queued_by_the_next_one(qtbot, tmp_path, sim_image, monkeypatch):
    first_recording, second_recording = (write_recording(tmp_path / name, seconds=2) for name in ("rec_a", "rec_b"))
    first = MainWindow()
    qtbot.addWidget(first)
    with qtbot.waitSignal(first.completed):
        first.show()
    fill_form(qtbot, first, first_recording, tmp_path / "out_a", "27000@license.example.org")
    first.form.advanced.setChecked(True)
    type_into(qtbot, first.form.environment, "KS_GUI_SIM_PACE=0.05")
    qtbot.mouseClick(first.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Running" in first.run_panel.message.text(), timeout=30_000)
    drop_path(first.form.drop_zone, second_recording.folder)
    type_into(qtbot, first.form.output, str(tmp_path / "out_b"))
    qtbot.mouseClick(first.form.sort_button, Qt.MouseButton.LeftButton)  # Add to queue: waits for the CPU
    assert [row.state for row in first.sorts.queue_view.rows()] == [RowState.RUNNING, RowState.WAITING]

    asked = []
    monkeypatch.setattr(dialogs, "choose", lambda parent, title, text, options: asked.append(text) or 0)
    first.close()  # keep sorting in the background
    assert "What is waiting (1 sort) waits for the next ks-gui window if you keep sorting." in asked[0]
    assert not (tmp_path / "out_b").exists()  # it did not start

    second = MainWindow()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.completed):
        second.show()
    said: list[str] = []  # the status line moves on with the followed sort's stages: what it said, in order
    second.statusBar().messageChanged.connect(said.append)
    second.follow_earlier_runs()
    qtbot.waitUntil(lambda: len(second.sorts.queue_view.rows()) == 2, timeout=20_000)
    assert [(row.title, row.state) for row in second.sorts.queue_view.rows()] == [
        ("rec_a/recording.bin", RowState.RUNNING),  # followed
        ("rec_b/recording.bin", RowState.WAITING),  # queued again, behind it on the CPU
    ]
    assert "Queued again: 1 sort waiting when ks-gui closed" in said
    qtbot.waitUntil(lambda: not second.running, timeout=240_000)
    assert sorted((Path(r.output).name, r.status) for r in history.load_all()) == [
        ("out_a", "succeeded"),
        ("out_b", "succeeded"),
    ]
    assert (tmp_path / "out_b" / "params.py").is_file()
