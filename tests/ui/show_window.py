"""Show the real window on the X display in $DISPLAY, sort a recording with the stand-in image while a second one
waits in the queue, and save screenshots of the whole screen: mid-run, after the runs, and the History tab.

Run by test_screenshot.py under Xvfb:
python -m tests.ui.show_window RECORDING_FOLDER SECOND_RECORDING_FOLDER OUTPUT_FOLDER PNG_FOLDER NAME_PREFIX
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ks_gui.ui.main_window import MainWindow
from tests.conftest import SIM_IMAGE

MID_RUN_FRACTION = 0.45


def main(recording: Path, second: Path, output: Path, folder: Path, prefix: str) -> int:
    app = QApplication([sys.argv[0], "-platform", "xcb"])
    window = MainWindow(recording)
    window.form.channels.setValue(32)
    window.form.sample_rate.setValue(30000)
    window.form.output.setText(str(output))
    window.form.license_value.setText("27000@license.example.org")
    window.form.image.setText(SIM_IMAGE)
    window.form.environment.setText("KS_GUI_SIM_PACE=0.15")
    window.form.gpu.setCurrentIndex(window.form.gpu.findData("none"))
    window.show()
    window.form.sort_button.click()
    window.open_recording(second)  # queued behind the first: the queue list shows both
    window.form.output.setText(str(output.with_name(output.name + "_second")))
    window.form.sort_button.click()

    def grab(name: str) -> None:
        app.primaryScreen().grabWindow(0).save(str(folder / f"{prefix}{name}"))

    taken: set[str] = set()

    def watch() -> None:
        progress = window.run_panel.progress.value()
        if "mid" not in taken and window.running and progress >= MID_RUN_FRACTION * 1000:
            taken.add("mid")
            QTimer.singleShot(300, lambda: grab("main_window_mid_run.png"))  # let the repaint land first
        if not window.running and "after" not in taken:
            taken.add("after")
            poll.stop()
            QTimer.singleShot(500, lambda: grab("main_window_after_sort.png"))
            QTimer.singleShot(700, window.show_history)
            QTimer.singleShot(1200, lambda: (grab("main_window_history.png"), app.exit(0)))

    poll = QTimer()
    poll.timeout.connect(watch)
    poll.start(100)
    QTimer.singleShot(150_000, lambda: app.exit(3))  # never hang the test run
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]))
