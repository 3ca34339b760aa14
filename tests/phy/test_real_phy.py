"""The real phy (its own environment, PyQt5) on a real X server, opened on a folder the stand-in image sorted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ks_gui.core.results.phy import launch_phy
from ks_gui.core.results.phy_folder import folder_problems, plan_dat_path, repair_dat_path
from tests.conftest import run_cli, running_xvfb

pytestmark = pytest.mark.engine

# phy's main window is about 1700-1850 px wide.
SCREEN = "1920x1200x24"


@pytest.fixture
def screen():
    with running_xvfb(SCREEN) as display:
        yield display


@pytest.fixture
def on_screen(screen: str, phy_home: dict[str, str]) -> dict[str, str]:
    """phy's environment: the Xvfb screen (tests/conftest.py sets offscreen for our own widgets), its own home."""
    return {"DISPLAY": screen, "QT_QPA_PLATFORM": "xcb", **phy_home}


def window_titles(display: str) -> str:
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True
    )
    return tree.stdout


def wait_for_window(display: str, title: str, alive, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if f'"{title}"' in window_titles(display):
            return True
        time.sleep(0.25)
    return False


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # ended; only its new parent has yet to collect it


def test_phy_opens_on_a_moved_sort_with_its_trace_data(sorted_elsewhere: Path, phy_program, on_screen, screen):
    folder = sorted_elsewhere
    assert folder_problems(folder) == []
    plan = plan_dat_path(folder)
    assert plan.change is not None and plan.change.path == folder / "temp_wh.dat"
    repair_dat_path(plan)

    process = launch_phy(phy_program, folder, environment=on_screen)
    try:
        opened = wait_for_window(screen, f"TemplateGUI - {folder}", lambda: process.poll() is None)
        log = process.read_log()
        assert opened, f"no phy window; exit code {process.poll()}; log:\n{log}"
        assert process.failure() is None
    finally:
        process.terminate()
    assert process.wait(timeout=20) == -signal.SIGTERM  # phy ends cleanly on SIGTERM (a shell shows 143)
    log = process.read_log()
    assert "Traceback" not in log, log
    assert "does not exist" not in log, log  # the trace view's file was found
    assert Path(on_screen["HOME"], ".phy").is_dir()  # phy wrote its state into its own home, not ours


def test_cli_leaves_phy_open_after_it_exits(sorted_elsewhere: Path, phy_program, on_screen, screen):
    folder = sorted_elsewhere
    env = {**os.environ, "KS_GUI_PHY": str(phy_program), **on_screen}
    done = run_cli("phy", str(folder), "--json", env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    pid = document["pid"]
    try:
        assert document["opened"] is True and document["phy_from"] == "environment variable"
        assert document["dat_path_repair"]["kind"] == "temp"
        assert Path(document["dat_path_repair"]["backup"]).read_text().startswith("dat_path = '")
        # The launcher has exited; phy, in its own session, is still there with its window.
        assert wait_for_window(screen, f"TemplateGUI - {folder}", lambda: not process_gone(pid))
        assert os.getsid(pid) == pid
    finally:
        if not process_gone(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while not process_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_gone(pid)
    assert "Traceback" not in Path(document["log_file"]).read_text()


def test_phy_opens_on_a_kilosort4_result(tmp_path: Path, phy_program, on_screen, screen, monkeypatch):
    """A real Kilosort 4 sort (local, on the CPU), then the real phy on its folder, with its raw-data trace view."""
    from ks_gui.core.places import kilosort4_env
    from tests.e2e.test_kilosort4_sort import sort_command
    from tests.helpers.kilosort4_environment import test_environment
    from tests.helpers.planted import write_recording

    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(test_environment()))
    planted = write_recording(tmp_path / "rec", duration_s=20.0, seed=5)
    folder = tmp_path / "sorted-ks4"
    done = subprocess.run(sort_command(planted.binary.parent, folder), capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    assert folder_problems(folder) == []

    process = launch_phy(phy_program, folder, environment=on_screen)
    try:
        opened = wait_for_window(screen, f"TemplateGUI - {folder}", lambda: process.poll() is None)
        assert opened, f"no phy window; exit code {process.poll()}; log:\n{process.read_log()}"
        assert process.failure() is None
    finally:
        process.terminate()
    assert process.wait(timeout=20) == -signal.SIGTERM
    log = process.read_log()
    assert "Traceback" not in log and "does not exist" not in log, log
