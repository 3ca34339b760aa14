"""Adding a SLURM cluster in the window and sorting on it, as a user does: the real one-node cluster, the stand-in
image through Docker on the node, real widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.results import history
from ks_gui.ui.cluster_dialog import ClusterDialog
from tests.conftest import write_recording
from tests.ui.conftest import type_into, window  # noqa: F401 (the window fixture)
from tests.ui.test_main_window import SORT_TIMEOUT_MS, fill_form

pytestmark = [pytest.mark.engine, pytest.mark.slurm]


def _add_cluster(qtbot, *extra_lines: str) -> ClusterDialog:
    dialog = ClusterDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.runs.setCurrentIndex(dialog.runs.findData("docker"))
    dialog.gpus.setValue(0)  # the test cluster has no GPU
    for line in extra_lines:
        dialog.extra.appendPlainText(line)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.add_button.isEnabled(), timeout=30_000)
    return dialog


def test_add_the_cluster_then_sort_on_it_from_the_window(qtbot, window, sim_image, tmp_path: Path):  # noqa: F811
    dialog = _add_cluster(qtbot)
    assert dialog.added == "slurm", dialog.status.text()
    window.form.offer_places(dialog.added)
    assert window.form.place_choice.combo.currentText() == "SLURM cluster"

    recording = write_recording(tmp_path / "rec", seconds=2.0)
    fill_form(qtbot, window, recording, tmp_path / "sorted", "27000@license.example.org")
    qtbot.waitUntil(lambda: window.form.sort_button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)

    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    (record,) = history.load_all()
    assert record.place == "slurm" and record.handle.startswith("SLURM job ")


def test_a_waiting_job_is_cancelled_from_the_window(qtbot, window, sim_image, tmp_path: Path):  # noqa: F811
    dialog = _add_cluster(qtbot, "--begin=now+3600")  # it waits in SLURM's queue for an hour
    window.form.offer_places(dialog.added)
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    fill_form(qtbot, window, recording, tmp_path / "sorted", "27000@license.example.org")
    qtbot.waitUntil(lambda: window.form.sort_button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Waiting in SLURM's queue" in window.run_panel.log_view.text.toPlainText(), timeout=30_000)

    qtbot.mouseClick(window.run_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)

    (record,) = history.load_all()
    assert record.status == "cancelled"
