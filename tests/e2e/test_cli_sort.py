"""`ks-gui sort` end to end: the real engine, the stand-in image, real files on disk."""

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

from ks_gui.core.ground.contract import LABEL_OUTPUT, MEX_FILES
from ks_gui.core.results import history
from ks_gui.core.results.phy_folder import SORT_FILES
from tests.conftest import SIM_LICENSE, GeneratedRecording, run_cli, sim_sort_args

pytestmark = pytest.mark.engine

PHY_FILES = (*SORT_FILES, "cluster_KSLabel.tsv")


def sort_args(recording: GeneratedRecording, output: Path, *extra: str) -> list[str]:
    return sim_sort_args(recording.folder, output, *extra, channels=recording.n_channels, fs=recording.sample_rate)


def containers_for(output: Path) -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"})


def read_params_py(output: Path) -> dict:
    values: dict = {}
    exec((output / "params.py").read_text(), {}, values)  # params.py is Python, as phy reads it
    return values


def test_sort_end_to_end(recording: GeneratedRecording, tmp_path: Path, sim_image):
    before = recording.digest()
    output = tmp_path / "sorted"
    done = run_cli(*sort_args(recording, output))
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("Sorted: ") and str(output) in summary

    for name in PHY_FILES:
        assert (output / name).is_file(), name
    params = read_params_py(output)
    assert Path(params["dat_path"]).is_file()  # same-path mounts: valid on the host as written
    assert params["n_channels_dat"] == recording.n_channels
    assert recording.digest() == before  # the raw data is never written
    assert containers_for(output) == []

    (record,) = [r for r in history.load_all() if r.output == str(output)]
    assert record.status == "succeeded" and record.units and record.ended

    provenance = json.loads((output / ".ks-gui" / "run.json").read_text())
    assert provenance["exit_code"] == 0
    assert provenance["image"]["id"] == sim_image.id
    assert provenance["job"]["binary"] == str(recording.binary)
    log_file = Path(provenance["log_file"])
    log = log_file.read_text()
    assert "Saving results to Phy" in log
    assert f"units={provenance['result']['units']}" in log

    # The files belong to whoever ran the sort, not to the image's uid 1000.
    for path in [output, *output.rglob("*")]:
        assert path.stat().st_uid == os.getuid(), path

    # Compiled once per image: all 9 mex files the first time, none the second.
    assert [line.split()[-1] for line in log.splitlines() if line.startswith("[ks-gui] compile")] == [
        f"{name}.cu" for name in MEX_FILES
    ]
    second = run_cli(*sort_args(recording, tmp_path / "again"))
    assert second.returncode == 0, second.stderr
    second_log = Path(json.loads((tmp_path / "again" / ".ks-gui" / "run.json").read_text())["log_file"]).read_text()
    assert "[ks-gui] compile" not in second_log
    assert "Building with 'NVIDIA CUDA Compiler'." not in second_log


def test_temp_file_on_another_disk(recording: GeneratedRecording, tmp_path: Path, sim_image):
    fast = tmp_path / "fast-disk"
    done = run_cli(*sort_args(recording, tmp_path / "out", "--temp-dir", str(fast)))
    assert done.returncode == 0, done.stderr
    assert read_params_py(tmp_path / "out")["dat_path"] == str(fast / "temp_wh.dat")
    assert (fast / "temp_wh.dat").stat().st_uid == os.getuid()


def test_json_outcome_is_one_document(recording: GeneratedRecording, tmp_path: Path, sim_image):
    done = run_cli(*sort_args(recording, tmp_path / "out", "--json"))
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["succeeded"] is True
    assert outcome["result"]["units"] > 0 and outcome["result"]["spikes"] > 0


def test_a_failed_sort_says_why(recording: GeneratedRecording, tmp_path: Path, sim_image):
    done = run_cli(*sort_args(recording, tmp_path / "out", "--env", "KS_GUI_SIM_FAIL=gpu_out_of_memory"))
    assert done.returncode == 1
    assert "Sort failed: The GPU ran out of memory. Lower NT" in done.stdout
    assert containers_for(tmp_path / "out") == []


def test_unreachable_license_server(recording: GeneratedRecording, tmp_path: Path, sim_image):
    args = sort_args(recording, tmp_path / "out")
    args[args.index(SIM_LICENSE)] = "server:27000@unreachable"
    done = run_cli(*args)
    assert done.returncode == 1
    assert "MATLAB could not reach the license server" in done.stdout


def test_ctrl_c_stops_the_container(recording: GeneratedRecording, tmp_path: Path, sim_image):
    output = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "ks_gui", *sort_args(recording, output, "--env", "KS_GUI_SIM_PACE=0.2")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not [c for c in containers_for(output) if c.status == "running"] and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Cancelled" in stdout
    assert containers_for(output) == []


def test_dry_run_json_starts_nothing(recording: GeneratedRecording, tmp_path: Path, sim_image):
    output = tmp_path / "out"
    done = run_cli(*sort_args(recording, output, "--dry-run", "--json", "--env", "HTTPS_PROXY=http://p:3128"))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    container = document["container"]
    assert set(container) == {
        "image",
        "command",
        "environment",
        "mounts",
        "device_requests",
        "shm_size",
        "user",
        "labels",
        "stdin_open",
        "mac_address",
        "network",  # Kilosort 2.5 with a license server keeps the default network (Kilosort 4 runs with none)
    }
    assert container["network"] != "none"
    assert container["environment"] == {"HTTPS_PROXY": "http://p:3128", "MLM_LICENSE_FILE": "27000@license.example.org"}
    assert {"source": str(recording.folder), "target": str(recording.folder), "read_only": True} in container["mounts"]
    assert document["job"]["n_channels"] == recording.n_channels
    assert document["docker_run"].startswith("docker run --rm ")
    assert not output.exists()
    assert containers_for(output) == []
