"""An earlier result is replaced only when the user says so (issue 9, item 5: `--overwrite`), and never while a
sort still runs into the folder (item 4: two runs aimed at the same output folder)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from ks_gui.core.ground.contract import LABEL_OUTPUT, provenance_file
from ks_gui.core.results import history
from tests.conftest import run_cli, sim_sort_args

pytestmark = pytest.mark.engine


def dat_path(output: Path) -> str:
    values: dict = {}
    exec((output / "params.py").read_text(), {}, values)  # params.py is Python, as phy reads it
    return values["dat_path"]


def test_overwrite_replaces_an_earlier_result_only_when_asked(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    first = run_cli(*sim_sort_args(recording.folder, output, "--temp-dir", str(tmp_path / "disk-a")))
    assert first.returncode == 0, first.stderr
    first_job = json.loads(provenance_file(output).read_text())["job"]["job_id"]
    (output / "notes.txt").write_text("the lab's own notes")

    refused = run_cli(*sim_sort_args(recording.folder, output, "--temp-dir", str(tmp_path / "disk-b")))
    assert refused.returncode == 2
    assert (
        refused.stderr.strip() == f"ks-gui: {output} already holds a sort: choose a new output folder (or --overwrite)"
    )
    assert dat_path(output) == str(tmp_path / "disk-a" / "temp_wh.dat")

    again = run_cli(*sim_sort_args(recording.folder, output, "--temp-dir", str(tmp_path / "disk-b"), "--overwrite"))
    assert again.returncode == 0, again.stderr
    # Kilosort keeps a params.py it finds (rezToPhy writes one only if there is none): the earlier one was removed,
    # so the new one points at the new temp file.
    assert dat_path(output) == str(tmp_path / "disk-b" / "temp_wh.dat")
    record = json.loads(provenance_file(output).read_text())
    assert record["job"]["job_id"] != first_job and record["outcome"] == "succeeded"
    assert (output / "notes.txt").read_text() == "the lab's own notes"
    assert [r.status for r in history.load_all()] == ["succeeded", "succeeded"]


def test_overwrite_never_replaces_a_sort_that_is_still_running(recording, tmp_path, sim_image):
    output = tmp_path / "out"
    command = [sys.executable, "-m", "ks_gui", *sim_sort_args(recording.folder, output, "--env", "KS_GUI_SIM_PACE=0.1")]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not docker.from_env().containers.list(filters={"label": f"{LABEL_OUTPUT}={output}"}):
        assert time.monotonic() < deadline, "the first sort's container never started"
        time.sleep(0.2)

    second = run_cli(*sim_sort_args(recording.folder, output, "--overwrite"))
    assert second.returncode == 2
    assert second.stderr.strip() == f"ks-gui: a sort is still running into {output}: wait for it to end, or cancel it"
    stdout, _ = first.communicate(timeout=120)
    assert first.returncode == 0 and stdout.strip().splitlines()[-1].startswith("Sorted: ")  # undisturbed
    assert len(history.load_all()) == 1
