"""`ks-gui sort` on a SpikeGLX-layout recording, with no --param NchanTOT/fs: detection fills them in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from tests.conftest import run_cli, sim_sort_args

pytestmark = pytest.mark.engine

N_SAMPLES = 30_000  # 1 s at 30 kHz


def small_np1_meta(n_samples: int) -> str:
    """A Neuropixels 1.0 AP .meta as SpikeGLX writes it (the keys of the real fixture), for a short binary.

    Generated rather than copied: the real fixture's fileSizeBytes belongs to its 121 MB binary and the fixtures are
    never edited.
    """
    imro = "(0,384)" + "".join(f"({i} 0 0 500 250 1)" for i in range(384))
    return "\n".join(
        [
            "acqApLfSy=384,384,1",
            "appVersion=20190327",
            f"fileSizeBytes={n_samples * 385 * 2}",
            f"fileTimeSecs={n_samples / 30000}",
            "imDatPrb_pn=PRB_1_4_0480_1",
            "imDatPrb_sn=18194809281",
            "imDatPrb_type=0",
            "imSampRate=30000",
            "nSavedChans=385",
            "snsApLfSy=384,0,1",
            "snsSaveChanSubset=0:383,768",
            "typeThis=imec",
            f"~imroTbl={imro}",
            "",
        ]
    )


def test_sort_a_spikeglx_recording_without_channel_params(tmp_path: Path, sim_image):
    probe_folder = tmp_path / "mouse7_g0" / "mouse7_g0_imec0"
    probe_folder.mkdir(parents=True)
    (probe_folder / "mouse7_g0_t0.imec0.ap.meta").write_text(small_np1_meta(N_SAMPLES))
    noise = np.random.default_rng(3).normal(0, 20, size=(N_SAMPLES, 385)).astype(np.int16)
    noise.tofile(probe_folder / "mouse7_g0_t0.imec0.ap.bin")
    output = tmp_path / "sorted"

    # the run folder, as a user drags it; no channel count or sample rate: detection finds them
    done = run_cli(*sim_sort_args(tmp_path / "mouse7_g0", output, channels=None, fs=None))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("Sorted: ")

    job = json.loads((output / ".ks-gui" / "job.json").read_text())
    assert job["binary"] == str(probe_folder / "mouse7_g0_t0.imec0.ap.bin")
    assert (job["n_channels"], job["n_channels_connected"], job["sample_rate"]) == (385, 384, 30000.0)
    assert (job["params"]["NchanTOT"], job["n_samples"]) == (385, N_SAMPLES)

    chan_map = scipy.io.loadmat(output / ".ks-gui" / "chanMap.mat", squeeze_me=True)
    assert len(chan_map["chanMap"]) == 385 and chan_map["connected"].sum() == 384
    assert not chan_map["connected"][384]  # the sync channel
    assert sorted(set(chan_map["xcoords"][:384])) == [0.0, 16.0, 32.0, 48.0]  # the NP1 checkerboard
    assert chan_map["name"] == "PRB_1_4_0480_1"


def test_sort_all_probes_of_a_run_folder(tmp_path: Path, sim_image):
    """Two probes in one run folder: --all-probes sorts each in turn, each into its own folder."""
    run = tmp_path / "mouse7_g0"
    for probe in ("imec0", "imec1"):
        folder = run / f"mouse7_g0_{probe}"
        folder.mkdir(parents=True)
        (folder / f"mouse7_g0_t0.{probe}.ap.meta").write_text(small_np1_meta(N_SAMPLES))
        np.zeros((N_SAMPLES, 385), dtype=np.int16).tofile(folder / f"mouse7_g0_t0.{probe}.ap.bin")
    output = tmp_path / "sorted"
    done = run_cli(*sim_sort_args(run, output, "--all-probes", "--json", channels=None, fs=None))
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert [Path(r["output"]).name for r in runs] == ["mouse7_g0_imec0", "mouse7_g0_imec1"]
    for probe in ("imec0", "imec1"):
        job = json.loads((output / f"mouse7_g0_{probe}" / ".ks-gui" / "job.json").read_text())
        assert job["binary"].endswith(f"mouse7_g0_t0.{probe}.ap.bin")
        assert (output / f"mouse7_g0_{probe}" / "params.py").is_file()
    assert "[1/2]" in done.stderr and "[2/2]" in done.stderr


def test_several_recordings_are_all_checked_before_any_starts(tmp_path: Path, sim_image):
    good = tmp_path / "good"
    good.mkdir()
    np.zeros((N_SAMPLES, 32), dtype=np.int16).tofile(good / "rec.bin")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "rec.bin").write_bytes(b"\0" * 7)  # not whole 32-channel samples
    done = run_cli(*sim_sort_args([good, bad], tmp_path / "sorted"))
    assert done.returncode == 2
    assert "rec.bin:" in done.stderr and "not a whole number of 32-channel" in done.stderr
    assert not (tmp_path / "sorted").exists()
