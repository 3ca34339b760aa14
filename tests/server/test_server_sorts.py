"""Sorting on a GPU server's Docker over SSH, as a user does from the CLI: the real sshd on loopback, the real
engine behind it, the stand-in image."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ks_gui.core import sorting
from ks_gui.core.events import Notice, Outcome
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.results import history
from tests.conftest import SIM_IMAGE, run_cli, sim_job, sim_sort_args, write_recording
from tests.helpers.loopback_sshd import REFUSED, UNKNOWN_HOST, LoopbackSshd
from tests.server.conftest import SERVER_URL

pytestmark = [pytest.mark.engine, pytest.mark.sshd]


def _containers_writing_into(folder: Path) -> list:
    import docker

    labelled = docker.from_env().containers.list(all=True, filters={"label": "ks-gui.output"})
    return [c for c in labelled if c.labels["ks-gui.output"].startswith(str(folder))]


def _owner(path: Path) -> int:
    return path.stat().st_uid


def test_a_sort_on_the_server_runs_as_its_account_and_history_says_where(sim_image, shared: Path, sshd):
    recording = write_recording(shared / "rec", seconds=2.0)
    output = shared / "sorted"

    done = run_cli(*sim_sort_args(recording.folder, output, "--on", SERVER_URL, "--json"), timeout=240)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["succeeded"] is True
    # The results belong to the server's account (asked from the server), not to this computer's user.
    assert _owner(output / "spike_times.npy") == sshd.uid != os.getuid()
    (record,) = history.load_all()
    assert record.place == SERVER_URL and record.status == "succeeded"


@pytest.mark.parametrize(
    ("host", "words"),
    [(UNKNOWN_HOST, "is not a known host"), (REFUSED, "refused the login: ks-gui logs in with SSH keys only")],
)
def test_an_unknown_host_key_or_a_refused_key_is_one_sentence_and_nothing_starts(
    sim_image, shared: Path, host: str, words: str, sshd: LoopbackSshd
):
    # The three test hosts are one server: an earlier test's shared connection to it would let this one in.
    sshd.drop_connections()
    recording = write_recording(shared / "rec", seconds=1.0)

    done = run_cli(*sim_sort_args(recording.folder, shared / "out", "--on", f"ssh://{host}"))

    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (shared / "out").exists()
    assert _containers_writing_into(shared) == []


@pytest.fixture
def local_view(shared: Path, tmp_path: Path) -> Iterator[Path]:
    """The shared storage as this computer mounts it, at a path of its own (a bind mount under pytest's folder,
    which the server's account cannot enter), while the server sees it at shared/lab."""
    (shared / "lab").mkdir(mode=0o777)
    (shared / "lab").chmod(0o777)  # the server's account writes the results there
    view = tmp_path / "mnt" / "lab"
    view.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(shared / "lab"), str(view)], check=True)
    yield view
    subprocess.run(["umount", str(view)], check=True)


def test_a_folder_the_server_cannot_see_names_both_sides_and_a_path_map_sorts_it(
    sim_image, shared: Path, local_view: Path
):
    server_view = shared / "lab"
    write_recording(local_view / "rec", seconds=2.0)
    args = sim_sort_args(local_view / "rec", local_view / "sorted", "--on", SERVER_URL)

    unmapped = run_cli(*args)
    assert unmapped.returncode == 2
    assert f"does not see {local_view / 'rec'}" in unmapped.stderr and "--path-map" in unmapped.stderr

    mapped = run_cli(*args, "--path-map", f"{local_view}={server_view}", timeout=240)
    assert mapped.returncode == 0, mapped.stderr
    job = json.loads((local_view / "sorted" / ".ks-gui" / "job.json").read_text())
    # Every path the container got is the server's.
    assert job["binary"] == str(server_view / "rec" / "recording.bin")
    assert job["output"] == str(server_view / "sorted")
    assert (local_view / "sorted" / "spike_times.npy").exists()
    assert job["launcher_paths"]["output"] == str(local_view / "sorted")  # for phy opened here


