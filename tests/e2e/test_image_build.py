"""Pulling and building images through places/docker_engine.py and places/image_build.py, against the real engine.

No registry on the internet can be reached here, so a real registry (Debian's docker-registry) is started on
loopback for the pull tests; Docker treats 127.0.0.1 registries as insecure-allowed, so plain HTTP works.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from ks_gui.core.places.docker_engine import connect
from ks_gui.core.places.image_build import (
    BuildFinished,
    BuildLine,
    ImageBuild,
    LayerProgress,
    PullTracker,
    classify_failure,
    space_check,
)

pytestmark = pytest.mark.engine

LAYER_BYTES = 3 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real registry on 127.0.0.1:<free port>, its storage in a temp folder; yields host:port."""
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is missing: run tests/setup/system-packages.sh (apt-get install docker-registry)"
    folder = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "registry died"
            assert time.monotonic() < deadline, "the registry did not answer within 20 s"
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def pushed_image(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A two-layer FROM-scratch image (3 MiB of random bytes each), pushed to the registry, then removed here.
    The copy the tests pull is removed when the module ends, whether they passed or not (its name holds the
    registry's port, so each run's copy would otherwise stay behind as another image)."""
    context = tmp_path_factory.mktemp("pushed")
    (context / "one.bin").write_bytes(os.urandom(LAYER_BYTES))
    (context / "two.bin").write_bytes(os.urandom(LAYER_BYTES))
    (context / "Dockerfile").write_text('FROM scratch\nCOPY one.bin /one.bin\nCOPY two.bin /two.bin\nLABEL t="1"\n')
    client = docker.from_env()
    name = f"{registry}/ks-gui-pull-test"
    try:
        client.images.build(path=str(context), tag=f"{name}:1", rm=True)
        for message in client.images.push(name, tag="1", stream=True, decode=True):
            assert "error" not in message, message
        client.images.remove(f"{name}:1", force=True)
        yield f"{name}:1"
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(f"{name}:1", force=True)


def _forget(name: str) -> None:
    with pytest.raises(docker.errors.ImageNotFound):
        docker.from_env().images.remove(name, force=True)
        docker.from_env().images.get(name)


def test_a_pull_reports_bytes_of_total_for_each_layer(pushed_image: str) -> None:
    engine = connect()
    _forget(pushed_image)
    tracker = PullTracker()
    reports = [p for m in engine.pull(pushed_image) if (p := tracker.feed(m)) is not None]

    assert tracker.failure is None
    layers = {r.layer for r in reports}
    assert len(layers) == 2
    for layer in layers:
        mine = [r for r in reports if r.layer == layer]
        totals = {r.total for r in mine if r.total}
        assert len(totals) == 1 and LAYER_BYTES <= totals.pop() < LAYER_BYTES * 1.1  # the compressed layer
        assert mine[-1].current == mine[-1].total  # finished: all of it
        assert mine[-1].status == "Pull complete"
        assert any(r.status == "Downloading" and r.current > 0 for r in mine)
    assert reports[-1].downloaded == reports[-1].known_total >= 2 * LAYER_BYTES
    first = next(r for r in reports if r.status == "Downloading")
    assert re.fullmatch(r"[0-9a-f]{12}: Downloading [\d.]+ (KB|MB) of 3\.1 MB", first.describe())
    assert engine.image(pushed_image) is not None


def test_building_on_a_missing_base_pulls_it_then_streams_the_build(pushed_image: str, tmp_path: Path) -> None:
    engine = connect()
    _forget(pushed_image)
    (tmp_path / "Dockerfile").write_text(f'FROM {pushed_image}\nLABEL ks-gui.test="built"\n')
    tag = "ks-gui-build-test:pulled"
    build = ImageBuild(engine, tag=tag, context=tmp_path, base_image=pushed_image)
    try:
        events = list(build.events())
        pulls = [e for e in events if isinstance(e, LayerProgress)]
        lines = [e.text for e in events if isinstance(e, BuildLine)]
        finished = events[-1]

        assert isinstance(finished, BuildFinished) and finished.succeeded, finished
        assert pulls and events.index(pulls[-1]) < events.index(next(e for e in events if isinstance(e, BuildLine)))
        assert f"Step 1/2 : FROM {pushed_image}" in lines
        assert finished.image is not None and finished.image.labels["ks-gui.test"] == "built"
        assert finished.summary() == f"Built {tag} (image {finished.image.short_id})."
    finally:
        docker.from_env().images.remove(tag, force=True)


def test_a_local_build_streams_its_lines_and_ends_with_the_image(tmp_path: Path) -> None:
    engine = connect()
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text('FROM scratch\nCOPY hello.txt /hello.txt\nLABEL ks-gui.contract="1"\n')
    tag = "ks-gui-build-test:local"
    build = ImageBuild(engine, tag=tag, context=tmp_path, base_image=None)  # FROM scratch: nothing to pull
    try:
        events = list(build.events())
        lines = [e.text for e in events if isinstance(e, BuildLine)]
        finished = events[-1]

        assert not [e for e in events if isinstance(e, LayerProgress)]
        assert lines[0] == "Step 1/3 : FROM scratch"
        assert "Step 2/3 : COPY hello.txt /hello.txt" in lines
        assert any(line.startswith("Successfully tagged ks-gui-build-test:local") for line in lines)
        assert isinstance(finished, BuildFinished) and finished.succeeded
        assert engine.image(tag) is not None
    finally:
        docker.from_env().images.remove(tag, force=True)


def test_a_build_can_be_cancelled_mid_step(tmp_path: Path) -> None:
    engine = connect()
    (tmp_path / "Dockerfile").write_text("FROM ks-gui-sim:latest\nRUN sleep 60\n")
    tag = "ks-gui-build-test:cancelled"
    build = ImageBuild(engine, tag=tag, context=tmp_path, base_image="ks-gui-sim:latest")
    events = []
    started = time.monotonic()
    for event in build.events():
        events.append(event)
        if isinstance(event, BuildLine) and event.text.startswith("Step 2/2 : RUN sleep 60"):
            threading.Timer(0.5, build.cancel).start()
    elapsed = time.monotonic() - started

    finished = events[-1]
    assert isinstance(finished, BuildFinished) and finished.cancelled and not finished.succeeded
    assert elapsed < 20
    assert finished.summary() == f"Cancelled: {tag} was not built."
    assert engine.image(tag) is None


def test_a_registry_that_cannot_be_reached_is_no_network(tmp_path: Path) -> None:
    engine = connect()
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    unreachable = f"127.0.0.1:{_free_port()}/ks-gui-nothing:1"  # nothing listens there
    events = list(ImageBuild(engine, tag="ks-gui-build-test:never", context=tmp_path, base_image=unreachable).events())

    finished = events[-1]
    assert isinstance(finished, BuildFinished) and not finished.succeeded
    assert finished.failure is not None and finished.failure.kind == "no_network", finished.failure
    assert finished.failure.message.startswith("No network: the download failed.")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        # The texts Docker 20.10 prints for these failures.
        ("write /var/lib/docker/tmp/GetImageBlob123: no space left on device", "no_space"),
        (
            "pull access denied for mathworks/matlab-deep-learning, repository does not exist or may require "
            "'docker login': denied: requested access to the resource is denied",
            "login_needed",
        ),
        (
            "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating "
            "and upgrading: https://www.docker.com/increase-rate-limit",
            "login_needed",
        ),
        (
            'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: '
            "no such host",
            "no_network",
        ),
        ("The command '/bin/sh -c false' returned a non-zero code: 1", "build"),
    ],
)
def test_failure_lines_are_named(line: str, kind: str) -> None:
    failure = classify_failure(line)
    assert failure.kind == kind
    assert line in failure.message


def test_the_image_size_is_compared_with_the_free_space_where_docker_keeps_images() -> None:
    root = connect().info().get("DockerRootDir")
    check = space_check(root, base_present=False)
    assert check.needed_bytes > 17 * 1000**3
    assert check.free_bytes == shutil.disk_usage(check.folder).free
    assert "The image needs about 19.0 GB" in check.message()
    assert space_check(root, base_present=True).needed_bytes < check.needed_bytes
