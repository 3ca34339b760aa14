"""`ks-gui sort … --param` with a name the sorter does not know: one line that says what to type, nothing started."""

from __future__ import annotations

import pytest

from tests.conftest import GeneratedRecording, run_cli


@pytest.mark.parametrize(
    ("sorter", "param", "message"),
    [
        ("kilosort4", "NchanTOT=32", "NchanTOT is Kilosort 2.5's name: Kilosort 4 calls it n_chan_bin"),
        ("kilosort4", "NT=32704", "NT is Kilosort 2.5's name: Kilosort 4 calls it batch_size"),
        ("kilosort4", "Th=[10,4]", "Th is Kilosort 2.5's name: Kilosort 4 calls it Th_universal and Th_learned"),
        ("kilosort2.5", "n_chan_bin=32", "n_chan_bin is Kilosort 4's name: Kilosort 2.5 calls it NchanTOT"),
        ("kilosort2.5", "tmax=60", "tmax is Kilosort 4's name: Kilosort 2.5 calls it trange (its second value)"),
        ("kilosort4", "Threshold=3", "unknown parameter 'Threshold' (nearest: ccg_threshold, acg_threshold"),
    ],
)
def test_an_unknown_name_gets_one_line_and_nothing_starts(
    recording: GeneratedRecording, tmp_path, sorter, param, message
):
    output = tmp_path / "sorted"
    done = run_cli("sort", str(recording.folder), "--sorter", sorter, "--param", param, "-o", str(output))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ks-gui: {message}"), done.stderr
    assert not output.exists()
