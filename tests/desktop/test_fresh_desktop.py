"""The README's first command on a fresh desktop (issue #22), with real parts: a Debian 12 made from Debian's packages
(Python, OpenGL, fontconfig, D-Bus, xkbcommon; no xcb-util libraries), ks-gui's wheel installed in it, and this
machine's Xvfb shared with the container as a user's X server. Screenshots land in build/desktop-test/screenshots."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import running_xvfb
from tests.desktop.images import CACHE, REPOSITORY, VENV, app_image, docker, project_wheel, with_packages

pytestmark = pytest.mark.engine
TITLE = "ks-gui — Kilosort in Docker"
SCREENSHOTS = CACHE / "screenshots"
X11_SOCKETS = "/tmp/.X11-unix"
# `ks-gui doctor --json` (stdout; it exits 1 here: no Docker engine in the container), then `ks-gui` (stderr).
DOCTOR_THEN_WINDOW = f"{VENV}/bin/ks-gui doctor --json || true; exec {VENV}/bin/ks-gui"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def app(wheel: Path) -> str:
    return app_image(wheel)


@pytest.fixture
def screen() -> Iterator[str]:
    with running_xvfb("1280x800x24") as display:
        yield display


def ks_gui_command(wheel: Path, then: str = f"exec {VENV}/bin/ks-gui") -> list[str]:
    """What a user does after `pip install`: the project's wheel goes in when the container starts, then `ks-gui`."""
    install = f"{VENV}/bin/pip install --quiet --no-index --no-deps /wheel/{wheel.name}"
    return ["bash", "-ec", f"{install}; {then}"]


def run_args(wheel: Path, display: str, *extra: str) -> list[str]:
    return ["-v", f"{wheel.parent}:/wheel:ro", "-v", f"{X11_SOCKETS}:{X11_SOCKETS}", "-e", f"DISPLAY={display}", *extra]


def wait_for(what: str, condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.5)


def screenshot(display: str, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / name
    env = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "tests.desktop.grab_screen", str(png)], cwd=REPOSITORY, env=env, check=True)
    return png


def windows_on(display: str) -> str:
    done = subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True)
    return done.stdout


