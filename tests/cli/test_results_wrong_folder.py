"""`ks-gui results` and File → Open results… on a folder that is not a sort's output (issue 29): one plain sentence,
never `[Errno 2] … params.py`."""

from __future__ import annotations

from tests.conftest import run_cli, write_recording


def test_results_of_a_recordings_folder(tmp_path):
    recording = write_recording(tmp_path / "rec")
    done = run_cli("results", str(recording.folder))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ks-gui: {recording.folder} holds a recording (recording.bin), not a sort's results: choose the output "
        "folder a sort wrote (by default the recording folder's name with _kilosort), or sort the recording first"
    ]


def test_results_of_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("results", str(tmp_path / "empty"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ks-gui: {tmp_path / 'empty'} holds no sort's results (no params.py): choose the output folder a sort wrote"
    ]