def test_a_bad_path_map_is_refused_before_anything_is_read(shared: Path):
    done = run_cli(*sim_sort_args(shared, shared / "out", "--on", SERVER_URL, "--path-map", "relative=/x"))
    assert done.returncode == 2 and "LOCAL=SERVER, two absolute folders" in done.stderr


def test_the_connection_dropped_mid_sort_is_followed_again_to_the_end(sim_image, shared: Path, sshd: LoopbackSshd):
    recording = write_recording(shared / "rec", seconds=2.0)
    job = sim_job(recording, shared / "sorted", KS_GUI_SIM_PACE="0.4")
    job.place = SERVER_URL
    checked = sorting.check(job, sorting.open_place(SERVER_URL, path_map=PathMap()), "none")
    assert not checked.problems, checked.problems
    run = sorting.start(checked, engine_wait_seconds=60)

    notices, outcome, dropped = [], None, False
    for event in run.events():
        if not dropped and run.tracker.stage == "preprocess":
            sshd.drop_connections()  # as a laptop's sleep or a network drop does
            dropped = True
        if isinstance(event, Notice):
            notices.append(event.text)
        if isinstance(event, Outcome):
            outcome = event

    assert dropped and outcome is not None
    assert outcome.succeeded, outcome.summary()
    assert any("stopped answering" in text for text in notices), notices
    assert any("following it again" in text or "has stopped" in text for text in notices), notices
    # Each line of the sorter's output is in the log once, though the output was read again from its start.
    lines = [line for line in run.log_file.read_text().splitlines() if not line.startswith("[ks-gui launcher]")]
    assert len(lines) == len(set(lines)) or _only_blank_repeats(lines)


def _only_blank_repeats(lines: list[str]) -> bool:
    seen: set[str] = set()
    for line in lines:
        if line.strip() and line in seen and not line.startswith("[ks-gui]"):
            return False
        seen.add(line)
    return True


def test_an_image_missing_on_the_server_says_how_to_build_it_there(shared: Path):
    recording = write_recording(shared / "rec", seconds=1.0)
    args = sim_sort_args(recording.folder, shared / "out", "--on", SERVER_URL)
    args[args.index(SIM_IMAGE)] = "ks-gui/not-built:latest"

    done = run_cli(*args)

    assert done.returncode == 2
    assert f"is not on ks-gui-test-server: build it there first (ks-gui image build --on {SERVER_URL})" in done.stderr


def test_doctor_checks_a_server_item_by_item(sim_image, shared: Path):
    done = run_cli("doctor", "--on", SERVER_URL, "--image", SIM_IMAGE, "--path-map", f"/nowhere={shared}", "--json")

    checks = {check["name"]: check for check in json.loads(done.stdout)["checks"]}
    assert checks["SSH and Docker"]["ok"] and "logged in to ks-gui-test-server" in checks["SSH and Docker"]["detail"]
    assert checks[f"Image {SIM_IMAGE}"]["ok"]
    assert not checks["GPUs"]["ok"] and "no NVIDIA driver" in checks["GPUs"]["detail"]  # this machine has none
    assert checks["Path map"]["ok"] and f"/nowhere is {shared} there" in checks["Path map"]["detail"]
    assert "free in" in checks["Free disk"]["detail"]
    assert done.returncode == 1  # not everything is ready: no GPU


def test_doctor_says_in_one_line_when_the_server_refuses(sshd: LoopbackSshd):
    sshd.drop_connections()
    done = run_cli("doctor", "--on", f"ssh://{REFUSED}", "--json")
    (check,) = json.loads(done.stdout)["checks"]
    assert not check["ok"] and "refused the login" in check["detail"]


