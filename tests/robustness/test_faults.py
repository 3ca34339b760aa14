"""Faults, against the real engine and the stand-in image: what the user sees, and that nothing is lost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from ks_gui.core.ground.contract import LABEL_OUTPUT
from ks_gui.core.results import history
from tests.conftest import run_cli, sim_sort_args, write_recording

pytestmark = pytest.mark.engine


def sort_command(recording_folder: Path, output: Path, pace: str = "0.1") -> list[str]:
    return [
        sys.executable,
        "-m",
        "ks_gui",
        *sim_sort_args(recording_folder, output, "--env", f"KS_GUI_SIM_PACE={pace}"),
    ]


def running_container(output: Path, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        found = docker.from_env().containers.list(filters={"label": f"{LABEL_OUTPUT}={output}"})
        if found and history.load_all():
            return found[0]
        assert time.monotonic() < deadline, "the sort's container never started"
        time.sleep(0.2)


def test_a_killed_container_is_said_plainly(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    sort = subprocess.Popen(sort_command(recording.folder, output), stdout=subprocess.PIPE, text=True)
    running_container(output).kill()  # as the kernel's OOM killer or `docker kill` would
    stdout, _ = sort.communicate(timeout=60)
    assert sort.returncode == 1
    assert "Sort failed: The sort was killed from outside ks-gui (exit code 137)." in stdout
    assert history.load_all()[0].status == "failed"
    assert json.loads((output / ".ks-gui" / "run.json").read_text())["exit_code"] == 137


def test_a_second_sort_into_the_same_folder_is_refused(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    first = subprocess.Popen(sort_command(recording.folder, output), stdout=subprocess.PIPE, text=True)
    running_container(output)
    second = run_cli(*sort_command(recording.folder, output)[3:])
    assert second.returncode == 2
    assert (
        second.stderr.strip() == f"ks-gui: {output} already holds a sort: choose a new output folder (or --overwrite)"
    )
    first.communicate(timeout=120)
    assert first.returncode == 0  # the first one was not disturbed


def test_the_recording_unplugged_mid_run_leaves_an_honest_record(tmp_path, sim_image):
    """The drive holding the recording goes away while the mex files compile, before Kilosort reads the file: the
    sort fails saying so, its log and record are kept, and no container is left."""
    recording = write_recording(tmp_path / "usb-drive" / "rec", seconds=10)
    output = tmp_path / "out"
    sort = subprocess.Popen(sort_command(recording.folder, output), stdout=subprocess.PIPE, text=True)
    running_container(output)
    log_file = Path(history.load_all()[0].log_file)
    deadline = time.monotonic() + 60
    while not (log_file.is_file() and "[ks-gui] compile 1/9" in log_file.read_text()):
        assert time.monotonic() < deadline, "the sorter never began to compile"
        time.sleep(0.05)
    shutil.rmtree(tmp_path / "usb-drive")
    stdout, _ = sort.communicate(timeout=120)
    assert sort.returncode == 1
    assert "Sort failed: Kilosort could not read the recording." in stdout, stdout
    (record,) = history.load_all()
    assert record.status == "failed" and record.ended and log_file.is_file()
    assert json.loads((output / ".ks-gui" / "run.json").read_text())["outcome"] == "failed"
    assert docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"}) == []


def test_no_room_on_the_output_disk(recording, tmp_path, sim_image):
    """The output folder's disk fills up mid-run: the failure says so, and the log is kept elsewhere."""
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600m", "tmpfs", str(disk)], check=True)
    try:
        output = disk / "out"
        sort = subprocess.Popen(sort_command(recording.folder, output, pace="0.2"), stdout=subprocess.PIPE, text=True)
        running_container(output)
        with (disk / "filler").open("wb") as filler:  # another program fills the disk
            try:
                while True:
                    filler.write(b"\0" * (1 << 20))
            except OSError:
                pass
        stdout, _ = sort.communicate(timeout=120)
        assert sort.returncode == 1
        assert "Sort failed: " in stdout
        assert "disk" in stdout.lower() or "space" in stdout.lower(), stdout
        (record,) = history.load_all()
        assert record.status == "failed" and Path(record.log_file).is_file()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
