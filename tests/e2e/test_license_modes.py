"""Each license mode end to end with the stand-in image, through the CLI as a user types it (a real pty for the
hidden password prompt), and the places a password or token must never reach."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ks_gui.core.events import Outcome, SignInPrompt
from ks_gui.core.ground.contract import job_file, provenance_file
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters.progress import ProgressEvent
from tests.conftest import SIM_IMAGE, prepared_run, run_cli

pytestmark = pytest.mark.engine
PASSWORD = "ks-gui-test-password"  # the stand-in's documented test password
TOKEN_SECRET = "dG9rZW4tc2VjcmV0LTQy"


def sort_args(recording, output: Path, *extra: str) -> list[str]:
    return [
        "sort", str(recording.folder), "--output", str(output), "--image", SIM_IMAGE, "--gpu", "none",
        "--param", "NchanTOT=32", "--param", "fs=30000", *extra,
    ]  # fmt: skip


def test_server_ok(sim_image, recording, tmp_path):
    done = run_cli(*sort_args(recording, tmp_path / "out", "--license", "server:27000@license.example.org"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Sorted: 16 units")


def test_server_unreachable_is_a_license_failure_with_its_hint(sim_image, recording, tmp_path):
    done = run_cli(*sort_args(recording, tmp_path / "out", "--license", "server:27000@unreachable", "--json"))
    assert done.returncode == 1
    failure = json.loads(done.stdout)["failure"]
    assert failure["kind"] == "license"
    assert failure["message"] == "MATLAB could not reach the license server."
    assert failure["hint"].startswith("Check the server's port@host")


def test_missing_license_file_starts_nothing(sim_image, recording, tmp_path):
    missing = tmp_path / "nowhere" / "license.lic"
    done = run_cli(*sort_args(recording, tmp_path / "out", "--license", f"file:{missing}"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"ks-gui: the license file {missing} does not exist"
    assert not (tmp_path / "out").exists()


def test_license_file_with_a_mac_address(sim_image, recording, tmp_path, engine):
    lic = tmp_path / "node.lic"
    lic.write_text("SERVER this_host 02:42:ac:11:00:99 27000\n")
    done = run_cli(
        *sort_args(recording, tmp_path / "out", "--license", f"file:{lic}", "--mac-address", "02-42-AC-11-00-99")
    )
    assert done.returncode == 0, done.stderr
    bad = run_cli(
        *sort_args(recording, tmp_path / "o2", "--license", "server:1@h", "--mac-address", "02:42:ac:11:00:99")
    )
    assert bad.returncode == 2 and "goes with a node-locked license file" in bad.stderr


def test_token_ok_and_rejected(sim_image, recording, tmp_path):
    ok = run_cli(*sort_args(recording, tmp_path / "out", "--license", f"token:ada@example.org::{TOKEN_SECRET}"))
    assert ok.returncode == 0, ok.stderr
    assert "no system keyring is available" in ok.stderr  # this machine has none: said, and nothing written
    rejected = run_cli(*sort_args(recording, tmp_path / "o2", "--license", "token:ada@example.org::expired"))
    assert rejected.returncode == 1 and rejected.stdout.startswith("Sort failed")
    malformed = run_cli(*sort_args(recording, tmp_path / "o3", "--license", "token:ada@example.org::"))
    assert malformed.returncode == 2 and "EMAIL::TOKEN" in malformed.stderr


def test_a_rejected_token_is_a_license_failure_with_its_hint(sim_image, recording, tmp_path):
    expired = run_cli(*sort_args(recording, tmp_path / "o1", "--license", "token:ada@example.org::expired", "--json"))
    assert expired.returncode == 1
    failure = json.loads(expired.stdout)["failure"]
    assert failure["kind"] == "license"
    assert failure["message"] == (
        "The batch licensing token has expired (it was valid from 25-Nov-2025 08:00:00 to 25-Nov-2026 07:00:00)."
    )
    assert failure["hint"].startswith("Get a new token (https://www.mathworks.com/support/batch-tokens.html)")
    refused = run_cli(*sort_args(recording, tmp_path / "o2", "--license", "token:ada@example.org::invalid", "--json"))
    assert refused.returncode == 1
    failure = json.loads(refused.stdout)["failure"]
    assert (failure["kind"], failure["message"]) == (
        "license",
        "MATLAB did not accept the batch licensing token: The batch licensing token was not accepted.",
    )


def run_in_pty(args: list[str], answers: list[tuple[str, str]], timeout: float = 120) -> tuple[int, str]:
    """Run `ks-gui ARGS` on a real terminal; type each answer when its prompt shows (getpass reads /dev/tty)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execv(sys.executable, [sys.executable, "-m", "ks_gui", *args])
    seen, pending, deadline = "", list(answers), time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode(errors="replace")
            except OSError:  # EIO: the child closed the terminal
                break
            seen += chunk
            if pending and pending[0][0] in seen:
                os.write(fd, (pending.pop(0)[1] + "\n").encode())
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def test_account_right_password_through_a_terminal(sim_image, recording, tmp_path):
    code, screen = run_in_pty(
        sort_args(recording, tmp_path / "out", "--license", "account:ada@example.org"),
        [("MathWorks password (not stored): ", PASSWORD)],
    )
    assert code == 0, screen
    assert "Sorted: 16 units" in screen
    assert PASSWORD not in screen  # getpass does not echo


