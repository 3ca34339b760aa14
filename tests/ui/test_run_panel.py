"""A sort's panel always ends: when following the sort breaks on a bug, the panel says so, the queue frees the GPU
for the next sort, and the bug still reaches the bug dialog (here: pytest-qt's capture of it)."""

from __future__ import annotations

import docker
import pytest

from ks_gui.core.ground.contract import LABEL_JOB
from ks_gui.core.ground.locations import run_log_file
from ks_gui.ui.run_panel import RunPanel
from ks_gui.ui.sort_worker import SortWorker
from tests.conftest import sim_job

pytestmark = pytest.mark.engine


def test_a_bug_while_following_the_sort_ends_the_panel(qtbot, engine, recording, tmp_path, sim_image):
    job = sim_job(recording, tmp_path / "out")
    run_log_file(job.job_id).mkdir(parents=True)  # the run's log cannot be written: a directory is in its place
    panel = RunPanel("rec/recording.bin")
    qtbot.addWidget(panel)
    ended = []
    panel.ended.connect(ended.append)
    try:
        with qtbot.captureExceptions() as exceptions:
            panel.start(SortWorker(job, "none"))
            qtbot.waitUntil(lambda: bool(ended), timeout=30_000)
        assert not panel.running and panel.stage.text() == "Stopped"
        assert panel.message.text().startswith("ks-gui stopped following this sort because of a bug: ")
        assert any(isinstance(exception[1], IsADirectoryError) for exception in exceptions)
        # The container sorts on unfollowed; the next window finds it among this user's sorts.
        assert job.job_id in [c.job_id for c in engine.launched_containers()]
    finally:
        for container in docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_JOB}={job.job_id}"}):
            container.remove(force=True)
