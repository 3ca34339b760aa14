"""Security and nothing-lost checks on the real container (issue 9, items 5 and 7): what Docker was told to give the
sort's container, that a write into the recording from inside it fails, that the results belong to the user who ran
the app, and that no secret reaches any file the app wrote."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import pytest

from ks_gui.core.events import Outcome, SignInPrompt
from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_JOB, LABEL_OUTPUT
from ks_gui.core.ground.locations import mex_cache_dir
from ks_gui.core.launch import launch_for
from ks_gui.core.places.container_spec import spec_for
from ks_gui.core.sorters.progress import ProgressEvent
from tests.conftest import prepared_run, sim_job, sim_sort_args, write_recording

pytestmark = pytest.mark.engine

PASSWORD = "ks-gui-test-password"  # the stand-in's documented test password
TOKEN_SECRET = "c2VjcmV0LWJhdGNoLXRva2VuLTk3"


def test_the_container_gets_no_privilege_no_docker_socket_no_host_network_and_no_home(
    engine, sim_image, recording, tmp_path
):
    """What Docker itself says about a running sort's container (docker inspect), not what the launcher meant."""
    job = sim_job(recording, tmp_path / "out", KS_GUI_SIM_PACE="0.2")
    run = prepared_run(job, engine)
    run.start()
    try:
        (container,) = docker.from_env().containers.list(filters={"label": f"{LABEL_JOB}={job.job_id}"})
        host = container.attrs["HostConfig"]
        assert host["Privileged"] is False
        assert host["NetworkMode"] not in ("host",) and not host["NetworkMode"].startswith("container:")
        assert host["PidMode"] in ("", "private") and host["IpcMode"] in ("", "private", "shareable")
        assert not host.get("CapAdd") and not host.get("Devices") and not host.get("Binds")
        assert host.get("SecurityOpt") in (None, [])
        sources = {Path(m["Source"]) for m in container.attrs["Mounts"]}
        home = Path.home()
        for forbidden in (Path("/var/run/docker.sock"), Path("/run/docker.sock"), home, *home.parents):
            assert forbidden not in sources, f"{forbidden} is mounted into the container"
        assert sources == {recording.folder, job.output, mex_cache_dir(sim_image.short_id)}
        read_only = {Path(m["Source"]) for m in container.attrs["Mounts"] if not m["RW"]}
        assert read_only == {recording.folder}
        assert container.attrs["Config"]["User"] == f"{os.getuid()}:{os.getgid()}"
        labels = container.labels
        assert labels[LABEL_JOB] == job.job_id and labels[LABEL_OUTPUT] == str(job.output)
        assert labels["ks-gui.contract"] == str(CONTRACT_VERSION)
    finally:
        run.cancel()
        outcome = next(e for e in run.events() if isinstance(e, Outcome))
    assert outcome.cancelled


def test_a_write_into_the_recording_from_inside_the_container_fails(engine, sim_image, recording, tmp_path):
    """The sort's own container (the mounts, user and labels the launcher gives it), with a shell in place of MATLAB
    that tries to change the recording: every try fails on the read-only mount, even as root; the output folder,
    mounted beside it, takes the same writes."""
    before = recording.digest()
    job = sim_job(recording, tmp_path / "out")
    job.output.mkdir()
    mex_cache = mex_cache_dir(sim_image.short_id)
    mex_cache.mkdir(parents=True)
    attempts = " ; ".join(
        f"if said=$( ({write}) 2>&1 ); then echo 'wrote: {name}'; else echo \"refused: {name} | $said\"; fi"
        for name, write in (
            ("append to the recording", f"echo x >> '{recording.binary}'"),
            ("truncate the recording", f": > '{recording.binary}'"),
            ("delete the recording", f"rm -f '{recording.binary}'"),
            ("new file beside it", f"touch '{recording.folder}/new.txt'"),
            ("new file in the output", f"touch '{job.output}/new.txt'"),
        )
    )
    spec = dataclasses.replace(
        spec_for(launch_for(job), "0:0", mex_cache), entrypoint=["/bin/sh", "-c", attempts], command=[]
    )  # root in the container: only the mount can stop it
    container = engine.start(spec)
    said = [line.text for line in container.lines()]
    container.wait()
    container.remove()
    assert [line.split(" | ")[0] for line in said] == [
        "refused: append to the recording",
        "refused: truncate the recording",
        "refused: delete the recording",
        "refused: new file beside it",
        "wrote: new file in the output",
    ]
    assert all(line.endswith("Read-only file system") for line in said[:4]), said
    assert recording.digest() == before and not (recording.folder / "new.txt").exists()


