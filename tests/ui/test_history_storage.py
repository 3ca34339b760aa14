"""The History view and the Storage view, as a user sees them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ks_gui.core.results import history
from ks_gui.core.results.history import RunRecord
from ks_gui.ui import dialogs
from ks_gui.ui.exception_dialog import ExceptionDialog
from ks_gui.ui.history_view import HistoryView
from ks_gui.ui.storage_dialog import StorageDialog


def test_history_lists_runs_and_runs_again(qtbot, tmp_path: Path):
    recording = tmp_path / "rec.bin"
    recording.write_bytes(b"\0" * 64)
    (tmp_path / "out").mkdir()
    done = RunRecord(
        job_id="a",
        sorter="kilosort2.5",
        recording=str(recording),
        output=str(tmp_path / "out"),
        image="img",
        log_file=str(tmp_path / "a.log"),
        started="2026-11-24T10:00:00",
    )
    history.finish(done, status="succeeded", units=16, good=11, spikes=736)
    history.save(
        RunRecord(
            job_id="b",
            sorter="kilosort2.5",
            recording="/gone/rec.bin",
            output="/gone/out",
            image="img",
            log_file="/gone/b.log",
            started="2026-11-25T09:00:00",
        )
    )
    view = HistoryView()
    qtbot.addWidget(view)
    view.show()  # the runs are read when the view is first shown
    table = view.table
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in (0, 3)] == ["gone/rec.bin", "running"]  # newest first
    assert [table.item(1, c).text() for c in (0, 3, 4, 5, 6)] == [
        f"{tmp_path.name}/rec.bin",
        "succeeded",
        "Kilosort 2.5 (MATLAB)",  # what sorted
        "This computer's Docker",  # where it ran
        "16 (11)",
    ]

    table.selectRow(0)
    assert not view.run_again_button.isEnabled()  # its recording is gone
    table.selectRow(1)
    assert view.run_again_button.isEnabled() and view.open_folder_button.isEnabled()
    assert not view.open_log_button.isEnabled()  # no log file on disk
    with qtbot.waitSignal(view.run_again) as signal:
        qtbot.mouseClick(view.run_again_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].job_id == "a"


def test_storage_lists_folders_and_removes_after_asking(qtbot, monkeypatch, user_folders: Path):
    mex = user_folders / "xdg_cache_home" / "ks-gui" / "mex" / "0123456789ab"
    mex.mkdir(parents=True)
    (mex / "spikedetector3.mexa64").write_bytes(b"\1" * 50_000)
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: asked.append(text) or True)
    dialog = StorageDialog(engine=None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded)
    names = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert names == ["compiled mex files, image 0123456789ab"]
    assert dialog.table.item(0, 2).text() == "50.0 KB"
    assert "Docker is not reachable" in dialog.note.text()
    qtbot.mouseClick(dialog.table.cellWidget(0, 3), Qt.MouseButton.LeftButton)
    assert asked == ["Remove compiled mex files, image 0123456789ab (50.0 KB)?"]
    qtbot.waitUntil(lambda: dialog.loaded)
    assert not mex.exists() and dialog.table.rowCount() == 0


def test_exception_dialog_shows_and_copies_the_traceback(qtbot, tmp_path: Path):
    dialog = ExceptionDialog("Traceback (most recent call last):\nValueError: boom", tmp_path / "crashes.log")
    qtbot.addWidget(dialog)
    assert "ValueError: boom" in dialog.details.toPlainText()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text().endswith("ValueError: boom")


def test_garbage_is_collected_on_the_gui_thread(qtbot):
    import gc
    import weakref

    from ks_gui.ui.garbage import CHECK_EVERY_MS, MainThreadGarbageCollector

    class Node:
        pass

    collector = MainThreadGarbageCollector()
    assert not gc.isenabled()
    cycle = Node()
    cycle.self = cycle
    alive = weakref.ref(cycle)
    del cycle
    for _ in range(1000):  # enough new objects to pass the youngest generation's threshold
        Node()
    first = [Node() for _ in range(800)]
    qtbot.waitUntil(lambda: alive() is None, timeout=CHECK_EVERY_MS * 5)
    del first, collector
