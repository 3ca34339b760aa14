"""Real Kilosort 4 sorts on the CPU through the launcher, on a recording with planted units of known spike times.

The CLI sort and the window sort each run Kilosort 4 once (about a minute each on 2 cores); the failure and cancel
tests stop early. Per-unit agreement with the planted units is printed (pytest -s, or the CI log on failure).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ks_gui.core.events import Outcome
from ks_gui.core.job import SortJob
from ks_gui.core.places import kilosort4_env
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.progress import ProgressEvent
from tests.conftest import prepared_run
from tests.core.places.test_kilosort4_core import alive
from tests.helpers.kilosort4_environment import test_environment
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, UNITS, PlantedRecording, agreement, write_recording

pytestmark = pytest.mark.timeout(600)

MIN_AGREEMENT = 0.8
PHY_FILES = (
    "params.py",
    "spike_times.npy",
    "spike_clusters.npy",
    "spike_templates.npy",
    "templates.npy",
    "amplitudes.npy",
    "channel_map.npy",
    "channel_positions.npy",
    "whitening_mat_inv.npy",
    "cluster_KSLabel.tsv",
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> PlantedRecording:
    return write_recording(tmp_path_factory.mktemp("planted") / "rec", duration_s=40.0)


@pytest.fixture(autouse=True)
def ks4_env(monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = test_environment()
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(folder))
    return folder


def kilosort4_sort_args(recording: Path, output: Path, *extra: str, on: str = "local") -> list[str]:
    """`ks-gui sort` of the planted recording with Kilosort 4 on `on`."""
    return [
        *("sort", str(recording), "--sorter", "kilosort4", "--on", on, "--output", str(output)),
        *("--param", f"n_chan_bin={N_CHANNELS}", "--param", f"fs={SAMPLE_RATE}", *extra),
    ]


def sort_command(recording: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ks_gui", *kilosort4_sort_args(recording, output, *extra)]


def check_phy_folder(output: Path, planted: PlantedRecording) -> None:
    """What phy needs, and the planted units found again."""
    missing = [name for name in PHY_FILES if not (output / name).exists()]
    assert not missing, f"the phy folder lacks {missing}"
    params: dict = {}
    exec((output / "params.py").read_text(), params)  # phy reads params.py the same way
    dat_paths = params["dat_path"] if isinstance(params["dat_path"], list) else [params["dat_path"]]
    assert [Path(p) for p in dat_paths] == [planted.binary]
    assert all(Path(p).is_file() for p in dat_paths)
    assert params["n_channels_dat"] == N_CHANNELS
    assert params["sample_rate"] == SAMPLE_RATE
    times = np.load(output / "spike_times.npy")
    clusters = np.load(output / "spike_clusters.npy")
    assert times.shape[0] == clusters.shape[0] > 0
    assert np.load(output / "channel_map.npy").size == N_CHANNELS

    found = agreement(planted, output)
    print("\nKilosort 4 vs the planted units:")
    for unit in found:
        print("  " + unit.describe())
    poor = [unit.describe() for unit in found if unit.agreement < MIN_AGREEMENT]
    assert not poor, f"planted units not recovered (agreement < {MIN_AGREEMENT}): {poor}"


def test_cli_sorts_with_local_kilosort4(planted: PlantedRecording, tmp_path: Path, ks4_env: Path):
    output = tmp_path / "sorted"
    started = time.monotonic()
    done = subprocess.run(
        sort_command(planted.binary.parent, output, "--json"), capture_output=True, text=True, timeout=540
    )
    print(f"\nks-gui sort --sorter kilosort4-local took {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout)
    assert outcome["succeeded"] is True
    assert outcome["result"]["units"] >= len(planted.spike_times)
    assert outcome["result"]["spikes"] == np.load(output / "spike_times.npy").shape[0]
    check_phy_folder(output, planted)

    log = Path(outcome["log_file"]).read_text()
    markers = [line for line in log.splitlines() if line.startswith("[ks-gui] stage ")]
    assert markers == [
        f"[ks-gui] stage {s}"
        for s in ("start", "preprocess", "drift", "learn", "extract", "merge_split", "export", "quality", "done")
    ]
    assert "Kilosort version 4.1.7" in log
    run = json.loads((output / ".ks-gui" / "run.json").read_text())
    assert run["image"] is None
    assert run["environment"]["kilosort"] == "4.1.7"
    assert run["environment"]["torch"].startswith(kilosort4_env.TORCH_VERSION)
    assert run["exit_code"] == 0
    check_unit_table(output, planted)
    assert (output / ".ks-gui" / "drift_map.png").stat().st_size > 1000  # the CLI drew the kept drift map
    assert (output / ".ks-gui" / "units.png").stat().st_size > 1000  # and the unit table
    from ks_gui.core.results.units import kept_drift_map

    kept = kept_drift_map(output)  # Kilosort 4's own drift estimate (ops.npy's dshift), kept with the map
    assert kept is not None and kept.estimate is not None, "no drift estimate kept from ops.npy"
    assert 0 < kept.estimate.times_s[-1] < planted.duration_s and kept.estimate.shift_um.shape[1] >= 1


def check_unit_table(output: Path, planted: PlantedRecording) -> None:
    """The unit table kept beside the results: each planted unit found at its depth with its firing rate."""
    table = json.loads((output / ".ks-gui" / "units.json").read_text())
    for planted_unit, times in zip(UNITS, planted.spike_times, strict=True):
        depth, rate = planted_unit.channel * 20.0, len(times) / planted.duration_s
        near = [u for u in table["units"] if abs(u["y_um"] - depth) <= 30]
        assert any(abs(u["firing_rate_hz"] - rate) <= 0.3 * rate for u in near), (planted_unit, rate, near)
    job = json.loads((output / ".ks-gui" / "job.json").read_text())
    assert job["sorter"] == "kilosort4" and job["place"] == "local"
    assert job["params"]["n_chan_bin"] == N_CHANNELS
    assert job["params"]["Th_universal"] == 9
    assert "NT" not in job["params"]


def test_no_spikes_is_explained(tmp_path: Path):
    """A recording of pure noise: Kilosort 4 finds nothing to learn from, and the user is told so."""
    folder = tmp_path / "noise"
    folder.mkdir()
    rng = np.random.default_rng(3)
    rng.normal(0, 12, size=(int(8 * SAMPLE_RATE), N_CHANNELS)).astype(np.int16).tofile(folder / "noise.bin")
    done = subprocess.run(sort_command(folder, tmp_path / "out", "--json"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    outcome = json.loads(done.stdout)
    assert outcome["succeeded"] is False
    assert outcome["failure"]["kind"] == "too_few_spikes"
    assert "no spikes" in outcome["summary"]


def test_cancel_stops_the_sort_and_its_processes(planted: PlantedRecording, tmp_path: Path):
    job = SortJob(
        recording=inspect(planted.binary.parent),
        output=tmp_path / "cancelled",
        license=None,
        sorter=SORTERS["kilosort4"],
        place="local",
        param_overrides={"n_chan_bin": N_CHANNELS, "fs": SAMPLE_RATE},
    )
    run = prepared_run(job)
    run.start()
    pid = run._handle.pid  # the driver's process: its own process group
    outcome = None
    for event in run.events():
        if isinstance(event, ProgressEvent) and event.stage == "drift":
            run.cancel()
        if isinstance(event, Outcome):
            outcome = event
    assert outcome is not None and outcome.cancelled and not outcome.succeeded
    assert "Cancelled" in outcome.summary()
    assert not alive(pid)  # the driver is gone (its children share its process group and got the same signal)
    assert not (job.output / "spike_times.npy").exists()
