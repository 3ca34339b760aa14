"""An uncaught exception becomes a line in the crash log and a dialog with the traceback and a Copy button.

The dialog's module is loaded with the first exception: the window opens without it (issue #8)."""

from __future__ import annotations

import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


def crash_log() -> Path:
    return Path(platformdirs.user_log_dir("ks-gui")) / "crashes.log"


class _GuiThreadRelay(QObject):
    """Lives on the GUI thread: an exception raised on a worker thread is shown from here (widgets made on another
    thread would abort the app)."""

    show = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.show.connect(self._show)

    def _show(self, text: str, log_file: str) -> None:
        from ks_gui.ui.exception_dialog import ExceptionDialog

        ExceptionDialog(text, Path(log_file), QApplication.activeWindow()).exec()


def install_exception_hook() -> None:
    """Log every uncaught exception and show it, instead of a silent crash or a terminal-only traceback: those of
    the GUI thread, of Qt's worker threads (sys.excepthook) and of Python threads (threading.excepthook)."""
    relay = _GuiThreadRelay()

    def hook(kind: type[BaseException], value: BaseException | None, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        log_file = crash_log()
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n{text}\n")
        if sys.__stderr__ is not None:  # None without a console (pythonw)
            sys.__stderr__.write(text)
        if QApplication.instance() is not None:
            relay.show.emit(text, str(log_file))  # shown at once on the GUI thread, queued from any other

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
