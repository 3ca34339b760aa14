"""Secrets stay out of container configs (issue 28, item 4): the batch token of `--license token:…` goes to the
container on its stdin, so neither `docker inspect` of the running sort nor the engine's own files for it hold it,
and MATLAB (the stand-in, which checks the token) still gets it. The real engine and the stand-in image."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from ks_gui.core.ground.contract import LABEL_OUTPUT
from tests.conftest import GeneratedRecording, sim_sort_args

pytestmark = pytest.mark.engine

TOKEN = "c2VjcmV0LXRva2VuLWluc3BlY3RlZA"


def test_docker_inspect_of_a_running_token_sort_holds_no_token(
    recording: GeneratedRecording, tmp_path: Path, sim_image
):
    output = tmp_path / "out"
    args = sim_sort_args(recording.folder, output, "--env", "KS_GUI_SIM_PACE=0.05")
    args[args.index("--license") + 1] = f"token:ada@example.org::{TOKEN}"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ks_gui", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    client = docker.from_env()
    deadline = time.monotonic() + 60
    while not (found := client.containers.list(filters={"label": f"{LABEL_OUTPUT}={output}"})):
        assert time.monotonic() < deadline and launcher.poll() is None, "the sort's container never ran"
        time.sleep(0.1)
    (container,) = found
    inspected = json.dumps(client.api.inspect_container(container.id))
    engine_files = ""
    config = Path(client.info()["DockerRootDir"]) / "containers" / container.id
    if config.is_dir():  # the engine's own record of the container, where this account may read it (root here)
        engine_files = "".join(p.read_text(errors="replace") for p in config.glob("*.json"))
    out, err = launcher.communicate(timeout=300)
    assert launcher.returncode == 0, err
    assert "Sorted: " in out  # the stand-in MATLAB read the token (it refuses a missing or malformed one)
    assert "ks-gui.job" in inspected and TOKEN not in inspected
    assert TOKEN not in engine_files