def test_the_results_belong_to_the_user_who_ran_the_app(sim_image):
    """Not root, and not the image's uid 1000: as root (CI), the app runs as `nobody` with the docker group."""
    shared = Path(tempfile.mkdtemp(prefix="ks-gui-owner-"))
    try:
        recording = write_recording(shared / "rec", seconds=6)
        output = shared / "out"
        env = dict(os.environ, HOME=str(shared / "home"))
        for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            env[name] = str(shared / "home" / name.lower())
        command = [sys.executable, "-m", "ks_gui", *sim_sort_args(recording.folder, output)]
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            uid = gid = 65534  # nobody
            setpriv = shutil.which("setpriv")
            assert setpriv, "setpriv (util-linux) is needed to sort as an ordinary user"
            socket_group = Path("/var/run/docker.sock").stat().st_gid  # to reach the engine, as a docker user does
            (shared / "home").mkdir()
            for path in (shared, *shared.rglob("*")):
                os.chown(path, uid, gid)
            command = [setpriv, f"--reuid={uid}", f"--regid={gid}", f"--groups={socket_group}", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        written = [output, *output.rglob("*")]
        assert len(written) > 10 and (output / "params.py").is_file()
        owners = {(path.stat().st_uid, path.stat().st_gid) for path in written}
        assert owners == {(uid, gid)}, {str(p): (p.stat().st_uid, p.stat().st_gid) for p in written}
        assert uid != 1000, "run the tests as root or as a user other than uid 1000 (the image's own user)"
    finally:
        shutil.rmtree(shared)


@pytest.mark.parametrize("mode", ["account", "token"])
def test_no_secret_reaches_any_file_the_app_wrote(
    engine, sim_image, recording, tmp_path, user_folders, monkeypatch, mode
):
    """The password goes only to MATLAB's stdin and the token only to the container's stdin: every file the
    launcher wrote (output folder, settings, history, logs, caches, its temp files) is searched for them."""
    secret = PASSWORD if mode == "account" else TOKEN_SECRET
    license = "account:ada@example.org" if mode == "account" else f"token:ada@example.org::{TOKEN_SECRET}"
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # whatever the launcher puts in temp files lands here too
    monkeypatch.setattr(tempfile, "tempdir", None)
    job = sim_job(recording, tmp_path / "out", license, KS_GUI_SIM_PACE="0.02")
    run = prepared_run(job, engine)
    run.start()
    environment = ""
    for event in run.events():
        if isinstance(event, SignInPrompt) and event.kind == "password":
            run.answer(PASSWORD)
        elif isinstance(event, ProgressEvent) and not environment:
            (container,) = docker.from_env().containers.list(filters={"label": f"{LABEL_JOB}={job.job_id}"})
            environment = "\n".join(container.attrs["Config"]["Env"])
        elif isinstance(event, Outcome):
            outcome = event
    assert outcome.succeeded, outcome.summary()
    assert environment and secret not in environment  # the token goes on the container's stdin (issue 28)

    searched = 0
    for folder in (job.output, user_folders, temp):
        for path in folder.rglob("*"):
            if path.is_file():
                searched += 1
                assert secret.encode() not in path.read_bytes(), f"the {mode} secret is in {path}"
    assert searched >= 20  # the phy folder, job and run files, channel map, mex cache, history, log
