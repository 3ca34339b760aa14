"""The launcher dies mid-run (kill -9) and is started again: the sort went on in its container, and the new
launcher finds it, follows it to its end, records its result and removes the container."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from ks_gui.core.ground.contract import LABEL_JOB, LABEL_OUTPUT
from ks_gui.core.results import history
from tests.conftest import run_cli, sim_sort_args

pytestmark = pytest.mark.engine


def start_slow_sort(recording, output: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "ks_gui",
        *sim_sort_args(recording.folder, output, "--env", "KS_GUI_SIM_PACE=0.05"),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def containers_for(output: Path) -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"})


def wait_for_running_container(output: Path) -> None:
    """Until the container runs and the launcher has put the run on record."""
    deadline = time.monotonic() + 60
    while not [c for c in containers_for(output) if c.status == "running"] or not history.load_all():
        assert time.monotonic() < deadline, "the sort's container never started"
        time.sleep(0.2)


def test_a_killed_launcher_leaves_a_sort_that_the_next_one_finishes(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    launcher = start_slow_sort(recording, output)
    wait_for_running_container(output)
    time.sleep(1.5)
    launcher.send_signal(signal.SIGKILL)  # the app dies: no cancel, no clean-up
    launcher.wait(timeout=10)
    assert [r.status for r in history.load_all()] == ["running"]
    assert [c.status for c in containers_for(output)] == ["running"]  # the sort goes on without it

    listed = run_cli("status", "--json")
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)["runs"]
    assert run["output"] == str(output) and run["state"] == "running"

    done = run_cli("status", "--attach")
    assert done.returncode == 0, done.stderr
    assert "Sorted: " in done.stdout and str(output) in done.stdout
    (record,) = history.load_all()
    assert record.status == "succeeded" and record.units
    log = Path(record.log_file).read_text()
    assert log.startswith("Licensing MATLAB") and "[ks-gui] stage done" in log  # from the very beginning
    assert (output / ".ks-gui" / "run.json").is_file() and (output / "params.py").is_file()
    assert containers_for(output) == []


def test_a_sort_that_ended_unseen_is_harvested(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    launcher = start_slow_sort(recording, output)
    wait_for_running_container(output)
    launcher.send_signal(signal.SIGKILL)
    launcher.wait(timeout=10)
    deadline = time.monotonic() + 90
    while [c for c in containers_for(output) if c.status == "running"]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    done = run_cli("status", "--attach", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["runs"][0]["state"] == "ended unseen"
    assert document["outcomes"][0]["succeeded"] is True
    assert history.load_all()[0].status == "succeeded"
    assert containers_for(output) == []


def test_a_run_whose_container_is_gone_is_called_interrupted(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    launcher = start_slow_sort(recording, output)
    wait_for_running_container(output)
    log_file = Path(history.load_all()[0].log_file)
    deadline = time.monotonic() + 60
    while not (log_file.is_file() and "[ks-gui] stage compile" in log_file.read_text()):
        assert time.monotonic() < deadline, "the launcher wrote no log"
        time.sleep(0.05)
    launcher.send_signal(signal.SIGKILL)
    launcher.wait(timeout=10)
    for container in containers_for(output):
        container.remove(force=True)  # e.g. removed by hand, or the machine rebooted with --rm semantics
    assert run_cli("status").stdout.strip() == "No sort is running, and none ended unseen."
    (record,) = history.load_all()
    assert record.status == "interrupted"
    # The log is on disk although the launcher died and the container is gone: what it read, line by line.
    log = Path(record.log_file).read_text()
    assert log.startswith("Licensing MATLAB") and "[ks-gui] stage compile\n" in log


def test_only_this_users_sorts_are_followed(engine, sim_image):
    """On a shared workstation another user's sort (its container runs as that user's uid) is not ours to follow,
    record or remove."""
    client = docker.from_env()
    mine = f"{os.getuid()}:{os.getgid()}"
    created = {
        user: client.containers.create(
            sim_image.name, labels={LABEL_JOB: f"job-of-{user}", LABEL_OUTPUT: "/x"}, user=user
        )
        for user in (mine, "4321:4321")
    }
    try:
        found = {container.job_id for container in engine.launched_containers()}
        assert f"job-of-{mine}" in found and "job-of-4321:4321" not in found
    finally:
        for container in created.values():
            container.remove(force=True)
