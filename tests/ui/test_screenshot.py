"""The real window on a real X server (Xvfb) the size of a 1366x768 laptop screen and of a 4K screen at 200% scale,
with screenshots a person can look at: build/screenshots/{laptop,4k}_main_window_{mid_run,after_sort,history}.png."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import running_xvfb, write_recording

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "build" / "screenshots"
NAMES = ("main_window_mid_run.png", "main_window_after_sort.png", "main_window_history.png")


SCREENS = {
    # name: (Xvfb screen, the scale a desktop sets on it)
    "laptop": ("1366x768x24", "1"),
    "4k": ("3840x2160x24", "2"),
}


@pytest.mark.engine
@pytest.mark.parametrize("screen", SCREENS)
def test_window_on_a_real_display(screen, recording, tmp_path, sim_image):
    size, scale = SCREENS[screen]
    width, height = (int(n) for n in size.split("x")[:2])
    second = write_recording(tmp_path / "second_rec", seconds=2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    names = [f"{screen}_{name}" for name in NAMES]
    for name in names:
        (SCREENSHOTS / name).unlink(missing_ok=True)
    with running_xvfb(size) as display:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.ui.show_window",
                str(recording.folder),
                str(second.folder),
                str(tmp_path / "out"),
                str(SCREENSHOTS),
                f"{screen}_",
            ],
            cwd=REPOSITORY,
            env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "QT_SCALE_FACTOR": scale},
            capture_output=True,
            text=True,
            timeout=200,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    for name in names:
        image = QImage(str(SCREENSHOTS / name))
        assert (image.width(), image.height()) == (width, height), name
        # A drawn window, not an empty screen: many distinct colours (text, icons, the progress bar).
        colours = {image.pixel(x, y) for x in range(0, width, 7) for y in range(0, height, 7)}
        assert len(colours) > 20, name
    assert (tmp_path / "out" / "params.py").is_file() and (tmp_path / "out_second" / "params.py").is_file()
