"""Recording detection over the real SpikeGLX and Open Ephys metadata, generated layouts and raw binaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ks_gui.core.job import SortJob
from ks_gui.core.recordings.inspection import inspect, inspect_all
from ks_gui.core.recordings.recording import RecordingError
from tests.helpers.layouts import (
    NP1_BYTES,
    NP1_META,
    NP2_BYTES,
    NP2_META,
    oebin_streams,
    openephys_recording,
    openephys_session,
    sparse,
    spikeglx_run,
    spikeglx_stream,
)

# --- SpikeGLX ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "size", "probe", "samples", "shanks"),
    [(NP1_META, NP1_BYTES, "PRB_1_4_0480_1", 157_955, 1), (NP2_META, NP2_BYTES, "NP2010", 30_648, 4)],
    ids=["np1", "np2-4shank"],
)
def test_each_spikeglx_fixture(tmp_path, meta, size, probe, samples, shanks):
    binary = spikeglx_stream(tmp_path / "rec_g0_imec0", "rec_g0_t0.imec0.ap", meta)
    for dropped in (tmp_path / "rec_g0_imec0", binary, binary.with_suffix(".meta")):
        recording = inspect(dropped)
        assert recording.format == "spikeglx" and recording.binary == binary
        assert (recording.n_channels, recording.sample_rate, recording.size_bytes) == (385, 30000.0, size)
        assert recording.n_samples(385) == samples and recording.duration_s == pytest.approx(samples / 30000)
        assert (recording.stream, recording.probe, recording.dtype) == ("imec0.ap", probe, "int16")
        channel_map = recording.channel_map
        assert channel_map.n_channels == 385 and channel_map.n_connected == 384
        assert channel_map.connected[384] is False  # the sync channel
        assert channel_map.n_shanks == shanks
        assert recording.warnings == ()


def test_np1_geometry_is_the_checkerboard_from_the_imro_table(tmp_path):
    recording = inspect(spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META))
    m = recording.channel_map
    assert sorted(set(m.x_um[:384])) == [0.0, 16.0, 32.0, 48.0]
    assert (m.y_um[0], m.y_um[2], m.y_um[383]) == (0.0, 20.0, 3820.0)


def test_a_run_folder_with_two_probes_lists_both_and_preselects_imec0(tmp_path):
    run = spikeglx_run(tmp_path)
    found = inspect_all(run)
    assert [r.stream for r in found.recordings] == ["imec0.ap", "imec1.ap"]
    assert [r.probe for r in found.recordings] == ["PRB_1_4_0480_1", "NP2010"]
    assert inspect(run) == found.preselected and found.preselected.stream == "imec0.ap"
    assert not found.choice_needed and found.problems == ()
    assert inspect(run / "mouse42_g0_imec1").probe == "NP2010"  # a probe subfolder


def test_the_ap_band_is_preselected_over_lf_and_nidq(tmp_path):
    folder = tmp_path / "run_g0"
    folder.mkdir()
    # a generated NI-DAQ meta (no real one among the fixtures): 9 analog/digital channels at 25 kHz
    (folder / "run_g0_t0.nidq.meta").write_text("nSavedChans=9\nniSampRate=25000\nfileSizeBytes=18000\ntypeThis=nidq\n")
    sparse(folder / "run_g0_t0.nidq.bin", 18000)
    spikeglx_stream(folder, "run_g0_t0.imec0.lf", NP1_META)
    spikeglx_stream(folder, "run_g0_t0.imec0.ap", NP1_META)
    found = inspect_all(folder)
    assert [r.stream for r in found.recordings] == ["imec0.ap", "imec0.lf", "nidq"]
    nidq = found.recordings[2]
    assert (nidq.n_channels, nidq.sample_rate, nidq.samples, nidq.probe) == (9, 25000.0, 1000, None)


def test_phase3a_names_without_a_probe_index(tmp_path):
    recording = inspect(spikeglx_stream(tmp_path / "old", "old_g0_t0.imec.ap", NP1_META))
    assert recording.stream == "imec.ap" and recording.n_channels == 385


def test_a_saved_channel_subset(tmp_path):
    """snsSaveChanSubset=0:99,768: 100 electrodes and the sync channel; geometry for those 100 only."""
    text = NP1_META.read_text()
    n_samples = 1000
    text = text.replace("nSavedChans=385", "nSavedChans=101").replace(
        "snsSaveChanSubset=0:383,768", "snsSaveChanSubset=0:99,768"
    )
    text = text.replace("snsApLfSy=384,0,1", "snsApLfSy=100,0,1").replace(
        "fileSizeBytes=121625350", f"fileSizeBytes={n_samples * 101 * 2}"
    )
    folder = tmp_path / "subset"
    folder.mkdir()
    (folder / "s_g0_t0.imec0.ap.meta").write_text(text)  # generated from the fixture's text in memory
    sparse(folder / "s_g0_t0.imec0.ap.bin", n_samples * 101 * 2)
    recording = inspect(folder)
    assert recording.n_channels == 101 and recording.channel_map.n_connected == 100
    assert recording.channel_map.connected[100] is False
    assert recording.channel_map.y_um[99] == 980.0


# --- SpikeGLX inconsistencies ----------------------------------------------------------------------------------------


def test_size_not_divisible_by_the_channel_count(tmp_path):
    spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META, size=NP1_BYTES - 2)
    with pytest.raises(RecordingError) as err:
        inspect(tmp_path / "r")
    assert str(err.value) == (
        f"r_g0_t0.imec0.ap.bin has {NP1_BYTES - 2} bytes, which is not a whole number of 385-channel int16 samples "
        "(r_g0_t0.imec0.ap.meta says 385 channels): the file is cut short or belongs to another recording"
    )


def test_size_differs_from_file_size_bytes(tmp_path):
    spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META, size=770 * 1000)
    with pytest.raises(
        RecordingError, match=r"has 770000 bytes but r_g0_t0.imec0.ap.meta says fileSizeBytes=121625350"
    ):
        inspect(tmp_path / "r")


def test_missing_binary_next_to_the_meta(tmp_path):
    spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META, binary=False)
    with pytest.raises(RecordingError) as err:
        inspect(tmp_path / "r")
    assert str(err.value) == "r_g0_t0.imec0.ap.meta has no r_g0_t0.imec0.ap.bin beside it: copy the binary too"


def test_zero_length_binary(tmp_path):
    binary = spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META, size=0)
    with pytest.raises(RecordingError, match=f"^{binary} is empty \\(0 bytes\\)$"):
        inspect(binary)


def test_one_broken_probe_leaves_the_other_usable_and_is_reported(tmp_path):
    run = spikeglx_run(tmp_path)
    (run / "mouse42_g0_imec0" / "mouse42_g0_t0.imec0.ap.bin").unlink()
    found = inspect_all(run)
    assert [r.stream for r in found.recordings] == ["imec1.ap"]
    assert found.problems == (
        "mouse42_g0_t0.imec0.ap.meta has no mouse42_g0_t0.imec0.ap.bin beside it: copy the binary too",
    )


def test_a_meta_without_channel_count(tmp_path):
    (tmp_path / "x_g0_t0.imec0.ap.meta").write_text("imSampRate=30000\n")
    sparse(tmp_path / "x_g0_t0.imec0.ap.bin", 770)
    with pytest.raises(
        RecordingError, match=r"is not a SpikeGLX \.meta file Kilosort can use \(no valid nSavedChans\)"
    ):
        inspect(tmp_path)


# --- Open Ephys ----------------------------------------------------------------------------------------------------


def test_the_open_ephys_fixture_with_its_settings_xml(tmp_path):
    recording_folder = openephys_recording(
        tmp_path / "Record Node 101" / "experiment1" / "recording1", oebin_streams()[:1]
    )
    for dropped in (tmp_path, recording_folder, recording_folder / "continuous" / "Neuropix-PXI-100.ProbeA"):
        recording = inspect(dropped)
        assert recording.format == "openephys"
        assert recording.binary == recording_folder / "continuous" / "Neuropix-PXI-100.ProbeA" / "continuous.dat"
        assert (recording.n_channels, recording.sample_rate, recording.n_samples(384)) == (384, 30000.0, 30000)
        assert (recording.stream, recording.probe) == ("ProbeA", "NP2014")
        assert recording.channel_map.n_connected == 384 and recording.channel_map.name == "NP2014"
        assert recording.warnings == ()
    assert inspect(recording.binary) == recording  # the continuous.dat itself


def test_open_ephys_without_probe_info_gets_a_linear_map_and_a_warning(tmp_path):
    openephys_recording(
        tmp_path / "Record Node 101" / "experiment1" / "recording1", oebin_streams()[:1], settings=False
    )
    recording = inspect(tmp_path)
    assert recording.channel_map.name == "linear 384" and recording.probe is None
    assert recording.warnings == (
        "no probe geometry for ProbeA (no settings.xml in the record node): a linear channel map is used",
    )


def test_several_record_nodes_recordings_and_streams(tmp_path):
    session = openephys_session(tmp_path)
    found = inspect_all(session)
    assert len(found.recordings) == 2 * 2 * 3
    first = found.preselected
    assert first.stream == "ProbeA" and "Record Node 101" in str(first.binary) and "recording1" in str(first.binary)
    ranks = [r.stream for r in found.recordings]
    assert ranks[:4] == ["ProbeA"] * 4 and set(ranks[4:8]) == {"ProbeA-LFP"} and set(ranks[8:]) == {"PXIe-6341"}
    daq = found.recordings[-1]
    assert (daq.n_channels, daq.sample_rate) == (8, 30000.0)
    lfp = found.recordings[4]
    assert lfp.sample_rate == 2500.0 and lfp.duration_s == pytest.approx(1.0)
    assert found.problems == ()


def test_an_open_ephys_stream_without_its_continuous_dat(tmp_path):
    openephys_recording(tmp_path / "Record Node 101" / "experiment1" / "recording1", oebin_streams(), skip=("ProbeA",))
    found = inspect_all(tmp_path)
    assert [r.stream for r in found.recordings] == ["ProbeA-LFP", "PXIe-6341"]
    assert found.problems == (
        "Record Node 101 · experiment1 · recording1: stream ProbeA has no "
        "continuous/Neuropix-PXI-100.ProbeA/continuous.dat",
    )


def test_an_open_ephys_stream_whose_samples_disagree_with_sample_numbers(tmp_path):
    folder = openephys_recording(tmp_path / "Record Node 101" / "experiment1" / "recording1", oebin_streams()[:1])
    np.save(folder / "continuous" / "Neuropix-PXI-100.ProbeA" / "sample_numbers.npy", np.arange(40_000))
    with pytest.raises(RecordingError, match=r"holds 30000 samples but its sample_numbers\.npy lists 40000"):
        inspect(tmp_path)


def test_a_broken_structure_oebin(tmp_path):
    (tmp_path / "structure.oebin").write_text("{not json")
    with pytest.raises(RecordingError, match=r"is not a valid Open Ephys structure\.oebin"):
        inspect(tmp_path)


# --- raw binaries ----------------------------------------------------------------------------------------------------


def test_a_raw_binary_without_a_channel_map(tmp_path):
    binary = sparse(tmp_path / "rec" / "data.bin", 32 * 2 * 1000)
    recording = inspect(tmp_path / "rec")
    assert (recording.format, recording.binary, recording.n_channels, recording.sample_rate) == (
        "binary",
        binary,
        None,
        None,
    )
    assert recording.channel_map is None and recording.stream is None


def write_kilosort_chan_map(path: Path, n: int, fs: float | None = 25000.0, connected: list[bool] | None = None):
    content = {
        "chanMap": np.arange(1, n + 1).reshape(-1, 1).astype(float),
        "chanMap0ind": np.arange(n).reshape(-1, 1).astype(float),
        "connected": np.array(connected or [True] * n).reshape(-1, 1),
        "xcoords": np.tile([0.0, 20.0], n // 2).reshape(-1, 1),
        "ycoords": (np.arange(n) // 2 * 25.0).reshape(-1, 1),
        "kcoords": np.ones((n, 1)),
    }
    if fs is not None:
        content["fs"] = fs
    scipy.io.savemat(path, content)


def test_a_raw_binary_with_a_kilosort_chan_map_beside_it(tmp_path):
    sparse(tmp_path / "data.dat", 64 * 2 * 1000)
    write_kilosort_chan_map(tmp_path / "chanMap.mat", 64, connected=[k != 10 for k in range(64)])
    recording = inspect(tmp_path)
    assert (recording.n_channels, recording.sample_rate) == (64, 25000.0)
    assert recording.channel_map.n_connected == 63 and recording.channel_map.x_um[1] == 20.0
    assert recording.metadata == tmp_path / "chanMap.mat"


def test_a_chan_map_that_does_not_fit_the_binary_asks_for_the_channel_count(tmp_path):
    sparse(tmp_path / "data.bin", 385 * 2 * 1000)  # 384 mapped electrodes and a sync channel the map leaves out
    write_kilosort_chan_map(tmp_path / "chanMap.mat", 384, fs=None)
    recording = inspect(tmp_path)
    assert recording.n_channels is None and recording.sample_rate is None
    assert "enter the channel count" in recording.warnings[0]
    job = SortJob(recording, tmp_path / "out", None, param_overrides={"NchanTOT": 385, "fs": 30000.0})
    chan_map = job.effective_channel_map  # the user's 385 with the map's 384 electrodes, the last not connected
    assert chan_map.n_channels == 385 and chan_map.n_connected == 384 and chan_map.name == "chanMap"


def test_several_raw_binaries_need_a_choice(tmp_path):
    sparse(tmp_path / "a.bin", 1000)
    sparse(tmp_path / "b.bin", 2000)
    (tmp_path / "temp_wh.dat").write_bytes(b"\0" * 10)  # Kilosort's own file is never a candidate
    found = inspect_all(tmp_path)
    assert found.choice_needed and [r.binary.name for r in found.recordings] == ["a.bin", "b.bin"]
    with pytest.raises(RecordingError, match=r"holds several binaries \(a.bin, b.bin\): drop the one to sort"):
        inspect(tmp_path)


def test_an_empty_raw_binary(tmp_path):
    (tmp_path / "data.bin").touch()
    with pytest.raises(RecordingError, match="is empty"):
        inspect(tmp_path)


# --- other formats and other paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("session.nwb", "session.nwb is NWB data"),
        ("info.rhd", "info.rhd is Intan data"),
        ("datafile001.ns6", "datafile001.ns6 is Blackrock data"),
        ("100_CH1.continuous", "100_CH1.continuous is Open Ephys legacy data"),
    ],
)
def test_other_formats_are_named_with_how_to_convert(tmp_path, name, words):
    (tmp_path / name).write_bytes(b"x")
    for dropped in (tmp_path, tmp_path / name):
        with pytest.raises(RecordingError) as err:
            inspect(dropped)
        assert str(err.value).startswith(words) and "convert it to a raw int16 binary" in str(err.value)


def test_paths_that_hold_nothing(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        inspect(tmp_path / "nowhere")
    with pytest.raises(RecordingError, match=f"^no .bin or .dat recording in {tmp_path}$"):
        inspect(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(RecordingError, match=r"notes\.txt is not a recording"):
        inspect(tmp_path / "notes.txt")


def test_nothing_is_written_into_the_recording_folder(tmp_path):
    run = spikeglx_run(tmp_path)
    openephys_session(tmp_path / "oe")
    before = sorted((p, p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*"))
    inspect_all(run)
    inspect_all(tmp_path / "oe")
    assert sorted((p, p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")) == before


# --- the job uses the detected map -----------------------------------------------------------------------------------


def test_the_job_uses_the_detected_channel_map_and_writes_it(tmp_path):
    recording = inspect(spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP2_META))
    job = SortJob(recording, tmp_path / "out", None)
    assert (job.n_channels, job.sample_rate) == (385, 30000.0)
    chan_map = job.effective_channel_map
    assert chan_map is recording.channel_map and chan_map.n_connected == 384
    chan_map.write_mat(tmp_path / "chanMap.mat", job.sample_rate)
    mat = scipy.io.loadmat(tmp_path / "chanMap.mat", squeeze_me=True)
    assert list(mat["chanMap"][:3]) == [1, 2, 3] and list(mat["chanMap0ind"][:3]) == [0, 1, 2]
    assert mat["connected"].sum() == 384 and not mat["connected"][384]
    assert sorted(set(mat["kcoords"][:384])) == [1, 2, 3, 4]
    assert mat["fs"] == 30000.0 and mat["name"] == "NP2010"


def test_a_user_channel_count_that_contradicts_the_map_falls_back_to_linear(tmp_path):
    recording = inspect(spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META))
    job = SortJob(recording, tmp_path / "out", None, param_overrides={"NchanTOT": 5})
    assert job.effective_channel_map.name == "linear 5"
