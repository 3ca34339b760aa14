"""A local Kilosort 4 sort is as durable as a Docker one (issue 28, item 3): its launcher hung up (a closed
terminal's SIGHUP), the sort goes on, `ks-gui status` lists it, `status --attach` follows it to its end, and its
record says how it ended. A real Kilosort 4 sort on the CPU, in the test environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import job_file, provenance_file
from ks_gui.core.ground.locations import local_runs_dir
from ks_gui.core.results import history
from tests.conftest import run_cli
from tests.e2e.test_kilosort4_sort import kilosort4_sort_args, ks4_env  # noqa: F401  (a fixture)
from tests.helpers.planted import PlantedRecording, write_recording

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def short(tmp_path: Path) -> PlantedRecording:
    """A short planted recording: the sort is followed to its end on a busy 2-core machine."""
    return write_recording(tmp_path / "rec", duration_s=12.0)


def wait_for(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.2)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_local_sort_outlives_its_hung_up_launcher_and_status_attach_finishes_it(
    short: PlantedRecording, tmp_path: Path
):
    output = tmp_path / "sorted"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ks_gui", *kilosort4_sort_args(short.binary.parent, output)],
        stdout=subprocess.PIPE,  # a terminal's pipe: it breaks with the launcher
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(lambda: job_file(output).exists() and history.load_all(), "the sort's start")
    (record,) = history.load_all()
    process = json.loads((local_runs_dir() / record.job_id / "process.json").read_text())
    time.sleep(3)  # Kilosort 4 is under way
    launcher.send_signal(signal.SIGHUP)  # the terminal closes
    launcher.wait(timeout=20)
    launcher.stdout.close()
    assert launcher.returncode == -signal.SIGHUP
    time.sleep(2)
    assert alive(process["pid"]), "the sort died with its launcher"

    listed = run_cli("status", "--json")
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)["runs"]
    assert (run["output"], run["place"], run["state"]) == (str(output), "local", "running")

    done = run_cli("status", "--attach", timeout=540)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Sorted: " in done.stdout and str(output) in done.stdout
    (record,) = history.load_all()
    assert record.status == "succeeded" and record.units
    kept = json.loads(provenance_file(output).read_text())
    assert kept["outcome"] == "succeeded" and kept["exit_code"] == 0
    log = Path(record.log_file).read_text()
    assert "[ks-gui] stage start" in log and "[ks-gui] stage done" in log  # followed from its very beginning
    assert not (local_runs_dir() / record.job_id).exists()  # forgotten once followed to its end
    assert run_cli("status", "--json").stdout.count('"job_id"') == 0
