"""phy inside the Kilosort image: the one-display X cookie (on a real X server that checks it) and the container."""

from __future__ import annotations

import dataclasses
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from ks_gui.core.doors.phy_container import (
    CONTAINER_XAUTHORITY,
    X11_SOCKET_DIR,
    DisplayError,
    local_display_number,
    plan_phy_container,
    write_display_cookie,
)
from ks_gui.core.ground.contract import LABEL_OUTPUT
from ks_gui.core.job import Mount
from tests.conftest import SIM_IMAGE, running_xvfb
from tests.phy.conftest import write_kilosort_folder


def xauth(*args: str, auth: Path, stdin: str | None = None) -> str:
    done = subprocess.run(["xauth", "-f", str(auth), *args], input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def secured_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An Xvfb that admits only clients holding its cookie; the user's authority file also holds another
    display's cookie, which must not travel into the container."""
    cookie = secrets.token_hex(16)
    server_auth = tmp_path / "server.xauth"
    xauth("add", ":0", ".", cookie, auth=server_auth)  # the server loads every cookie in its file
    with running_xvfb("640x480x24", "-auth", str(server_auth)) as display:
        user_auth = tmp_path / "user.xauth"
        xauth("add", display, ".", cookie, auth=user_auth)
        xauth("add", "otherhost/unix:97", ".", secrets.token_hex(16), auth=user_auth)
        monkeypatch.setenv("XAUTHORITY", str(user_auth))
        monkeypatch.setenv("DISPLAY", display)
        yield display, cookie


def can_connect(display: str, authority: Path) -> bool:
    env = {**os.environ, "DISPLAY": display, "XAUTHORITY": str(authority)}
    return subprocess.run(["xwininfo", "-root"], env=env, capture_output=True, timeout=20).returncode == 0


def test_the_cookie_file_holds_that_display_only_and_opens_it(secured_screen, tmp_path: Path):
    display, cookie = secured_screen
    number = local_display_number(display)
    target = write_display_cookie(display, tmp_path / "phy.xauth")

    entries = xauth("nlist", auth=target).splitlines()
    assert len(entries) == 1
    assert entries[0].startswith("ffff ")  # any host name: the container's differs from ours
    assert entries[0].endswith(cookie)
    assert f" {str(number).encode().hex()} " in f" {entries[0]} "
    assert target.stat().st_mode & 0o777 == 0o600
    assert can_connect(display, target)
    empty = tmp_path / "empty.xauth"
    empty.touch()
    assert not can_connect(display, empty)  # the server really checks cookies: no `xhost +` here


def test_remote_or_missing_displays_are_refused():
    with pytest.raises(DisplayError, match="not a local screen"):
        local_display_number("localhost:10.0")
    with pytest.raises(DisplayError, match="DISPLAY is not set"):
        local_display_number(None)


def test_the_container_spec(secured_screen, tmp_path: Path):
    display, _cookie = secured_screen
    folder = write_kilosort_folder(tmp_path / "out")
    raw_folder = tmp_path / "fast-disk"
    raw_folder.mkdir()
    (raw_folder / "temp_wh.dat").write_bytes(b"\0" * 8 * 2 * 10)
    (folder / "params.py").write_text(
        (folder / "params.py").read_text().replace("/home/matlab/Documents/MATLAB/workspace", str(raw_folder))
    )

    plan = plan_phy_container(folder, "ks-gui/kilosort2.5:latest")
    spec = plan.spec
    assert spec.image == "ks-gui/kilosort2.5:latest"
    assert spec.entrypoint == ["phy"] and spec.command == ["template-gui", str(folder / "params.py")]
    assert spec.environment["DISPLAY"] == display
    assert spec.environment["XAUTHORITY"] == CONTAINER_XAUTHORITY
    assert set(spec.mounts) == {
        Mount(folder, str(folder), read_only=False),
        Mount(raw_folder, str(raw_folder), read_only=True),  # dat_path outside the folder, at its same path
        Mount(X11_SOCKET_DIR, str(X11_SOCKET_DIR), read_only=True),
        Mount(plan.cookie, CONTAINER_XAUTHORITY, read_only=True),
    }
    assert spec.user == f"{os.getuid()}:{os.getgid()}"
    assert spec.labels[LABEL_OUTPUT] == str(folder)
    assert spec.device_requests == [] and not spec.stdin_open
    assert "xhost" not in spec.docker_run_command()


@pytest.mark.engine
def test_the_container_sees_the_screen_and_the_folder(secured_screen, tmp_path: Path, engine, sim_image):
    """Started through the engine module; the stand-in image has no phy, so a shell checks what phy would use."""
    display, _cookie = secured_screen
    folder = write_kilosort_folder(tmp_path / "out")
    spec = plan_phy_container(folder, SIM_IMAGE).spec
    number = local_display_number(display)
    check = (
        f'test -S /tmp/.X11-unix/X{number} && test -r "$XAUTHORITY" && test -w {folder} '
        f'&& test -f {folder}/params.py && echo "ok $DISPLAY $HOME"'
    )
    container = engine.start(dataclasses.replace(spec, entrypoint=["/bin/sh", "-c", check], command=[]))
    try:
        lines = [line.text for line in container.lines()]
        assert container.wait(timeout=60) == 0, lines
    finally:
        container.remove()
    assert lines == [f"ok {display} /tmp"]
