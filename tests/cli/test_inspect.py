"""`ks-gui inspect PATH [--json]` in a new process, as a user types it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import run_cli
from tests.helpers.layouts import NP1_META, openephys_session, sparse, spikeglx_run, spikeglx_stream

RECORDING_KEYS = {
    "format",
    "binary",
    "n_channels",
    "n_channels_connected",
    "sample_rate",
    "n_samples",
    "duration_s",
    "dtype",
    "size_bytes",
    "stream",
    "probe",
    "probe_description",
    "channel_map",
    "metadata",
    "preselected",
    "warnings",
}


def test_json_for_a_spikeglx_run_with_two_probes(tmp_path):
    run = spikeglx_run(tmp_path)
    done = run_cli("inspect", str(run), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # exactly one JSON document
    assert set(document) == {"recordings", "problems"} and document["problems"] == []
    first, second = document["recordings"]
    assert set(first) == RECORDING_KEYS
    assert first["format"] == "spikeglx" and Path(first["binary"]).is_absolute()
    assert first["binary"] == str(run / "mouse42_g0_imec0" / "mouse42_g0_t0.imec0.ap.bin")
    assert (first["n_channels"], first["n_channels_connected"], first["sample_rate"]) == (385, 384, 30000.0)
    assert (first["n_samples"], first["dtype"], first["stream"], first["probe"]) == (
        157955,
        "int16",
        "imec0.ap",
        "PRB_1_4_0480_1",
    )
    assert abs(first["duration_s"] - 157955 / 30000) < 1e-9
    assert first["preselected"] and not second["preselected"] and second["probe"] == "NP2010"


def test_json_for_open_ephys_and_raw_binaries(tmp_path):
    document = json.loads(run_cli("inspect", str(openephys_session(tmp_path / "oe")), "--json").stdout)
    assert {r["format"] for r in document["recordings"]} == {"openephys"}
    assert len(document["recordings"]) == 12 and sum(r["preselected"] for r in document["recordings"]) == 1

    sparse(tmp_path / "raw" / "a.bin", 64)
    document = json.loads(run_cli("inspect", str(tmp_path / "raw"), "--json").stdout)
    (raw,) = document["recordings"]
    assert (raw["format"], raw["n_channels"], raw["sample_rate"], raw["n_samples"], raw["stream"]) == (
        "binary",
        None,
        None,
        None,
        None,
    )


def test_problems_go_into_the_json_and_exit_2_when_nothing_is_usable(tmp_path):
    spikeglx_stream(tmp_path / "r", "r_g0_t0.imec0.ap", NP1_META, size=1540)
    done = run_cli("inspect", str(tmp_path / "r"), "--json")
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["recordings"] == []
    assert document["problems"] == [
        "r_g0_t0.imec0.ap.bin has 1540 bytes but r_g0_t0.imec0.ap.meta says fileSizeBytes=121625350: "
        "the copy is incomplete or the .meta belongs to another file"
    ]
    plain = run_cli("inspect", str(tmp_path / "r"))
    assert plain.returncode == 2 and plain.stdout == ""
    assert plain.stderr.strip().splitlines() == [f"ks-gui: {document['problems'][0]}"]


def test_the_plain_text_card(tmp_path):
    done = run_cli("inspect", str(spikeglx_run(tmp_path, metas=(NP1_META,))))
    assert done.returncode == 0, done.stderr
    assert "    channels: 385 (384 connected)\n" in done.stdout
    assert "    probe: PRB_1_4_0480_1 (Neuropixels 1.0 probe)\n" in done.stdout
    assert "    duration: 5.3 s (157,955 samples)\n" in done.stdout


def test_an_unreadable_binary():
    # Under a folder every user may enter, so the check can run as an ordinary user when the tests run as root.
    shared = Path(tempfile.mkdtemp(prefix="ks-gui-unreadable-"))
    try:
        shared.chmod(0o755)
        binary = spikeglx_stream(shared / "rec", "rec_g0_t0.imec0.ap", NP1_META)
        (shared / "rec").chmod(0o755)
        binary.with_suffix(".meta").chmod(0o644)
        binary.chmod(0o000)
        command = [sys.executable, "-m", "ks_gui", "inspect", str(shared / "rec"), "--json"]
        if os.getuid() == 0:
            # root reads anything: run the command as `nobody`, to whom the binary is unreadable
            setpriv = shutil.which("setpriv")
            assert setpriv, "setpriv (util-linux) is needed to test as an ordinary user"
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        assert json.loads(done.stdout)["problems"] == [f"cannot read {binary}: permission denied"]
    finally:
        shutil.rmtree(shared)
