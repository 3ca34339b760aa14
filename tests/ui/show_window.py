"""Show the real window on the X display in $DISPLAY, sort a recording with the stand-in image, save a screenshot.

Run by test_screenshot.py under Xvfb: python -m tests.ui.show_window RECORDING_FOLDER OUTPUT_FOLDER PNG
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ks_gui.ui.main_window import MainWindow
from tests.conftest import SIM_IMAGE


def main(recording: Path, output: Path, png: Path) -> int:
    app = QApplication([sys.argv[0], "-platform", "xcb"])
    window = MainWindow(recording)
    window.channels.setValue(32)
    window.sample_rate.setValue(30000)
    window.output.setText(str(output))
    window.license_value.setText("27000@license.example.org")
    window.image.setText(SIM_IMAGE)
    window.environment.setText("KS_GUI_SIM_PACE=0.02")
    window.gpu.setCurrentIndex(window.gpu.findData("none"))
    window.show()
    window.sort_button.click()

    def grab_when_done() -> None:
        if window.running:
            return
        # Let the last repaint land before grabbing the whole screen, as a screenshot tool would.
        QTimer.singleShot(500, lambda: (app.primaryScreen().grabWindow(0).save(str(png)), app.exit(0)))
        poll.stop()

    poll = QTimer()
    poll.timeout.connect(grab_when_done)
    poll.start(200)
    QTimer.singleShot(90_000, lambda: app.exit(3))  # never hang the test run
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
