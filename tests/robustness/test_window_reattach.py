"""Closing the window during a sort: keep it sorting in the background, and the next window follows it to its end."""

from __future__ import annotations

import docker
import pytest
from PySide6.QtCore import Qt

from ks_gui.core import history
from ks_gui.core.contract import LABEL_OUTPUT
from ks_gui.ui import dialogs
from ks_gui.ui.main_window import MainWindow
from tests.ui.conftest import type_into
from tests.ui.test_main_window import fill_form

pytestmark = pytest.mark.engine


def test_keep_sorting_in_the_background_then_follow_it_again(qtbot, recording, tmp_path, sim_image, monkeypatch):
    output = tmp_path / "out"
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    fill_form(qtbot, first, recording, output, "27000@license.example.org")
    first.advanced.setChecked(True)
    type_into(qtbot, first.environment, "KS_GUI_SIM_PACE=0.05")
    qtbot.mouseClick(first.sort_button, Qt.MouseButton.LeftButton)
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
    assert [r.status for r in history.load_all()] == ["succeeded"]
    assert docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"}) == []