def test_a_docker_context_over_ssh_is_a_server_by_its_name(
    sim_image, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The user's contexts, made by the Docker CLI itself, in a config folder of the test's own.
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    subprocess.run(["docker", "context", "create", "lab-gpu", "--docker", f"host={SERVER_URL}"], check=True)
    subprocess.run(["docker", "context", "create", "lab-tcp", "--docker", "host=tcp://10.0.0.9:2375"], check=True)
    recording = write_recording(shared / "rec", seconds=1.0)

    done = run_cli(*sim_sort_args(recording.folder, shared / "sorted", "--on", "lab-gpu"), timeout=240)
    assert done.returncode == 0, done.stderr
    assert history.load_all()[0].place == SERVER_URL

    refused = run_cli(*sim_sort_args(recording.folder, shared / "other", "--on", "lab-tcp"))
    assert refused.returncode == 2 and "over SSH only" in refused.stderr


def test_an_image_builds_in_the_servers_docker_with_its_progress(sim_image, tmp_path: Path):
    from ks_gui.core.doors.images import BuildFinished, BuildLine, ImageBuild

    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {SIM_IMAGE}\nLABEL ks-gui.test.built-over=ssh\nRUN echo built there\n")
    server = sorting.open_place(SERVER_URL, path_map=PathMap())
    tag = "ks-gui-test/built-over-ssh:latest"
    try:
        events = list(ImageBuild(server.engine, tag=tag, context=context, base_image=None).events())
        finished = events[-1]
        assert isinstance(finished, BuildFinished) and finished.succeeded, finished.summary()
        assert any(isinstance(e, BuildLine) and "built there" in e.text for e in events)  # streamed as it built
        assert server.image_info(tag).labels["ks-gui.test.built-over"] == "ssh"
    finally:
        import docker

        docker.from_env().images.remove(tag, force=True)


def test_image_build_on_a_server_that_refuses_says_so_in_one_line(sshd: LoopbackSshd):
    sshd.drop_connections()
    done = run_cli("image", "build", "--on", f"ssh://{REFUSED}")
    assert done.returncode == 2 and "refused the login" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# A sort followed in this process as the window follows it (core/sorting.py), its stage names on stdout.
FOLLOW_A_SORT = """
import sys
from pathlib import Path
from ks_gui.core import sorting
from ks_gui.core.events import Outcome
from ks_gui.core.places.path_map import PathMap
from tests.conftest import GeneratedRecording, sim_job
folder = Path(sys.argv[1])
job = sim_job(GeneratedRecording(folder, folder, 32, 30000.0), Path(sys.argv[2]), KS_GUI_SIM_PACE="0.4")
job.place = sys.argv[3]
run = sorting.start(sorting.check(job, sorting.open_place(job.place, path_map=PathMap()), "none"))
for event in run.events():
    print(run.tracker.stage, flush=True)
    if isinstance(event, Outcome):
        print("succeeded" if event.succeeded else "failed", flush=True)
sys.stdin.readline()  # the program goes on (a window stays open) until told to end
"""


def test_a_dropped_connection_leaves_no_traceback_when_the_program_ends(sim_image, shared: Path, sshd: LoopbackSshd):
    """A window that followed a sort on a server through a dropped connection, then lost it again, then was closed:
    docker-py's SSH socket wrote to its ended ssh as Python exited, a BrokenPipeError traceback."""
    recording = write_recording(shared / "rec", seconds=2.0)
    command = [sys.executable, "-c", FOLLOW_A_SORT, str(recording.folder), str(shared / "sorted"), SERVER_URL]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    ended, dropped = "", False
    while ended not in ("succeeded", "failed"):
        ended = process.stdout.readline().strip()
        assert ended, "the sort's program ended early"
        if ended == "preprocess" and not dropped:
            sshd.drop_connections()  # the network drops mid-sort: the sort is followed again
            dropped = True
    sshd.drop_connections()  # and once more after it: the laptop sleeps
    time.sleep(1)
    stdout, stderr = process.communicate("\n", timeout=60)
    assert ended == "succeeded" and process.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr, stderr
