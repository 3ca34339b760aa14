"""`ks-gui sort` with a channel count the recording's own files contradict (issue 29): one sentence, exit 2, nothing
started. Before, the probe file was dropped without a word and the sort "succeeded" with units of noise."""

from __future__ import annotations

from tests.conftest import run_cli as ks_gui
from tests.helpers.layouts import NP1_META, spikeglx_stream
from tests.ui.test_first_hour_form import recording_with_probe_file


def test_fewer_channels_than_the_probe_file_beside_the_recording(tmp_path):
    recording = recording_with_probe_file(tmp_path / "rec")
    output = tmp_path / "sorted"
    done = ks_gui(
        "sort", str(recording.folder), "-o", str(output), "--sorter", "kilosort4", "--on", "local",
        "--param", "n_chan_bin=30", "--param", "fs=30000",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "ks-gui: the probe file beside the recording (probe.prb) places contacts on 32 channels, more than 30: set "
        "the channel count to 32, or move probe.prb away to sort without it (--channels N)"
    ]
    assert not output.exists()


def test_a_channel_count_the_meta_file_contradicts(tmp_path):
    binary = spikeglx_stream(tmp_path / "run_g0_imec0", "run_g0_t0.imec0.ap", NP1_META)
    done = ks_gui(
        "sort", str(binary.parent), "-o", str(tmp_path / "sorted"), "--sorter", "kilosort4", "--on", "local",
        "--param", "n_chan_bin=384",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "ks-gui: the recording's metadata (run_g0_t0.imec0.ap.meta) says it has 385 channels, not 384: set the "
        "channel count to 385 (--channels N)"
    ]


def test_more_channels_than_the_probe_file_names_still_sorts_the_extra_ones_unconnected(tmp_path):
    """A sync or aux channel after the probe's: the count is larger than the probe file's, which is no contradiction."""
    recording = recording_with_probe_file(tmp_path / "rec")
    done = ks_gui(
        "sort", str(recording.folder), "-o", str(tmp_path / "sorted"), "--sorter", "kilosort4", "--on", "local",
        "--param", "n_chan_bin=40", "--param", "fs=30000", "--dry-run", "--json",
    )  # fmt: skip
    assert "places contacts" not in done.stdout + done.stderr
