"""The pictures in the window, as a user opens them: the traces of an opened recording, a sort's units and drift."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from ks_gui.ui.results_dialog import ResultsDialog
from tests.kilosort4.planted import N_CHANNELS, SAMPLE_RATE, write_recording
from tests.phy.conftest import write_kilosort_folder
from tests.ui.conftest import drop_path, window  # noqa: F401 (the window fixture)


def test_the_traces_of_an_opened_recording(qtbot, window, tmp_path: Path):  # noqa: F811
    planted = write_recording(tmp_path / "rec", duration_s=3.0)
    drop_path(window.form.drop_zone, planted.binary.parent)
    qtbot.waitUntil(lambda: window.recording is not None)
    window.form.channels.setValue(N_CHANNELS)
    window.form.sample_rate.setValue(SAMPLE_RATE)

    qtbot.mouseClick(window.form.drop_zone.traces_button, Qt.MouseButton.LeftButton)
    dialog = window.form.traces
    qtbot.waitUntil(lambda: not dialog.picture.pixmap().isNull(), timeout=10_000)

    assert dialog.picture.pixmap().width() >= 640
    dialog.seek.setValue(500)  # the middle of the recording
    qtbot.waitUntil(lambda: dialog.position.text().startswith("1.4"), timeout=10_000)
    dialog.close()


def test_units_and_drift_of_a_sort(qtbot, tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    dialog = ResultsDialog(folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 5, timeout=10_000)

    assert dialog.summary.text().startswith("5 units (3 good), 200 spikes")
    assert not dialog.drift.pixmap().isNull()
    dialog.table.sortItems(5, Qt.SortOrder.DescendingOrder)  # by depth, deepest first
    depths = [float(dialog.table.item(row, 5).text()) for row in range(5)]
    assert depths == sorted(depths, reverse=True)
    dialog.table.selectRow(0)
    assert not dialog.template.pixmap().isNull()  # the chosen unit's template
