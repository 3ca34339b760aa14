"""Keep me signed in: MATLAB's own sign-in cache in a Docker volume of the user's, so a later run does not ask for
the password again (the stand-in writes and reads its cache where MATLAB keeps it, in ~/.matlab)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from ks_gui.core import launch
from ks_gui.core.license import SIGNIN_CACHE_PATH, SIGNIN_VOLUME_PURPOSE, signin_volume_name
from ks_gui.core.places.base import VolumeMount
from ks_gui.core.setup import storage
from tests.conftest import SIM_IMAGE, run_cli, sign_in_run

pytestmark = pytest.mark.engine
PASSWORD = "ks-gui-test-password"  # the stand-in's documented test password


@pytest.fixture
def signin_volume(engine, monkeypatch) -> Iterator[str]:
    """A volume name of this test's own in place of the user's `ks-gui-matlab-signin-<uid>`, so the test never
    signs the person running it out, nor collides with a test run beside it; removed at the end."""
    name = f"ks-gui-test-signin-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(launch, "signin_volume_name", lambda: name)
    yield name
    engine.remove_volume(name)


def volume_files(name: str) -> str:
    """Every file in the volume, with its content, read by a throwaway container."""
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", "--mount", f"type=volume,source={name},target=/v",
         SIM_IMAGE, "-c", "for f in $(find /v -type f); do echo \"== $f\"; cat \"$f\"; done"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_the_second_run_does_not_ask_again(engine, sim_image, recording, tmp_path, signin_volume):
    first, asked = sign_in_run(engine, recording, tmp_path / "first", {"password": PASSWORD}, keep_signed_in=True)
    assert first.succeeded, first.summary()
    assert asked == ["password"]
    kept = volume_files(signin_volume)
    assert "token=" in kept and PASSWORD not in kept  # MATLAB's cache, never the password

    second, asked = sign_in_run(engine, recording, tmp_path / "second", {"password": PASSWORD}, keep_signed_in=True)
    assert second.succeeded, second.summary()
    assert asked == []
    assert "Please enter your MathWorks Account" not in second.log_file.read_text()

    # Without the option the container starts without the volume: MATLAB asks again.
    third, asked = sign_in_run(engine, recording, tmp_path / "third", {"password": PASSWORD}, keep_signed_in=False)
    assert third.succeeded and asked == ["password"]


def test_the_volume_is_listed_in_storage_and_removing_it_signs_out(
    engine, sim_image, recording, tmp_path, signin_volume
):
    sign_in_run(engine, recording, tmp_path / "first", {"password": PASSWORD}, keep_signed_in=True)
    (item,) = [item for item in storage.stored_items(engine) if item.location == signin_volume]
    assert item.kind == "volume" and item.name.startswith("MATLAB sign-in kept between runs")
    assert item.size_bytes > 0
    storage.remove(item, engine)
    assert signin_volume not in {item.location for item in storage.stored_items(engine)}
    again, asked = sign_in_run(engine, recording, tmp_path / "again", {"password": PASSWORD}, keep_signed_in=True)
    assert again.succeeded and asked == ["password"]


def test_a_new_volume_is_handed_to_the_user_who_runs_the_sorter(engine, sim_image, signin_volume):
    """The sorter runs as the invoking user (a plain uid here, as on a desktop; the tests themselves run as root),
    and a new volume's folder belongs to root: the engine gives it to that user first."""

    def write_as(user: str, volume: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "run", "--rm", "--user", user, "--entrypoint", "touch",
             "--mount", f"type=volume,source={volume},target={SIGNIN_CACHE_PATH}",
             SIM_IMAGE, f"{SIGNIN_CACHE_PATH}/written"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    plain = f"{signin_volume}-plain"
    subprocess.run(["docker", "volume", "create", plain], capture_output=True, check=True)
    try:
        assert "Permission denied" in write_as("4321:4321", plain).stderr  # why the engine must hand it over
    finally:
        engine.remove_volume(plain)

    engine.prepare_volume(VolumeMount(signin_volume, SIGNIN_CACHE_PATH, SIGNIN_VOLUME_PURPOSE), SIM_IMAGE, "4321:4321")
    done = write_as("4321:4321", signin_volume)
    assert done.returncode == 0, done.stderr


def test_dry_run_shows_the_volume_and_bad_combinations_start_nothing(sim_image, recording, tmp_path):
    args = ["sort", str(recording.folder), "--output", str(tmp_path / "out"), "--image", SIM_IMAGE, "--gpu", "none",
            "--param", "NchanTOT=32", "--param", "fs=30000"]  # fmt: skip
    done = run_cli(*args, "--license", "account:ada@example.org", "--keep-signed-in", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    volume = {"name": signin_volume_name(), "target": SIGNIN_CACHE_PATH, "purpose": SIGNIN_VOLUME_PURPOSE}
    assert document["container"]["volumes"] == [volume]
    assert f"--mount type=volume,source={signin_volume_name()},target={SIGNIN_CACHE_PATH}" in document["docker_run"]
    assert document["container"]["stdin_open"] is True

    without = json.loads(run_cli(*args, "--license", "account:ada@example.org", "--dry-run", "--json").stdout)
    assert "volumes" not in without["container"]

    server = run_cli(*args, "--license", "server:27000@license.example.org", "--keep-signed-in")
    assert server.returncode == 2
    assert server.stderr.strip() == "ks-gui: keeping MATLAB signed in goes with a MathWorks account (account:EMAIL)"
    alone = run_cli(*args, "--keep-signed-in")
    assert alone.returncode == 2 and "--keep-signed-in goes with --license account:EMAIL" in alone.stderr
    assert not (tmp_path / "out").exists()
