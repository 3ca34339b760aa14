"""A folder dropped on ks-gui's menu entry (or chosen with Open With) opens the window with that recording: the
entry is launched the way a file manager launches it (`gio launch ENTRY FOLDER`), on a real X server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import run_cli, running_xvfb, write_recording


def _processes_with(variable: str, value: str) -> list[int]:
    """The processes whose environment has variable=value: the app gio started, found by a variable only it got."""
    wanted = f"{variable}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def _window_titles(display: str) -> str:
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True
    )
    return tree.stdout


def test_a_folder_dropped_on_the_menu_entry_opens_in_the_window(user_folders: Path, tmp_path: Path):
    gio = shutil.which("gio")
    assert gio, "gio (libglib2.0-bin) is installed by make test"
    recording = write_recording(tmp_path / "mouse3 day 2")  # a space, as file managers pass it
    assert run_cli("install-desktop").returncode == 0
    entry = user_folders / "xdg_data_home" / "applications" / "ks-gui.desktop"
    marker = str(tmp_path)
    with running_xvfb("1366x768x24") as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "KS_GUI_TEST_LAUNCHED_BY": marker}
        # The app inherits gio's output: a file, as a pipe would stay open (and the test wait) while the app runs.
        output = tmp_path / "launched.log"
        with output.open("wb") as sink:
            launched = subprocess.run(
                [gio, "launch", str(entry), str(recording.folder)], env=env, stdout=sink, stderr=sink
            )
        assert launched.returncode == 0, output.read_text()
        try:
            deadline = time.monotonic() + 30
            while "recording.bin — ks-gui" not in _window_titles(display) and time.monotonic() < deadline:
                time.sleep(0.2)
            titles = _window_titles(display)
        finally:
            for pid in _processes_with("KS_GUI_TEST_LAUNCHED_BY", marker):
                os.kill(pid, signal.SIGTERM)
    assert '"mouse3 day 2/recording.bin — ks-gui"' in titles, titles[-2000:]
