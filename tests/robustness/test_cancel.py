"""Cancel (issue 9, item 3): stop gently, kill after a timeout, leave no container; what a cancelled or failed sort
leaves in its folder stays there, marked, and is never presented as a result."""

from __future__ import annotations

import json
import time
from pathlib import Path

import docker
import pytest

from ks_gui.core.events import Outcome
from ks_gui.core.ground.contract import LABEL_OUTPUT, job_file, provenance_file
from ks_gui.core.results import history
from ks_gui.core.results.phy_folder import SORT_FILES
from ks_gui.core.run import SortRun
from ks_gui.core.sorters.progress import ProgressEvent
from ks_gui.ui.history_view import HistoryView
from tests.conftest import SIM_IMAGE, build_image, prepared_run, run_cli, sim_job, sim_sort_args

pytestmark = pytest.mark.engine

# A sorter that ignores SIGTERM: a shell as the container's first process has no handler for it, so the kernel
# drops it, as it would for a MATLAB stuck in a mex call.
STUBBORN_IMAGE = "ks-gui-stubborn:latest"
STUBBORN_DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL ks-gui.contract="1" ks-gui.sorter="kilosort2.5" ks-gui.gpu="optional"
ENTRYPOINT ["/bin/sh", "-c", "echo '[ks-gui] stage start'; while :; do sleep 1; done", "--"]
"""


def new_run(engine, recording, output: Path, image: str = SIM_IMAGE, **environment: str) -> SortRun:
    job = sim_job(recording, output, image=image, **environment)
    run = prepared_run(job, engine)
    run.start()
    return run


def containers_for(output: Path) -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_OUTPUT}={output}"})


def test_cancel_stops_gently_and_marks_what_is_left(engine, sim_image, recording, tmp_path):
    output = tmp_path / "out"
    run = new_run(engine, recording, output, KS_GUI_SIM_PACE="0.05")
    for event in run.events():
        if isinstance(event, ProgressEvent) and event.stage == "preprocess":
            run.cancel()
        if isinstance(event, Outcome):
            outcome = event
    assert outcome.cancelled and not outcome.succeeded
    assert outcome.exit_code == 143  # the sorter took SIGTERM and ended itself: no kill was needed
    assert containers_for(output) == []
    record = json.loads(provenance_file(output).read_text())
    assert record["outcome"] == "cancelled" and record["result"] is None
    assert job_file(output).is_file() and Path(record["log_file"]).is_file()  # left in place, with its log
    assert [r.status for r in history.load_all()] == ["cancelled"]
    opened = run_cli("phy", str(output))
    assert opened.returncode == 2
    assert (
        opened.stderr.strip()
        == f"ks-gui: {output} holds what a cancelled sort left behind, not a result: sort the recording again"
    )


@pytest.mark.timeout(60)  # a cancel that never kills would hang here
def test_a_sorter_that_ignores_the_stop_is_killed(engine, recording, tmp_path):
    build_image(STUBBORN_IMAGE, STUBBORN_DOCKERFILE, busybox=True)
    output = tmp_path / "out"
    run = new_run(engine, recording, output, image=STUBBORN_IMAGE)
    events = run.events()
    next(events)  # its first line: it runs
    started = time.monotonic()
    run.cancel()  # SIGTERM, 10 s, then SIGKILL (docker stop)
    outcome = next(e for e in events if isinstance(e, Outcome))
    elapsed = time.monotonic() - started
    assert outcome.cancelled and outcome.exit_code == 137
    assert 9 < elapsed < 30, elapsed
    assert outcome.summary().startswith("Cancelled.")
    assert containers_for(output) == []
    assert json.loads(provenance_file(output).read_text())["outcome"] == "cancelled"


def test_a_failed_sort_with_a_complete_phy_folder_is_not_a_result(qtbot, sim_image, recording, tmp_path):
    """The sort fails at its very last step (rez2.mat cannot be written: a folder of that name is in the way), after
    every phy file was written: the folder looks complete, and still nothing offers it as a result."""
    output = tmp_path / "out"
    (output / "rez2.mat").mkdir(parents=True)
    done = run_cli(*sim_sort_args(recording.folder, output))
    assert done.returncode == 1 and done.stdout.startswith("Sort failed"), done.stdout + done.stderr
    assert all((output / name).is_file() for name in SORT_FILES)  # partial output, left in place
    assert json.loads(provenance_file(output).read_text())["outcome"] == "failed"

    opened = run_cli("phy", str(output))
    assert opened.returncode == 2
    assert "holds what a failed sort left behind, not a result" in opened.stderr
    view = HistoryView()
    qtbot.addWidget(view)
    view.show()
    view.table.selectRow(0)
    assert view.selected is not None and view.selected.status == "failed"
    assert view.open_log_button.isEnabled() and not view.open_phy_button.isEnabled()
