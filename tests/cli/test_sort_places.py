"""`ks-gui sort --on PLACE`: where a sort runs is said apart from what sorts; a pair that cannot run is one line."""

from __future__ import annotations

import pytest

from tests.conftest import GeneratedRecording, run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sorter", "kilosort2.5", "--on", "local"], "Kilosort 2.5 (MATLAB) does not run on 'local'"),
        (["--sorter", "kilosort4-local", "--on", "docker"], "--sorter kilosort4-local runs on local, not on docker"),
    ],
)
def test_a_sorter_on_a_place_it_cannot_run_on_is_refused(recording: GeneratedRecording, tmp_path, args, message):
    output = tmp_path / "sorted"
    done = run_cli("sort", str(recording.folder), *args, "--param", "fs=30000", "-o", str(output))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ks-gui: {message}"), done.stderr
    assert not output.exists()


def test_help_names_both_axes():
    done = run_cli("sort", "--help")
    assert "--sorter" in done.stdout and "--on PLACE" in done.stdout and "kilosort4-local" in done.stdout
