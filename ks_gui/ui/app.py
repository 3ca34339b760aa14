"""Start the window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

from PySide6.QtWidgets import QApplication

from ks_gui.ui import icons
from ks_gui.ui.exception_hook import install_exception_hook
from ks_gui.ui.garbage import MainThreadGarbageCollector
from ks_gui.ui.main_window import MainWindow


def run_app(recording: Path | None = None) -> int:
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))  # only this app makes one
    _window = open_window(app, recording)  # referenced while the event loop runs
    return app.exec()


def open_window(app: QApplication, recording: Path | None = None) -> MainWindow:
    """All that `ks-gui` does to open its window, up to the event loop (tests/bench/window_start.py times it).

    What the first frame does not show waits until that frame is on screen (the window completes itself), then
    qtawesome's glyphs, then the look for sorts an earlier launcher left (it loads Docker's SDK, on a pool thread
    that would compete for the GIL)."""
    app.setApplicationName("ks-gui")
    app.setDesktopFileName("ks-gui")
    install_exception_hook()
    MainThreadGarbageCollector(app)
    window = MainWindow(recording)

    def after_first_frame() -> None:
        icons.load_now()
        window.follow_earlier_runs()

    window.completed.connect(after_first_frame)
    window.show()
    return window
