"""One real Kilosort 4 sort (on the CPU, in the test Kilosort 4 environment, which has SpikeInterface) of a
recording made by SpikeInterface's ground-truth generator, shared by the quality tests of the session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ks_gui.core.places import kilosort4_env
from tests.helpers.kilosort4_environment import test_environment
from tests.quality.ground_truth import N_CHANNELS, SAMPLE_RATE, GroundTruth, write_ground_truth

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SortedTruth:
    truth: GroundTruth
    output: Path
    outcome: dict  # `ks-gui sort --json`'s document
    log: str
    sort_seconds: float  # the whole `ks-gui sort`, quality stage included


# A folder an earlier session sorted into (its ground-truth0), to work on these tests without sorting again.
REUSE_VARIABLE = "KS_GUI_TEST_QUALITY_SORTED"


@pytest.fixture(scope="session")
def sorted_truth(tmp_path_factory: pytest.TempPathFactory) -> SortedTruth:
    if reused := os.environ.get(REUSE_VARIABLE):
        folder = Path(reused)
        kept = json.loads((folder / "session.json").read_text())
        truth = GroundTruth(folder / "rec" / "rec.bin", folder / "truth.npz")
        return SortedTruth(truth, folder / "sorted", kept["outcome"], kept["log"], kept["seconds"])
    folder = tmp_path_factory.mktemp("ground-truth")
    truth = write_ground_truth(folder)
    output = folder / "sorted"
    environment = {**os.environ, kilosort4_env.ENV_VARIABLE: str(test_environment())}
    environment["PYTHONPATH"] = str(REPOSITORY)
    home = tmp_path_factory.mktemp("user")  # as tests/conftest.py's user_folders, for the whole session
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        environment[name] = str(home / name.lower())
    command = [sys.executable, "-m", "ks_gui", "sort", str(truth.binary.parent), "--sorter", "kilosort4"]
    command += ["--on", "local", "--output", str(output), "--json"]
    command += ["--param", f"n_chan_bin={N_CHANNELS}", "--param", f"fs={SAMPLE_RATE}"]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1500, env=environment)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout)
    log = Path(outcome["log_file"]).read_text()
    (folder / "session.json").write_text(json.dumps({"outcome": outcome, "log": log, "seconds": seconds}))
    return SortedTruth(truth, output, outcome, log, seconds)
