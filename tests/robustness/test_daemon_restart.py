"""The Docker daemon stops in the middle of a sort, and comes back (or not): against a private dockerd, so that
the main engine, which the other tests use, is never stopped. The stand-in paces its lines (KS_GUI_SIM_PACE) so the
stop falls mid-run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ks_gui.core.events import LogLine, Notice, Outcome
from ks_gui.core.ground.contract import LABEL_OUTPUT
from ks_gui.core.places.docker_engine import connect
from ks_gui.core.results import history
from ks_gui.core.results.phy_folder import folder_problems
from tests.conftest import prepared_run, run_cli, sim_job, sim_sort_args
from tests.helpers.private_dockerd import PrivateDockerd

pytestmark = pytest.mark.engine

GONE = "Docker stopped answering; waiting for it to come back…"
STOPPED_WITH_IT = (
    "Sort failed: Docker stopped during the run; the container was stopped with it. The log so far is kept; sort again."
)


def start_sort(recording_folder: Path, output: Path, *extra: str, pace: str = "0.2") -> subprocess.Popen:
    """`ks-gui sort` as a user types it; DOCKER_HOST (set by the fixture) names the private daemon."""
    command = [
        sys.executable,
        "-m",
        "ks_gui",
        *sim_sort_args(recording_folder, output, "--env", f"KS_GUI_SIM_PACE={pace}", *extra),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def container_midway(daemon: PrivateDockerd, output: Path, lines: int = 8, timeout: float = 60):
    """The sort's container, once it runs, has printed `lines` lines and the run is on record."""
    deadline = time.monotonic() + timeout
    while True:
        found = daemon.containers(label=f"{LABEL_OUTPUT}={output}", status="running")
        if found and history.load_all() and len(daemon.printed_lines(found[0].id)) >= lines:
            return found[0]
        assert time.monotonic() < deadline, "the sort's container never got going"
        time.sleep(0.1)


def sorter_lines(log_file: Path) -> list[str]:
    """The log without the launcher's own notes."""
    return [line for line in log_file.read_text().splitlines() if not line.startswith("ks-gui: ")]


def test_docker_stopping_mid_run_ends_the_sort_with_a_plain_diagnosis(private_dockerd, recording, tmp_path):
    daemon = private_dockerd()
    output = tmp_path / "out"
    sort = start_sort(recording.folder, output)
    container = container_midway(daemon, output)
    daemon.stop()  # as `systemctl stop docker`: without --live-restore it stops the container on its way out
    printed = daemon.printed_lines(container.id)
    time.sleep(1.0)
    daemon.start()
    stdout, stderr = sort.communicate(timeout=60)

    assert sort.returncode == 1, stderr
    assert GONE in stderr.splitlines()
    (record,) = history.load_all()
    assert stdout.strip().splitlines()[-1] == f"{STOPPED_WITH_IT} The log is in {record.log_file}"
    assert "Traceback" not in stdout + stderr
    assert record.status == "failed" and record.exit_code == 143 and record.ended
    assert record.summary == stdout.strip().splitlines()[-1]
    # The log holds every line the container printed before Docker stopped it, once, in order.
    log_file = Path(record.log_file)
    assert printed[0].startswith("Licensing MATLAB") and "[ks-gui] stage done" not in printed
    assert sorter_lines(log_file) == printed
    assert f"ks-gui: {GONE}" in log_file.read_text().splitlines()
    # Partial output, on record as no result; no container left behind.
    provenance = json.loads((output / ".ks-gui" / "run.json").read_text())
    assert provenance["outcome"] == "failed" and provenance["exit_code"] == 143 and provenance["result"] is None
    assert folder_problems(output) == [
        f"{output} holds what a failed sort left behind, not a result: sort the recording again"
    ]
    assert daemon.containers() == []


def all_printed(daemon: PrivateDockerd, output: Path) -> list[str]:
    """Every line the finished sort's container printed, once Docker's log has taken in its last line."""
    (container,) = daemon.containers(label=f"{LABEL_OUTPUT}={output}")
    deadline = time.monotonic() + 10
    while (printed := daemon.printed_lines(container.id))[-1:] != ["[ks-gui] stage done"]:
        assert time.monotonic() < deadline, printed[-3:]
        time.sleep(0.1)
    return printed


