"""One sort per output folder, claimed in one atomic step (issue 28, item 2): two `ks-gui sort` started at once into
one output, many times over: exactly one runs, the other says one line and exits 2; the folder's job file and run
record name the same job. The real engine and the stand-in image."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ks_gui.core.claim import ClaimError, claim_output, claimed_by
from ks_gui.core.ground.contract import RUN_FOLDER, job_file, provenance_file
from tests.conftest import GeneratedRecording, run_cli, sim_sort_args

pytestmark = pytest.mark.engine

TRIALS = 6


def sort_at_once(*commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """The commands started together, each as a user's `ks-gui`; their ends."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ks_gui", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in commands
    ]
    ends = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        ends.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return ends


def assert_one_ran(ends: list[subprocess.CompletedProcess[str]], output: Path) -> None:
    codes = sorted(end.returncode for end in ends)
    assert codes == [0, 2], [(end.returncode, end.stderr) for end in ends]
    refused = next(end for end in ends if end.returncode == 2)
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ks-gui: ") and str(output) in lines[0], lines
    record = json.loads(provenance_file(output).read_text())
    assert record["outcome"] == "succeeded"
    assert record["job"]["job_id"] == json.loads(job_file(output).read_text())["job_id"] == claimed_by(output)


def test_two_sorts_started_at_once_into_one_output_one_runs(recording: GeneratedRecording, tmp_path: Path, sim_image):
    for trial in range(TRIALS):
        output = tmp_path / f"out{trial}"
        args = sim_sort_args(recording.folder, output)
        assert_one_ran(sort_at_once(args, args), output)


def test_two_overwrites_started_at_once_one_runs(recording: GeneratedRecording, tmp_path: Path, sim_image):
    output = tmp_path / "out"
    assert run_cli(*sim_sort_args(recording.folder, output)).returncode == 0
    for _trial in range(TRIALS // 2):
        args = sim_sort_args(recording.folder, output, "--overwrite")
        assert_one_ran(sort_at_once(args, args), output)


def test_a_claim_is_one_step_and_an_overwrite_waits_for_the_claiming_sort(tmp_path: Path):
    output = tmp_path / "out"
    (output / RUN_FOLDER).mkdir(parents=True)
    claim_output(output, "job-a", "docker", overwrite=False, still_running=lambda job: True)
    with pytest.raises(ClaimError, match="just taken by another sort \\(job-a\\)"):
        claim_output(output, "job-b", "docker", overwrite=False, still_running=lambda job: False)
    with pytest.raises(ClaimError, match="a sort is still running into"):
        claim_output(output, "job-b", "docker", overwrite=True, still_running=lambda job: job == "job-a")
    # Its place no longer runs it, but its launcher (this process) lives: it may be about to start it.
    with pytest.raises(ClaimError, match="a sort is still running into"):
        claim_output(output, "job-b", "docker", overwrite=True, still_running=lambda job: False)
    assert claimed_by(output) == "job-a"
    provenance_file(output).write_text(json.dumps({"job": {"job_id": "job-a"}, "outcome": "failed"}))
    claim_output(output, "job-c", "docker", overwrite=True, still_running=lambda job: False)
    assert claimed_by(output) == "job-c"