def viewable(display: str, title: str) -> bool:
    done = subprocess.run(["xwininfo", "-name", title, "-display", display], capture_output=True, text=True)
    return "Map State: IsViewable" in done.stdout


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Names for containers this test starts; each is removed after it."""
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_ks_gui_names_the_missing_libraries_and_after_installing_them_the_window_opens(
    wheel: Path, app: str, screen: str, containers: list[str]
):
    done = subprocess.run(
        ["docker", "run", "--rm", *run_args(wheel, screen), app, *ks_gui_command(wheel, DOCTOR_THEN_WINDOW)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # One sentence, exit code 2: no Qt plugin lines, no abort (134).
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    message = lines[0]
    assert message.startswith("ks-gui: the window cannot open: X11 (Qt's xcb plugin) needs system libraries that")
    assert "libxcb-cursor.so.0" in message and "libxcb-icccm.so.4" in message
    install = re.search(r"Debian/Ubuntu: sudo apt-get install ([^;]+); Fedora: sudo dnf install ([^)]+)\)", message)
    assert install, message
    debian_packages = install.group(1).split()
    assert "libxcb-cursor0" in debian_packages and "xcb-util-cursor" in install.group(2).split()
    assert TITLE not in windows_on(screen)  # and Qt never reached the screen
    # doctor (and the window's Check setup, from the same checks) has the line of its own.
    display_line = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "Display libraries")
    assert not display_line["ok"] and "libxcb-cursor.so.0" in display_line["detail"]
    assert (
        display_line["fix"].startswith("Debian/Ubuntu: sudo apt-get install ")
        and "libxcb-cursor0" in display_line["fix"]
    )

    # The user runs the command it named; then the same `ks-gui` opens its window.
    fixed = with_packages(app, "ks-gui-test-desktop-fixed", debian_packages)
    name = f"ks-gui-test-x11-{uuid.uuid4().hex[:8]}"
    containers.append(name)
    docker("run", "-d", "--name", name, *run_args(wheel, screen), fixed, *ks_gui_command(wheel))
    wait_for("ks-gui window on the X server", lambda: viewable(screen, TITLE))
    time.sleep(3)  # its first frames
    assert docker("inspect", "--format", "{{.State.Running}}", name) == "true", docker("logs", name)
    png = screenshot(screen, "fresh-desktop-x11.png")
    assert png.stat().st_size > 20_000  # a window's worth of pixels, not a black screen (about 1 kB)
    assert (
        "Could not load the Qt platform plugin"
        not in subprocess.run(["docker", "logs", name], capture_output=True, text=True).stderr
    )


def test_on_wayland_the_window_opens_through_qts_wayland_plugin_without_the_xcb_libraries(
    wheel: Path, app: str, screen: str, containers: list[str]
):
    """Debian's weston as the Wayland compositor (its X11 backend, drawn on the Xvfb so the screenshot shows it);
    ks-gui gets WAYLAND_DISPLAY and no DISPLAY, in an image that still lacks libxcb-cursor0."""
    compositor = with_packages(app, "ks-gui-test-desktop-weston", ["weston"])
    name = f"ks-gui-test-wayland-{uuid.uuid4().hex[:8]}"
    containers.append(name)
    then = (
        "mkdir -m 700 -p /tmp/xdg; "
        f"! {VENV}/bin/python -c 'import ctypes; ctypes.CDLL(\"libxcb-cursor.so.0\")' 2>/dev/null; "
        "weston --backend=x11-backend.so --use-pixman --width=1240 --height=780 --socket=wayland-1 --idle-time=0 "
        ">/tmp/weston.log 2>&1 & "
        "for _ in $(seq 100); do [ -S /tmp/xdg/wayland-1 ] && break; sleep 0.2; done; "
        f"exec env -u DISPLAY WAYLAND_DISPLAY=wayland-1 WAYLAND_DEBUG=client {VENV}/bin/ks-gui"
    )
    # --ipc=host: weston's X11 backend draws through MIT-SHM on the host's Xvfb.
    args = run_args(wheel, screen, "--ipc=host", "-e", "XDG_RUNTIME_DIR=/tmp/xdg")
    docker("run", "-d", "--name", name, *args, compositor, *ks_gui_command(wheel, then))

    def titled() -> bool:
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True).stderr
        return "xdg_toplevel@" in logs and f'set_title("{TITLE}")' in logs

    wait_for("ks-gui window on the Wayland compositor", titled)
    time.sleep(3)
    assert docker("inspect", "--format", "{{.State.Running}}", name) == "true"
    png = screenshot(screen, "fresh-desktop-wayland.png")
    assert png.stat().st_size > 20_000


def test_make_runs_check_installs_the_libraries_as_root_and_otherwise_prints_the_one_command(app: str, screen: str):
    """scripts/display-libraries.sh, as `make run` calls it first (with the system's Python, before the venv)."""

    def check(*user: str) -> subprocess.CompletedProcess[str]:
        script = "/src/scripts/display-libraries.sh python3 && PYTHONPATH=/src python3 -m ks_gui.core.setup.display"
        mounts = ["-v", f"{REPOSITORY}:/src:ro", "-v", f"{X11_SOCKETS}:{X11_SOCKETS}", "-e", f"DISPLAY={screen}"]
        return subprocess.run(
            ["docker", "run", "--rm", *user, *mounts, app, "bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    as_a_user = check("--user", "65534:65534")  # no sudo in this system
    assert as_a_user.returncode == 2
    assert as_a_user.stderr.startswith(
        "make run: the window needs system libraries that are missing. Install them (Debian/Ubuntu: sudo apt-get "
        "install "
    )
    assert "libxcb-cursor0" in as_a_user.stderr and "Fedora: sudo dnf install " in as_a_user.stderr

    as_root = check()
    assert as_root.returncode == 0, as_root.stderr  # then ks-gui's own check passes
    assert as_root.stdout.startswith("make run: installing the libraries the window needs: ")
    assert "libxcb-cursor0" in as_root.stdout


def test_on_a_machine_without_a_desktop_the_numbers_come_and_the_pictures_name_what_they_need(
    wheel: Path, app: str, tmp_path: Path
):
    """A server or a cluster's login node has no desktop libraries: Qt cannot even be imported there. The unit table
    needs none; the pictures say in one line which libraries they need, and nothing is written."""
    from tests.phy.conftest import write_kilosort_folder

    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    folder.chmod(0o755)

    def results(*args: str) -> subprocess.CompletedProcess[str]:
        command = ks_gui_command(wheel, f"exec {VENV}/bin/ks-gui results /out {' '.join(args)}")
        mounts = ["-v", f"{wheel.parent}:/wheel:ro", "-v", f"{folder}:/out:ro"]
        return subprocess.run(
            ["docker", "run", "--rm", "--network", "none", *mounts, app, *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    numbers = results("--json")
    assert numbers.returncode == 0, numbers.stderr
    assert len(json.loads(numbers.stdout)["units"]) == 5

    pictures = results("--pictures", "/tmp/pictures")
    assert pictures.returncode == 2, pictures.stderr
    (line,) = pictures.stderr.splitlines()
    assert line.startswith("ks-gui: the pictures cannot be drawn here: Qt needs system libraries that are missing")
    assert "libglib-2.0.so.0" in line and "apt-get install libglib2.0-0" in line, line
