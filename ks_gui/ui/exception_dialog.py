"""An uncaught exception becomes a dialog with the traceback and a Copy button, and a line in the crash log."""

from __future__ import annotations

import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


def crash_log() -> Path:
    return Path(platformdirs.user_log_dir("ks-gui")) / "crashes.log"


class ExceptionDialog(QDialog):
    def __init__(self, text: str, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ks-gui ran into a bug")
        intro = QLabel(
            "Something went wrong inside ks-gui. Your recordings and results are untouched. "
            f"The details below are also saved in {log_file}; please send them with a bug report."
        )
        intro.setWordWrap(True)
        self.details = QPlainTextEdit(text)
        self.details.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(720, 420)


class _GuiThreadRelay(QObject):
    """Lives on the GUI thread: an exception raised on a worker thread is shown from here (widgets made on another
    thread would abort the app)."""

    show = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.show.connect(self._show)

    def _show(self, text: str, log_file: str) -> None:
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
        sys.__stderr__.write(text)
        if QApplication.instance() is not None:
            relay.show.emit(text, str(log_file))  # shown at once on the GUI thread, queued from any other

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
