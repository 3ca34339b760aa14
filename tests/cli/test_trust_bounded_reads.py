"""Bounded reads of the files a user chose (issue 28, items 6 and 7): `ks-gui explain` refuses devices, FIFOs and
folders in one sentence and reads at most what a log can be; a damaged chanMap.mat is one sentence, never a
traceback; a .prb naming channels the recording lacks stops the sort instead of being swapped for a made-up
geometry. Real files, a real FIFO, the real /dev/zero."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ks_gui.core.ground.chosen_files import ChosenFileError, read_chosen
from ks_gui.core.recordings.channel_map import ChannelMapError, read_kilosort_mat
from tests.conftest import run_cli, sim_sort_args, write_recording
from tests.e2e.test_bad_input import assert_refused


def _one_gigabyte_of_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))  # an unbounded read fails instead of filling memory


def explain(path: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ks_gui", "explain", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_one_gigabyte_of_memory,
        check=False,
    )


def test_explain_refuses_a_device(tmp_path: Path):
    assert_refused(explain("/dev/zero"), "/dev/zero is a device, not a log file")


def test_explain_refuses_a_fifo_instead_of_waiting_on_it(tmp_path: Path):
    fifo = tmp_path / "kilosort.log"
    os.mkfifo(fifo)
    assert_refused(explain(fifo), "is a pipe (FIFO), not a log file")


def test_explain_still_says_a_folder_and_a_missing_file(tmp_path: Path):
    assert_refused(explain(tmp_path), "is a folder, not a log file")
    assert_refused(explain(tmp_path / "none.log"), "no such log file")


def test_a_long_file_is_read_from_its_end_up_to_the_limit(tmp_path: Path):
    log = tmp_path / "long.log"
    log.write_bytes(b"a" * 3000 + b"the end\n")
    data, more = read_chosen(log, "log file", 1000, tail=True)
    assert more and len(data) == 1000 and data.endswith(b"the end\n")
    assert read_chosen(log, "log file", 10_000) == (log.read_bytes(), False)
    with pytest.raises(ChosenFileError, match="is a device"):
        read_chosen(Path("/dev/null"), "log file", 1000)


def _channel_map_bytes() -> bytes:
    buffer = io.BytesIO()
    scipy.io.savemat(
        buffer,
        {
            "chanMap": np.arange(1, 33),
            "xcoords": np.zeros(32),
            "ycoords": np.arange(32) * 20.0,
            "kcoords": np.ones(32),
            "connected": np.ones(32),
            "fs": 30000.0,
        },
    )
    return buffer.getvalue()


def test_a_truncated_channel_map_is_one_sentence_at_every_length(tmp_path: Path):
    whole = _channel_map_bytes()
    path = tmp_path / "chanMap.mat"
    for length in range(0, len(whole), 3):
        path.write_bytes(whole[:length])
        try:
            read_kilosort_mat(path)
        except ChannelMapError as err:
            assert "\n" not in str(err) and "chanMap.mat" in str(err)


def test_inspect_of_a_recording_beside_a_truncated_channel_map_says_so(tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    (recording.folder / "chanMap.mat").write_bytes(_channel_map_bytes()[:21])
    done = run_cli("inspect", str(recording.folder))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "warning: chanMap.mat is not a channel map .mat Kilosort can read" in done.stdout


@pytest.mark.engine
def test_a_probe_file_naming_channels_the_recording_lacks_stops_the_sort(tmp_path: Path, sim_image):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    geometry = {i: (0, i * 20) for i in range(40)}
    (recording.folder / "probe.prb").write_text(
        f"channel_groups = {{0: {{'channels': list(range(40)), 'geometry': {geometry}}}}}\n"
    )
    done = run_cli(*sim_sort_args(recording.folder, tmp_path / "out", "--dry-run"))
    assert_refused(done, "probe.prb places contacts on 40 channels, the recording has 32")
    assert not (tmp_path / "out").exists()
