"""Bad input: one clear line, exit code 2, nothing started, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import GeneratedRecording, run_cli, sim_sort_args, write_recording

pytestmark = pytest.mark.engine


def base_args(recording: GeneratedRecording, output: Path) -> list[str]:
    return sim_sort_args(recording.folder, output)


def replace(args: list[str], flag: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(flag) + 1] = value
    return args


def assert_refused(done, words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ks-gui: ") and words in lines[0], lines[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda a, t: replace(a, "--license", "27000@host"), "is not one of server:PORT@HOST"),
        (lambda a, t: replace(a, "--gpu", "first"), "--gpu 'first' must be auto, none or a GPU index"),
        (lambda a, t: [*a, "--param", "Threshold=3"], "unknown parameter 'Threshold'"),
        (lambda a, t: [*a, "--param", "NT=65000"], "NT must be a multiple of 32"),
        (lambda a, t: ["sort", str(t / "nowhere"), *a[2:]], "does not exist"),
        (lambda a, t: replace(a, "--output", str(t / "file.txt")), "is a file, not a folder"),
        (lambda a, t: replace(a, "--license", f"file:{t / 'missing.lic'}"), "does not exist"),
        (lambda a, t: replace(a, "--image", "ks-gui/not-built:latest"), "is not on this machine"),
        (lambda a, t: [*a, "--env", "NOEQUALS"], "--env 'NOEQUALS' is not KEY=VALUE"),
    ],
    ids=[
        "license-form",
        "gpu",
        "param-name",
        "param-value",
        "missing-folder",
        "output-file",
        "license-file",
        "image",
        "env",
    ],
)
def test_refused_before_anything_starts(recording, tmp_path, sim_image, count_containers, change, words):
    (tmp_path / "file.txt").write_text("not a folder")
    done = run_cli(*change(base_args(recording, tmp_path / "out"), tmp_path))
    assert_refused(done, words)
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_a_recording(recording, tmp_path, sim_image, count_containers):
    notes = recording.folder / "notes.txt"
    notes.write_text("session notes")
    args = base_args(recording, tmp_path / "out")
    args[1] = str(notes)
    assert_refused(run_cli(*args), "notes.txt is not a recording")


def test_an_earlier_result_is_never_overwritten(recording, tmp_path, sim_image, count_containers):
    output = tmp_path / "out"
    output.mkdir()
    (output / "params.py").write_text("dat_path = 'earlier.dat'\n")
    assert_refused(run_cli(*base_args(recording, output)), "already holds a sort")
    assert (output / "params.py").read_text() == "dat_path = 'earlier.dat'\n"


def test_an_output_folder_that_is_not_writable(count_containers):
    # Under a folder every user may enter, so the check can run as an ordinary user when the tests run as root.
    shared = Path(tempfile.mkdtemp(prefix="ks-gui-locked-"))
    try:
        shared.chmod(0o755)
        recording = write_recording(shared / "rec", seconds=1)
        recording.folder.chmod(0o755)
        recording.binary.chmod(0o644)
        locked = shared / "locked"
        locked.mkdir(mode=0o555)
        command = [sys.executable, "-m", "ks_gui", *base_args(recording, locked / "out")]
        if os.getuid() == 0:
            # root may write anywhere: run the command as `nobody`, to whom `locked` is read-only
            setpriv = shutil.which("setpriv")
            assert setpriv, "setpriv (util-linux) is needed to test as an ordinary user"
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert_refused(done, "is not writable")
    finally:
        shutil.rmtree(shared)
