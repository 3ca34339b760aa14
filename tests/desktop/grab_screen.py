"""Save a screenshot of the whole X screen in $DISPLAY (the host's Xvfb, where the container's window shows):
python -m tests.desktop.grab_screen PNG"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

if __name__ == "__main__":
    app = QApplication([sys.argv[0], "-platform", "xcb"])
    sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)