def test_account_wrong_password_through_a_terminal(sim_image, recording, tmp_path):
    code, screen = run_in_pty(
        sort_args(recording, tmp_path / "out", "--license", "account:ada@example.org"),
        [("MathWorks password (not stored): ", "hunter2-wrong"), ("Try again? [y/N] ", "n")],
    )
    assert code == 1, screen
    assert "Sort failed: Signing in to the MathWorks account failed." in screen
    assert "hunter2-wrong" not in screen


def test_secrets_never_reach_files_logs_or_the_container(engine, sim_image, recording, tmp_path):
    """The password goes only to MATLAB's stdin; the token only into the container's environment."""
    job = SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=parse_license("account:ada@example.org"),
        image=SIM_IMAGE,
        environment={"KS_GUI_SIM_PACE": "0.05"},
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    run = prepared_run(job, engine)
    run.start()
    inspected = ""
    for event in run.events():
        if isinstance(event, SignInPrompt):
            run.answer(PASSWORD)
        elif isinstance(event, ProgressEvent) and event.stage == "preprocess" and not inspected:
            # While it runs, after sign-in: everything Docker knows about the container.
            ids = subprocess.run(
                ["docker", "ps", "-q", "--no-trunc", "--filter", f"label=ks-gui.job={job.job_id}"],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            assert len(ids) == 1
            inspected = subprocess.run(["docker", "inspect", ids[0]], capture_output=True, text=True).stdout
            inspected += subprocess.run(["docker", "logs", ids[0]], capture_output=True, text=True).stdout
        elif isinstance(event, Outcome):
            outcome = event
    assert outcome.succeeded, outcome.summary()
    assert '"ks-gui.job"' in inspected  # it really is the container's inspect document
    places = {
        "docker inspect and docker logs": inspected,
        "log file": outcome.log_file.read_text(),
        "job file": job_file(job.output).read_text(),
        "provenance": provenance_file(job.output).read_text(),
    }
    state = Path(os.environ["XDG_CONFIG_HOME"]), Path(os.environ["XDG_DATA_HOME"]), Path(os.environ["XDG_STATE_HOME"])
    for folder in state:
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file():
                places[str(path)] = path.read_text(errors="replace")  # settings, history, logs
    for place, text in places.items():
        assert PASSWORD not in text, f"the password is in the {place}"


def test_token_never_shown_in_dry_run(sim_image, recording, tmp_path):
    done = run_cli(
        *sort_args(recording, tmp_path / "out", "--license", f"token:ada@example.org::{TOKEN_SECRET}", "--dry-run"),
        "--json",
    )
    document = json.loads(done.stdout)
    assert "--env MLM_LICENSE_TOKEN " in document["docker_run"]
    assert "--entrypoint matlab-batch" in document["docker_run"]
    assert document["container"]["secret_environment"] == ["MLM_LICENSE_TOKEN"]
    assert TOKEN_SECRET not in done.stdout + done.stderr
