"""The real window on a real X server (Xvfb), with a screenshot a person can look at."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "build" / "screenshots"


@pytest.mark.engine
def test_window_on_a_real_display(xvfb, recording, tmp_path, sim_image):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / "main_window_after_sort.png"
    png.unlink(missing_ok=True)
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.show_window", str(recording.folder), str(tmp_path / "out"), str(png)],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 900)
    # A drawn window, not an empty screen: many distinct colours (text, icons, the progress bar).
    colours = {image.pixel(x, y) for x in range(0, 1280, 7) for y in range(0, 900, 7)}
    assert len(colours) > 20
    assert (tmp_path / "out" / "params.py").is_file()
