"""The pictures in the window, as a user opens them: a sort's units and drift (the traces of an opened recording:
test_trace_preview_panel.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from ks_gui.ui.results_dialog import ResultsDialog
from tests.phy.conftest import write_kilosort_folder


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
