"""Paths are resolved before every check, and the resolved paths are the ones mounted (issue 28, item 1): an output
or temp folder that reaches the recording's folder through a link or `..` is refused, an empty path is refused, and
the recording's folder is never mounted writable. The real engine and the stand-in image; the recording folder's
listing is compared before and after."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import job_file
from tests.conftest import GeneratedRecording, run_cli, sim_sort_args
from tests.e2e.test_bad_input import assert_refused, replace

pytestmark = pytest.mark.engine


def listing(folder: Path) -> list[tuple[str, int, int]]:
    """Every entry below `folder`: its path, size and modification time."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            path = Path(root) / name
            stat = path.lstat()
            found.append((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def link_to(t: Path, target: Path, name: str = "link") -> Path:
    os.symlink(target, t / name)
    return t / name


def below(folder: Path, name: str = "sub") -> Path:
    (folder / name).mkdir(exist_ok=True)
    return folder / name


Case = Callable[[list[str], Path, GeneratedRecording], list[str]]

CASES: dict[str, tuple[Case, str]] = {
    "output-link-to-recording": (
        lambda a, t, r: replace(a, "--output", str(link_to(t, r.folder))),
        "other than the recording's own folder",
    ),
    "output-link-to-a-folder-in-the-recording": (
        lambda a, t, r: replace(a, "--output", str(link_to(t, below(r.folder)))),
        "outside the recording's folder",
    ),
    "output-below-a-link-to-the-recording": (
        lambda a, t, r: replace(a, "--output", str(link_to(t, r.folder) / "out")),
        "outside the recording's folder",
    ),
    "output-dot-dot-into-the-recording": (
        lambda a, t, r: replace(a, "--output", f"{below(r.folder)}/.."),
        "other than the recording's own folder",
    ),
    "temp-link-to-recording": (
        lambda a, t, r: [*a, "--temp-dir", str(link_to(t, r.folder))],
        "choose a temp folder other than the recording's own folder",
    ),
    "temp-below-a-link-to-the-recording": (
        lambda a, t, r: [*a, "--temp-dir", str(link_to(t, r.folder) / "fast")],
        "choose a temp folder outside the recording's folder",
    ),
    "empty-output": (lambda a, t, r: replace(a, "--output", ""), "--output is empty"),
    "blank-temp-dir": (lambda a, t, r: [*a, "--temp-dir", " "], "--temp-dir is empty"),
    "empty-recording": (lambda a, t, r: ["sort", "", *a[2:]], "empty path"),
    "writable-mount-above-the-recording": (
        lambda a, t, r: [*a, "--mount", f"{r.folder.parent}:/data"],
        "would make the recording's folder writable",
    ),
    "writable-mount-of-a-link-to-the-recording": (
        lambda a, t, r: [*a, "--mount", f"{link_to(t, r.folder, 'other')}:/data"],
        "would make the recording's folder writable",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_path_that_reaches_the_recording_is_refused_and_nothing_is_written_there(
    case: str, recording: GeneratedRecording, tmp_path: Path, sim_image, monkeypatch: pytest.MonkeyPatch
):
    change, words = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # an empty path would be the working folder
    args = change(sim_sort_args(recording.folder, tmp_path / "out"), tmp_path, recording)
    before = listing(recording.folder)
    done = run_cli(*args)
    assert_refused(done, words)
    assert listing(recording.folder) == before
    assert list(work.iterdir()) == []


def test_a_read_only_mount_above_the_recording_is_allowed(recording: GeneratedRecording, tmp_path: Path, sim_image):
    done = run_cli(*sim_sort_args(recording.folder, tmp_path / "out", "--mount", f"{tmp_path}:/data:ro", "--dry-run"))
    assert done.returncode == 0, done.stderr


def test_an_output_reached_through_a_link_is_mounted_and_recorded_by_its_real_path(
    recording: GeneratedRecording, tmp_path: Path, sim_image
):
    real = tmp_path / "disk" / "sorted"
    real.mkdir(parents=True)
    link = link_to(tmp_path, real.parent, "fast")
    before = listing(recording.folder)
    done = run_cli(*sim_sort_args(recording.folder, link / "sorted" / ".." / "sorted"))
    assert done.returncode == 0, done.stderr
    assert json.loads(job_file(real).read_text())["output"] == str(real)
    assert (real / "params.py").exists()
    assert listing(recording.folder) == before
