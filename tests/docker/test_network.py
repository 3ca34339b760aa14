"""A sort needs no network unless it must (issue 20): a Kilosort 4 container has none at all; a Kilosort 2.5 one keeps
the network its MATLAB license needs. Real containers on the real engine, started as the launcher starts them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.license import parse_license
from ks_gui.core.places.docker_place import DockerPlace
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters import KILOSORT4, KILOSORT25
from tests.conftest import build_image, write_recording

pytestmark = pytest.mark.engine

PROBE_IMAGE = "ks-gui-test/network-probe:latest"
PROBE_DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""


def network_seen(engine, tmp_path: Path, sorter, license: str | None) -> str:
    """What a container started for a `sorter` job sees: its network interfaces and its routes."""
    build_image(PROBE_IMAGE, PROBE_DOCKERFILE, busybox=True)
    recording = write_recording(tmp_path / "rec", seconds=1)
    job = SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=None if license is None else parse_license(license),
        sorter=sorter,
        param_overrides={sorter.channels_param: 32, sorter.sample_rate_param: 30000.0},
    )
    place = DockerPlace(engine)
    launch = dataclasses.replace(
        launch_for(job),
        image=PROBE_IMAGE,
        entrypoint=["/bin/sh", "-c"],
        command=["ls /sys/class/net; echo routes; tail -n +2 /proc/net/route | cut -f1,2"],
    )
    (tmp_path / "out").mkdir()
    run = place.start(launch, place.readiness(PROBE_IMAGE))
    try:
        assert run.wait(timeout=60) == 0
        return "\n".join(line.text for line in run.lines())
    finally:
        run.remove()


def test_a_kilosort4_container_cannot_reach_the_network(engine, tmp_path):
    seen = network_seen(engine, tmp_path, KILOSORT4, None)
    interfaces, routes = seen.split("routes")
    assert interfaces.split() == ["lo"], seen  # the loopback alone
    assert routes.split() == [], seen  # and no way out


def test_a_kilosort25_container_keeps_the_network_its_license_needs(engine, tmp_path):
    seen = network_seen(engine, tmp_path, KILOSORT25, "server:27000@license.example.org")
    interfaces, routes = seen.split("routes")
    assert "eth0" in interfaces.split(), seen
    assert "00000000" in routes.split(), seen  # a default route


def test_the_plan_says_so(tmp_path):
    recording = write_recording(tmp_path / "rec", seconds=1)
    job = SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=None,
        sorter=KILOSORT4,
        param_overrides={"n_chan_bin": 32, "fs": 30000.0},
    )
    from ks_gui.core.places.container_spec import spec_for

    spec = spec_for(launch_for(job), "1000:1000", None)
    assert spec.to_json()["network"] == "none"
    assert "--network none" in spec.docker_run_command()
