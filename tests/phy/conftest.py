"""Fixtures for the phy tests: a phy folder made by hand, one made by the stand-in image, and the real phy."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import GeneratedRecording, run_cli
from tests.e2e.test_cli_sort import sort_args

REPOSITORY = Path(__file__).resolve().parents[2]
# Installed by `make phy-env` (ks-gui's own installer); never imported into the test process (PyQt5).
PHY_ENV = REPOSITORY / "build" / "phy-env"
# rezToPhy's params.py as the manual docker_kilosort workflow leaves it: the container's path of the temp file.
CONTAINER_TEMP_FILE = "/home/matlab/Documents/MATLAB/workspace/temp_wh.dat"


def write_kilosort_folder(folder: Path, n_channels: int = 8, dat_path: str = CONTAINER_TEMP_FILE) -> Path:
    """A phy folder with the files and formats Kilosort 2.5's rezToPhy writes (small, made with numpy)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    n_spikes, n_templates = 200, 5
    np.save(folder / "spike_times.npy", np.sort(rng.integers(0, 30000, n_spikes)).astype(np.uint64))
    np.save(folder / "spike_templates.npy", (np.arange(n_spikes) % n_templates).astype(np.uint32))
    np.save(folder / "amplitudes.npy", rng.random(n_spikes))
    np.save(folder / "templates.npy", rng.random((n_templates, 82, n_channels)).astype(np.float32))
    np.save(folder / "channel_map.npy", np.arange(n_channels, dtype=np.int32))
    np.save(folder / "channel_positions.npy", np.c_[np.zeros(n_channels), 20.0 * np.arange(1, n_channels + 1)])
    labels = ["good", "mua", "good", "good", "mua"]
    rows = "".join(f"{i}\t{label}\r\n" for i, label in enumerate(labels))
    (folder / "cluster_KSLabel.tsv").write_text("cluster_id\tKSLabel\r\n" + rows, newline="")
    (folder / "params.py").write_text(
        f"dat_path = '{dat_path}'\nn_channels_dat = {n_channels}\ndtype = 'int16'\noffset = 0\n"
        "sample_rate = 30000.\nhp_filtered = True"  # no newline at the end, as rezToPhy writes it
    )
    return folder


def write_job_file(folder: Path, binary: Path, n_channels: int, n_connected: int) -> None:
    (folder / ".ks-gui").mkdir(exist_ok=True)
    document = {
        "contract": 1,
        "sorter": "kilosort2.5",
        "job_id": "20261125-081500-3f2a",
        "binary": str(binary),
        "n_channels": n_channels,
        "n_channels_connected": n_connected,
        "temp_file": "/elsewhere/temp_wh.dat",
    }
    (folder / ".ks-gui" / "job.json").write_text(json.dumps(document, indent=2))


@pytest.fixture
def phy_program() -> Path:
    """The real phy. Missing, the phy tests fail (never skip): `make phy-env` installs it."""
    program = PHY_ENV / "bin" / "phy"
    if not os.access(program, os.X_OK):
        pytest.fail(f"{program} is missing: run make phy-env", pytrace=False)
    return program


@pytest.fixture
def phy_home(tmp_path: Path) -> dict[str, str]:
    """phy writes ~/.phy and uses XDG_RUNTIME_DIR: give it its own, never the real home."""
    home, runtime = tmp_path / "phy-home", tmp_path / "phy-runtime"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    return {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


@pytest.fixture
def sorted_elsewhere(recording: GeneratedRecording, tmp_path: Path, sim_image) -> Path:
    """A folder sorted by the stand-in image, then moved (as results copied from another machine are): its
    params.py names a temp file that no longer exists there."""
    first = tmp_path / "sorted-on-the-workstation"
    done = run_cli(*sort_args(recording, first))
    assert done.returncode == 0, done.stderr
    moved = tmp_path / "copied-to-the-laptop"
    shutil.move(first, moved)
    return moved
