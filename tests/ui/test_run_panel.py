"""A sort's panel always ends: when following the sort breaks on a bug, the panel says so, the queue frees the GPU
for the next sort, and the bug still reaches the bug dialog (here: pytest-qt's capture of it)."""

from __future__ import annotations

import docker
import pytest

from ks_gui.core.contract import LABEL_JOB
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.locations import run_log_file
from ks_gui.core.recording import inspect
from ks_gui.ui.run_panel import RunPanel
from ks_gui.ui.sort_worker import SortWorker
from tests.conftest import SIM_IMAGE

pytestmark = pytest.mark.engine


def test_a_bug_while_following_the_sort_ends_the_panel(qtbot, engine, recording, tmp_path, sim_image):
    job = SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=parse_license("server:27000@license.example.org"),
        image=SIM_IMAGE,
        param_overrides={"NchanTOT": recording.n_channels, "fs": recording.sample_rate},
    )
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
        assert [c.job_id for c in engine.launched_containers()] == [job.job_id]
    finally:
        for container in docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_JOB}={job.job_id}"}):
            container.remove(force=True)
