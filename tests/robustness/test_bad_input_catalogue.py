"""A catalogue of bad input, each refused with one clear line, exit code 2, nothing started, no traceback; and
awkward but valid input (spaces, quotes, non-ASCII in paths) that must simply work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_recording
from tests.e2e.test_bad_input import assert_refused, base_args, replace

pytestmark = pytest.mark.engine


def with_recording(path_maker):
    """Replace the recording argument by a path the case builds under the test's folder."""
    return lambda a, t: ["sort", str(path_maker(t)), *a[2:]]


def empty_folder(t: Path) -> Path:
    (t / "empty").mkdir()
    return t / "empty"


def zero_byte(t: Path) -> Path:
    (t / "zero").mkdir()
    (t / "zero" / "rec.bin").write_bytes(b"")
    return t / "zero"


def symlink_loop(t: Path) -> Path:
    os.symlink(t / "loop", t / "loop")
    return t / "loop"


def nwb_file(t: Path) -> Path:
    (t / "session.nwb").write_bytes(b"\x89HDF\r\n\x1a\n")
    return t / "session.nwb"


CASES = {
    "empty-folder": (with_recording(empty_folder), "no .bin or .dat recording"),
    "zero-byte-binary": (with_recording(zero_byte), "is empty"),
    "symlink-loop": (with_recording(symlink_loop), "loop"),
    "nwb": (with_recording(nwb_file), "NWB"),
    "license-server-without-host": (lambda a, t: replace(a, "--license", "server:27000@"), "is not PORT@HOST"),
    "license-port-out-of-range": (lambda a, t: replace(a, "--license", "server:99999@lic"), "from 1 to 65535"),
    "license-account-not-email": (lambda a, t: replace(a, "--license", "account:ada"), "not an email address"),
    "mac-without-license-file": (lambda a, t: [*a, "--mac-address", "00:11:22:33:44:55"], "a MAC address goes with"),
    "nt-negative": (lambda a, t: [*a, "--param", "NT=-64"], "NT must be at least"),
    "nt-huge": (lambda a, t: [*a, "--param", "NT=99999999999"], "NT must be at most"),
    "param-not-a-number": (lambda a, t: [*a, "--param", "lam=ten"], "not valid JSON"),
    "param-wrong-shape": (lambda a, t: [*a, "--param", "Th=[10]"], "Th must be a pair of numbers"),
    "trange-reversed": (lambda a, t: [*a, "--param", "trange=[30,10]"], "time range"),
    "gpu-not-there": (lambda a, t: replace(a, "--gpu", "3"), "there is no GPU 3"),
    "output-is-the-recording-folder": (lambda a, t: replace(a, "--output", str(t / "rec")), "recording's own folder"),
    "mount-missing": (lambda a, t: [*a, "--mount", str(t / "nowhere")], "does not exist"),
    "mount-docker-socket": (lambda a, t: [*a, "--mount", f"{t}:/var/run/docker.sock"], "Docker socket"),
    "env-bad-name": (lambda a, t: [*a, "--env", "1BAD=x"], "is not KEY=VALUE"),
}


@pytest.mark.parametrize(("change", "words"), CASES.values(), ids=CASES.keys())
def test_catalogue(tmp_path, sim_image, count_containers, change, words):
    recording = write_recording(tmp_path / "rec", seconds=1)
    done = run_cli(*change(base_args(recording, tmp_path / "out"), tmp_path))
    assert_refused(done, words)
    assert not (tmp_path / "out").exists()


def test_paths_with_spaces_quotes_and_non_ascii_just_work(tmp_path, sim_image):
    recording = write_recording(tmp_path / "Maus 7 'Ärger' β" / "rec", seconds=6)
    output = tmp_path / 'Ergebnisse "März" 2026'
    done = run_cli(*base_args(recording, output))
    assert done.returncode == 0, done.stdout + done.stderr
    values: dict = {}
    exec((output / "params.py").read_text(encoding="utf-8"), {}, values)
    assert Path(values["dat_path"]).is_file()
