"""An uncaught exception on a sort's worker thread becomes the bug dialog on the GUI thread (made on the worker
thread, the dialog would abort the app) and a line in the crash log."""

from __future__ import annotations

import sys
import threading

from ks_gui.ui.exception_dialog import ExceptionDialog
from ks_gui.ui.exception_hook import crash_log, install_exception_hook


def test_an_exception_on_a_worker_thread_is_shown_on_the_gui_thread(qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # both hooks are put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    shown: list[tuple[str, bool]] = []

    def record(dialog: ExceptionDialog) -> int:  # in place of the modal exec(): nobody would close it
        shown.append((dialog.details.toPlainText(), threading.current_thread() is threading.main_thread()))
        return 0

    monkeypatch.setattr(ExceptionDialog, "exec", record)
    install_exception_hook()

    def fail() -> None:
        raise RuntimeError("the engine answered 409")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=5_000)

    text, on_gui_thread = shown[0]
    assert "RuntimeError: the engine answered 409" in text
    assert on_gui_thread
    assert "RuntimeError: the engine answered 409" in crash_log().read_text()