def test_with_live_restore_the_sort_goes_on_and_gives_its_result(private_dockerd, recording, tmp_path):
    daemon = private_dockerd(live_restore=True)
    job = sim_job(recording, tmp_path / "out", KS_GUI_SIM_PACE="0.1")
    engine = connect()
    run = prepared_run(job, engine)
    run.start()

    def restart() -> None:
        daemon.stop()
        time.sleep(1.0)
        daemon.start()

    restarting = threading.Thread(target=restart)
    events, printed = [], []
    for event in run.events():
        events.append(event)
        if isinstance(event, LogLine) and event.text == "[ks-gui] stage compile":
            restarting.start()  # early enough that Docker is back (~2 s) well before the sort ends (~5 s)
        if isinstance(event, LogLine) and event.text == "[ks-gui] stage done":  # its last line: not yet removed
            printed = all_printed(daemon, job.output)
    restarting.join()

    outcome = events[-1]
    assert isinstance(outcome, Outcome) and outcome.succeeded, outcome.summary()
    assert outcome.result is not None and (outcome.result.units, outcome.result.good) == (16, 11)
    assert [e.text for e in events if isinstance(e, Notice)] == [
        GONE,
        "Docker answers again; the sort went on meanwhile, following it again.",
    ]
    # Every line once, in order: none lost while Docker was away, none twice after following again.
    assert sorter_lines(run.log_file) == printed
    assert [e.text for e in events if isinstance(e, LogLine)] == printed
    (record,) = history.load_all()
    assert record.status == "succeeded" and record.units == 16
    assert (job.output / "params.py").is_file()
    assert daemon.containers() == []


def test_docker_that_does_not_come_back_in_time_leaves_the_sort_to_status(private_dockerd, recording, tmp_path):
    daemon = private_dockerd()
    output = tmp_path / "out"
    sort = start_sort(recording.folder, output, "--docker-wait", "2")
    container = container_midway(daemon, output)
    stopped = time.monotonic()
    daemon.stop()
    stdout, stderr = sort.communicate(timeout=60)
    waited = time.monotonic() - stopped

    assert sort.returncode == 1, stderr
    assert 2 <= waited < 15  # --docker-wait 2, counted from when the launcher saw Docker go
    assert GONE in stderr.splitlines() and "Traceback" not in stdout + stderr
    (record,) = history.load_all()
    assert stdout.strip().splitlines()[-1] == (
        "Sort interrupted: Docker did not come back within 2 seconds. When Docker runs again, `ks-gui status "
        f"--attach` (or opening ks-gui) finds the sort's container and records how it ended. The log so far is in "
        f"{record.log_file}"
    )
    assert record.status == "interrupted" and record.summary == stdout.strip().splitlines()[-1]
    assert sorter_lines(Path(record.log_file)) == daemon.printed_lines(container.id)

    # Later, Docker runs again: `ks-gui status --attach` finds the container and records how the sort ended.
    daemon.start()
    later = run_cli("status", "--attach")
    assert later.returncode == 1, later.stderr
    assert f"{STOPPED_WITH_IT} The log is in {record.log_file}" in later.stdout
    (record,) = history.load_all()
    assert record.status == "failed" and record.exit_code == 143
    assert daemon.containers() == []


def test_the_window_hears_of_it_from_its_sort_worker(private_dockerd, recording, tmp_path, qtbot):
    """The window's worker passes the notices on (a signal, and a line for the live log) and ends with the
    diagnosis, as the CLI does."""
    from PySide6.QtCore import QObject

    from ks_gui.ui.sort_worker import SortWorker
    from ks_gui.ui.threads import end_thread, start_on_thread

    daemon = private_dockerd()
    job = sim_job(recording, tmp_path / "out", KS_GUI_SIM_PACE="0.2")
    worker = SortWorker(job, "none")
    notices: list[str] = []
    outcomes: list[Outcome] = []
    worker.notice.connect(notices.append)
    worker.finished.connect(outcomes.append)
    owner = QObject()
    thread = start_on_thread(worker, owner)
    try:
        container_midway(daemon, job.output)
        daemon.stop()
        qtbot.waitUntil(lambda: notices == [GONE], timeout=10_000)
        daemon.start()
        qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    finally:
        worker.cancel()
        end_thread(thread)
    (outcome,) = outcomes
    assert outcome.failure is not None and outcome.failure.kind == "engine_stopped"
    assert outcome.summary().startswith(STOPPED_WITH_IT)
    assert notices == [GONE, "Docker answers again; the sort's container has stopped."]
    shown = worker.take_log_lines()
    assert f"ks-gui: {GONE}" in shown and shown[0].startswith("Licensing MATLAB")
    assert daemon.containers() == []
