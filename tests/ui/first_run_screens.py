"""The window as a new user first meets it (issue 29), on the X display in $DISPLAY, with screenshots of the whole
screen: the first start, then a raw recording dropped on it (channel count and sample rate typed by hand, then a
channel count its probe file contradicts). Uses only what every version of the window has, so it shows the window
before and after a change alike.

python -m tests.ui.first_run_screens RECORDING_FOLDER PNG_FOLDER NAME_PREFIX
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ks_gui.ui.main_window import MainWindow


def main(recording: Path, folder: Path, prefix: str) -> int:
    app = QApplication([sys.argv[0], "-platform", "xcb"])
    window = MainWindow()
    window.show()

    def grab(name: str) -> None:
        app.primaryScreen().grabWindow(0).save(str(folder / f"{prefix}{name}"))

    def dropped() -> None:
        window.open_recording(recording)
        window.form.sample_rate.setValue(30000)
        QTimer.singleShot(1500, lambda: grab("2_recording.png"))
        QTimer.singleShot(1700, lambda: window.form.channels.setValue(30))  # the probe file says 32
        QTimer.singleShot(2500, lambda: (grab("3_wrong_channel_count.png"), app.exit(0)))

    QTimer.singleShot(2500, lambda: grab("1_first_start.png"))
    QTimer.singleShot(2700, dropped)
    QTimer.singleShot(60_000, lambda: app.exit(3))  # never hang
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
