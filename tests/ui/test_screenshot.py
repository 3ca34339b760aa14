"""The real window on a real X server (Xvfb) the size of a 1366x768 laptop screen, with screenshots a person can
look at: build/screenshots/main_window_{mid_run,after_sort,history}.png."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import running_xvfb

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "build" / "screenshots"
NAMES = ("main_window_mid_run.png", "main_window_after_sort.png", "main_window_history.png")


@pytest.mark.engine
def test_window_on_a_real_display(recording, tmp_path, sim_image):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (SCREENSHOTS / name).unlink(missing_ok=True)
    with running_xvfb("1366x768x24") as display:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.ui.show_window",
                str(recording.folder),
                str(tmp_path / "out"),
                str(SCREENSHOTS),
            ],
            cwd=REPOSITORY,
            env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"},
            capture_output=True,
            text=True,
            timeout=150,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        image = QImage(str(SCREENSHOTS / name))
        assert (image.width(), image.height()) == (1366, 768), name
        # A drawn window, not an empty screen: many distinct colours (text, icons, the progress bar).
        colours = {image.pixel(x, y) for x in range(0, 1366, 7) for y in range(0, 768, 7)}
        assert len(colours) > 20, name
    assert (tmp_path / "out" / "params.py").is_file()
