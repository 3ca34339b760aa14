"""`ks-gui doctor` against the real engine: stopped, unreachable for this user, image missing, image fine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SIM_IMAGE, run_cli

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


def checks_of(done: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    document = json.loads(done.stdout)  # exactly one JSON document
    assert set(document) == {"checks"}
    for check in document["checks"]:
        assert set(check) == {"name", "ok", "detail", "fix"}
    return {check["name"]: check for check in document["checks"]}


def test_engine_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'nobody-serves-this.sock'}")
    done = run_cli("doctor", "--json", timeout=60)
    assert done.returncode == 1
    checks = checks_of(done)
    assert checks["Docker engine"] == {
        "name": "Docker engine",
        "ok": False,
        "detail": "the Docker engine is not running",
        "fix": "start Docker: sudo systemctl start docker",
    }
    assert checks["NVIDIA container runtime"]["detail"] == "not checked: no Docker engine"
    assert checks["Image ks-gui/kilosort2.5:latest"]["fix"] == "fix the Docker engine first"

    text = run_cli("doctor", timeout=60)
    assert "NO  Docker engine" in text.stdout and "fix: start Docker: sudo systemctl start docker" in text.stdout


def test_socket_unreadable_for_this_user(engine, tmp_path: Path):
    """As a user outside the docker group (nobody, as in test_engine.py), the real socket refuses."""
    command = [sys.executable, "-m", "ks_gui", "doctor", "--json"]
    if os.getuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    # nobody's own folders: the test's XDG folders belong to root.
    env = {**os.environ, "HOME": str(tmp_path), **{v: str(tmp_path / v) for v in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")}}
    for folder in (tmp_path, *tmp_path.parents[:2]):
        folder.chmod(folder.stat().st_mode | 0o755)
    tmp_path.chmod(0o777)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT, env=env)
    checks = checks_of(done)
    assert checks["Docker engine"]["detail"] == "permission denied on the Docker socket"
    assert checks["Docker engine"]["fix"] == (
        "add yourself to the docker group: sudo usermod -aG docker $USER, then log out and back in"
    )


def test_image_missing_and_image_fine(sim_image):
    done = run_cli("doctor", "--json", "--image", "ks-gui-test/missing:latest", "--image", SIM_IMAGE, timeout=60)
    checks = checks_of(done)
    assert checks["Docker engine"]["ok"] and checks["Docker engine"]["detail"].startswith("Docker Engine 20.10")
    assert checks["Engine location"]["ok"]
    missing = checks["Image ks-gui-test/missing:latest"]
    assert not missing["ok"] and missing["detail"] == "ks-gui-test/missing:latest is not on this machine"
    assert missing["fix"].startswith("build it")
    fine = checks[f"Image {SIM_IMAGE}"]
    assert fine["ok"] and fine["detail"] == f"kilosort2.5 image {sim_image.short_id}, contract 1"
    # This machine: no NVIDIA toolkit, no driver, no keyring service.
    assert not checks["NVIDIA container runtime"]["ok"]
    assert checks["GPUs"]["detail"] == "no NVIDIA driver found (nvidia-smi is not installed)"
    assert done.returncode == 1


def test_image_of_another_contract_version(engine, tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(f'FROM {SIM_IMAGE}\nLABEL ks-gui.contract="0"\n')
    subprocess.run(
        ["docker", "build", "-q", "-t", "ks-gui-test/old-contract:latest", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        checks = checks_of(run_cli("doctor", "--json", "--image", "ks-gui-test/old-contract:latest", timeout=60))
    finally:
        subprocess.run(["docker", "rmi", "-f", "ks-gui-test/old-contract:latest"], capture_output=True, check=False)
    check = checks["Image ks-gui-test/old-contract:latest"]
    assert not check["ok"]
    assert check["detail"] == (
        "the image ks-gui-test/old-contract:latest speaks contract 0, this ks-gui speaks 1: rebuild the image or "
        "update ks-gui"
    )


def test_a_missing_kilosort4_image_points_to_its_build_and_to_the_local_sorter(engine):
    """The hint is a command this ks-gui runs (tests/test_packaging.py runs it from an installed wheel)."""
    done = run_cli("doctor", "--json", "--image", "ks-gui/kilosort4:latest", timeout=60)
    fix = checks_of(done)["Image ks-gui/kilosort4:latest"]["fix"]
    assert fix.startswith("build it: ks-gui image build kilosort4 (image ks-gui/kilosort4:latest)")
    assert fix.endswith("ks-gui install kilosort4")
