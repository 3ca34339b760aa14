"""A container that prints 200,000 lines as fast as it can: the window stays responsive, memory stays bounded,
and every line reaches the log file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from ks_gui.ui.log_view import LINES_KEPT as LOG_LINES_KEPT
from tests.conftest import build_image
from tests.ui.conftest import drop_path, type_into

pytestmark = pytest.mark.engine

FLOOD_IMAGE = "ks-gui-flood:latest"
N_LINES = 200_000
# KS_GUI_FLOOD_LINES (in the container's environment) changes the count: tests/bench/log_flood.py's baselines.
FLOOD_DOCKERFILE = f"""FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL ks-gui.contract="1" ks-gui.sorter="kilosort2.5" ks-gui.gpu="optional"
ENTRYPOINT ["/bin/sh", "-c", "seq 1 ${{KS_GUI_FLOOD_LINES:-{N_LINES}}} | sed 's/^/0.00 sec, line /'", "--"]
"""


@pytest.fixture(scope="module")
def flood_image(engine):
    build_image(FLOOD_IMAGE, FLOOD_DOCKERFILE, busybox=True)
    return FLOOD_IMAGE


class StallMeter:
    """A 10 ms timer on the GUI thread: how often it ran and the longest gap between two runs."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest_ms = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        self.ticks += 1
        self.longest_ms = max(self.longest_ms, self._clock.restart())

    def stop(self) -> None:
        self._timer.stop()


def test_a_flood_of_output_keeps_the_window_responsive(qtbot, window, recording, tmp_path, flood_image):
    drop_path(window.form.drop_zone, recording.folder)
    type_into(qtbot, window.form.channels, "32")
    type_into(qtbot, window.form.sample_rate, "30000")
    type_into(qtbot, window.form.output, str(tmp_path / "out"))
    type_into(qtbot, window.form.license_value, "27000@license.example.org")
    type_into(qtbot, window.form.image, flood_image)
    window.form.gpu.setCurrentIndex(window.form.gpu.findData("none"))
    meter = StallMeter()
    meter.start()
    started = time.monotonic()
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    elapsed = time.monotonic() - started
    meter.stop()

    log_file = Path(json.loads((tmp_path / "out" / ".ks-gui" / "run.json").read_text())["log_file"])
    assert log_file.read_text().splitlines() == [f"0.00 sec, line {i}" for i in range(1, N_LINES + 1)]
    print(f"\n{N_LINES} lines in {elapsed:.1f} s; longest event-loop stall {meter.longest_ms} ms, {meter.ticks} ticks")
    # The event loop kept running all along: at least one tick per 200 ms of the run.
    assert meter.ticks >= elapsed / 0.2
    assert window.run_panel.log.blockCount() <= LOG_LINES_KEPT + 1  # the view keeps a bounded tail
    assert window.run_panel.log.toPlainText().splitlines()[-1] == f"0.00 sec, line {N_LINES}"
