"""File → Open results… on a folder that is not a sort's output (issue 29): one plain sentence, no empty units
window."""

from __future__ import annotations

from pathlib import Path

import pytest

from ks_gui.ui import dialogs
from tests.conftest import write_recording


def test_open_results_on_a_recordings_folder_says_so_and_opens_nothing(
    qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    from ks_gui.ui.main_window import MainWindow
    from ks_gui.ui.results_dialog import ResultsDialog

    recording = write_recording(tmp_path / "rec")
    told: list[str] = []
    monkeypatch.setattr(dialogs, "choose_folder", lambda *args: recording.folder)
    monkeypatch.setattr(dialogs, "tell", lambda parent, title, text: told.append(f"{title}: {text}"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.browse_results()
    assert told == [
        f"Not a sort's output folder: {recording.folder} holds a recording (recording.bin), not a sort's results: "
        "choose the output folder a sort wrote (by default the recording folder's name with _kilosort), or sort the "
        "recording first."
    ]
    assert not window.findChildren(ResultsDialog)


def test_the_unit_tables_amplitude_says_its_unit_and_why_phy_differs(qtbot, tmp_path):
    from ks_gui.ui.results_dialog import ResultsDialog

    dialog = ResultsDialog(tmp_path)  # the table's columns are there before the numbers are read
    qtbot.addWidget(dialog)
    headers = [dialog.table.horizontalHeaderItem(i).text() for i in range(dialog.table.columnCount())]
    assert "Amplitude (a.u.)" in headers
    tooltip = dialog.table.horizontalHeaderItem(headers.index("Amplitude (a.u.)")).toolTip()
    assert "not µV" in tooltip and "phy's amp column" in tooltip


def test_help_opens_the_documentation(qtbot, monkeypatch: pytest.MonkeyPatch):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from ks_gui.ui.main_window import MainWindow

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window = MainWindow()
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    documentation = next(a for a in help_menu.actions() if a.text() == "Documentation")
    documentation.trigger()
    assert [url.toLocalFile() for url in opened] == [str(Path(__file__).resolve().parents[2] / "README.md")]


def test_history_shows_a_sort_another_ks_gui_recorded_while_it_is_open(qtbot, tmp_path):
    from ks_gui.core.results import history
    from ks_gui.core.results.history import RunRecord
    from ks_gui.ui.history_view import HistoryView

    view = HistoryView()
    qtbot.addWidget(view)
    view.show()
    assert view.table.rowCount() == 0
    record = RunRecord(
        job_id="elsewhere",
        sorter="kilosort4",
        recording=str(tmp_path / "rec" / "rec.bin"),
        output=str(tmp_path / "out"),
        image="",
        log_file=str(tmp_path / "x.log"),
        started="2026-12-04T10:00:00",
        place="local",
    )
    history.finish(record, status="succeeded", units=5, good=5, spikes=838)  # `ks-gui sort` in a terminal
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert view.table.item(0, 3).text() == "succeeded" and view.table.item(0, 4).text() == "Kilosort 4"


def test_the_chosen_unit_is_marked_on_the_drift_map(qtbot, tmp_path):
    from PySide6.QtGui import QColor

    from ks_gui.ui.pictures import MARK_COLOUR
    from ks_gui.ui.results_dialog import ResultsDialog
    from tests.phy.conftest import write_kilosort_folder

    dialog = ResultsDialog(write_kilosort_folder(tmp_path / "out", n_channels=8))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 5, timeout=10_000)

    def marked_pixels() -> int:
        image = dialog.drift.pixmap().toImage()
        mark = QColor(MARK_COLOUR).rgb()
        return sum(image.pixel(x, y) == mark for x in range(image.width()) for y in range(image.height()))

    assert marked_pixels() == 0 and dialog.marked is None
    dialog.table.selectRow(2)
    chosen = int(dialog.table.item(2, 0).text())
    assert dialog.marked is not None and dialog.marked[0] == f"unit {chosen}"
    assert marked_pixels() > 10  # marks at both edges of the map at the unit's depth


def test_a_template_has_a_time_scale_bar(qtbot):
    import numpy as np
    from PySide6.QtGui import QColor

    from ks_gui.ui.pictures import template_image

    template = np.sin(np.linspace(0, 6, 61))[:, None] * np.ones((1, 4))

    def dark_in_the_bottom_strip(image) -> int:
        return sum(QColor(image.pixel(x, y)).lightness() < 80 for x in range(image.width()) for y in range(296, 314))

    plain = template_image(template, np.arange(4), (420, 320))
    scaled = template_image(template, np.arange(4), (420, 320), sample_rate=30000.0)
    assert dark_in_the_bottom_strip(scaled) > dark_in_the_bottom_strip(plain) + 60  # the bar, 1 ms = 30 samples long


def test_the_trace_preview_has_a_colour_key(qtbot, tmp_path):
    import dataclasses

    from PySide6.QtGui import QColor

    from ks_gui.core.recordings.inspection import inspect
    from ks_gui.core.recordings.preview import read_window
    from ks_gui.ui.pictures import preview_image

    recording = dataclasses.replace(inspect(write_recording(tmp_path / "rec").folder), n_channels=32, sample_rate=3e4)
    image = preview_image(read_window(recording, 1.0, 0.1), (480, 260))
    strip = [QColor(image.pixel(x, y)) for x in range(300, 480) for y in range(244, 260)]
    assert any(c.blue() > 200 and c.red() < 60 for c in strip) and any(c.red() > 200 and c.blue() < 60 for c in strip)
