"""`ks-gui WORD`: a command, a recording to open in the window, or a usage error that never opens the window; and
the window's own start in a session that cannot show it (issue #22). Each runs `ks-gui` in a new process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# ks-gui as it starts for a user (not the tests' offscreen platform), then whether Qt was ever loaded.
CHILD = """
import sys
from ks_gui.cli import main
code = main(sys.argv[1:])
print(code, "PySide6" in sys.modules)
"""


def ks_gui(*args: str, **environ: str) -> tuple[int, bool, str]:
    """Exit code, whether Qt was loaded, stderr: with no display unless `environ` gives one."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    code, qt_loaded = done.stdout.split()
    return int(code), qt_loaded == "True", done.stderr


def test_a_mistyped_command_is_a_usage_error_that_names_the_command_it_resembles(tmp_path: Path):
    code, qt_loaded, stderr = ks_gui("sotr", str(tmp_path), DISPLAY=":0")
    assert (code, qt_loaded) == (2, False)
    assert stderr.splitlines() == [
        "ks-gui: unknown command 'sotr' (did you mean sort?); the commands: sort, status, install-desktop, "
        "uninstall-desktop, doctor, inspect, phy, install, explain, image, results, qc (ks-gui --help); or open the "
        "window with a recording: ks-gui [RECORDING]"
    ]


def test_a_command_that_does_not_exist_lists_the_commands_without_a_guess(tmp_path: Path):
    code, qt_loaded, stderr = ks_gui("curate", str(tmp_path), DISPLAY=":0")
    assert (code, qt_loaded) == (2, False)
    assert stderr.startswith("ks-gui: unknown command 'curate'; the commands: sort, status,")


def test_a_recording_path_that_does_not_exist_is_named(tmp_path: Path):
    code, qt_loaded, stderr = ks_gui(str(tmp_path / "rec.bin"), DISPLAY=":0")
    assert (code, qt_loaded) == (2, False)
    assert stderr == f"ks-gui: no such recording: {tmp_path / 'rec.bin'} (neither a file nor a folder)\n"


def test_an_existing_folder_goes_to_the_window_which_says_there_is_no_display(tmp_path: Path):
    """Over SSH without -X: one sentence that points to the command line, no Qt abort (exit 134) and no Qt lines."""
    code, qt_loaded, stderr = ks_gui(str(tmp_path))
    assert (code, qt_loaded) == (2, False)
    assert len(stderr.splitlines()) == 1
    assert stderr.startswith("ks-gui: no display: the window needs a desktop session (X11 or Wayland")
    assert "ks-gui sort RECORDING --output FOLDER" in stderr and "ssh -X" in stderr


def test_a_stale_display_is_named_instead_of_a_qt_abort(tmp_path: Path):
    code, qt_loaded, stderr = ks_gui(str(tmp_path), DISPLAY=":987")
    assert (code, qt_loaded) == (2, False)
    assert stderr.startswith("ks-gui: no X server answers on DISPLAY=:987 (or it does not let this user in)")


def test_the_commands_still_run(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "ks_gui", "explain", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and "usage: ks-gui explain" in done.stdout
