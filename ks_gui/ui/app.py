"""Start the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from ks_gui.ui.exception_dialog import install_exception_hook
from ks_gui.ui.garbage import MainThreadGarbageCollector
from ks_gui.ui.main_window import MainWindow


def run_app(recording: Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ks-gui")
    app.setDesktopFileName("ks-gui")
    install_exception_hook()
    MainThreadGarbageCollector(app)
    window = MainWindow(recording)
    window.show()
    window.follow_earlier_runs()
    return app.exec()
