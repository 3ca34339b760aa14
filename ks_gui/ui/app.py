"""Start the window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ks_gui.ui import icons
from ks_gui.ui.exception_dialog import install_exception_hook
from ks_gui.ui.garbage import MainThreadGarbageCollector
from ks_gui.ui.main_window import MainWindow


def run_app(recording: Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    _window = open_window(app, recording)  # referenced while the event loop runs
    return app.exec()


def open_window(app: QApplication, recording: Path | None = None) -> MainWindow:
    """All that `ks-gui` does to open its window, up to the event loop (tests/bench/window_start.py times it).

    What the first frame does not show waits until that frame is on screen: qtawesome's glyphs, then the look for
    sorts an earlier launcher left (it loads Docker's SDK, on a pool thread that would compete for the GIL)."""
    app.setApplicationName("ks-gui")
    app.setDesktopFileName("ks-gui")
    install_exception_hook()
    MainThreadGarbageCollector(app)
    window = MainWindow(recording)
    window.show()

    def after_first_frame() -> None:
        icons.load_now()
        window.follow_earlier_runs()

    _AfterFirstPaint(window, after_first_frame)
    return window


class _AfterFirstPaint(QObject):
    """Calls `then` once `window` has painted its first frame: the window's paint event comes first, its children
    paint and the frame is flushed to the screen, and then the event loop runs the posted call."""

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False
