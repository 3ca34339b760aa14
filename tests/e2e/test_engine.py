"""Connecting to the engine, and what the user is told when that fails (real sockets, real engine)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ks_gui.core.places.docker_engine import EngineError, connect
from tests.conftest import SIM_IMAGE

pytestmark = pytest.mark.engine


def test_no_engine_behind_the_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    with pytest.raises(EngineError) as caught:
        connect(timeout=5)
    assert caught.value.kind == "not_running"
    assert caught.value.message.startswith("the Docker engine is not running")


def test_a_stale_socket_nobody_listens_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "stale.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the file stays, nobody listens: connections are refused
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    with pytest.raises(EngineError) as caught:
        connect(timeout=5)
    assert caught.value.kind == "not_running"


def test_permission_denied_on_the_socket(engine, tmp_path: Path):
    """As a user outside the docker group, the real socket refuses; the message says how to join the group."""
    command = [sys.executable, "-c", "from ks_gui.core.places.docker_engine import connect\nconnect(timeout=5)"]
    if os.getuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, cwd=Path(__file__).resolve().parents[2]
    )
    assert "ks_gui.core.places.docker_engine.EngineError: permission denied on the Docker socket" in done.stderr


def test_the_cli_says_it_in_one_line(tmp_path: Path, recording, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ks_gui",
            "sort",
            str(recording.folder),
            "--output",
            str(tmp_path / "out"),
            "--image",
            SIM_IMAGE,
            "--license",
            "server:27000@lic",
            "--param",
            "NchanTOT=32",
            "--param",
            "fs=30000",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "ks-gui: the Docker engine is not running: start Docker (sudo systemctl start docker) and try again"
    )
