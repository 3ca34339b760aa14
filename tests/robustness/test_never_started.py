"""A container created and never started (its launcher died between create and start) is no sort: `status` and
`status --attach` leave it out, where they waited for its output forever (issue 28's tail, seen on a shared engine)."""

from __future__ import annotations

import os

import docker
import pytest

from ks_gui.core.places import container_state
from tests.conftest import SIM_IMAGE

pytestmark = pytest.mark.engine


def test_a_container_created_long_ago_and_never_started_is_not_followed(engine, sim_image, monkeypatch):
    client = docker.from_env()
    labels = {"ks-gui.job": "never-started", "ks-gui.output": "/nowhere", "ks-gui.contract": "1"}
    container = client.containers.create(SIM_IMAGE, labels=labels, user=f"{os.getuid()}:{os.getgid()}")
    try:

        def listed() -> list[str]:
            return [found.job_id for found in engine.launched_containers()]

        assert "never-started" in listed()  # just created: its launcher may be about to start it
        monkeypatch.setattr(container_state, "NEVER_STARTED_AFTER_S", -1)  # as if created long ago
        assert "never-started" not in listed()
        client.api.start(container.id)  # once started it is a sort again, whatever its age
        assert "never-started" in listed()
    finally:
        container.remove(force=True)
