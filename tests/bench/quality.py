"""The quality stage's cost against the sort's own: `ks-gui sort --sorter kilosort4 --on local` of a recording made
by SpikeInterface's ground-truth generator (60 s, 32 channels, 10 units), the stages' times as the launcher
measured them (the run's stage times in ks-gui's data folder): the quality stage (SpikeInterface's analyzer, metrics
and Bombcell's labels) against everything before it (goal: at most a quarter of a GPU sort; on a CPU, where the
sort itself is slow, the ratio is smaller). `make bench`; uses $KS_GUI_KILOSORT4_ENV or build/ks4-env, which needs
SpikeInterface (ks-gui install kilosort4 puts it there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ks_gui.core.places import kilosort4_env
from tests.bench.report import report
from tests.quality.ground_truth import N_CHANNELS, SAMPLE_RATE, write_ground_truth

ROUNDS = int(os.environ.get("QUALITY_BENCH_ROUNDS", "1"))


def stage_seconds(data_home: Path) -> dict[str, float]:
    """The newest sort's seconds per stage, as the launcher kept them (stage_times.json)."""
    document = json.loads((data_home / "ks-gui" / "stage_times.json").read_text())
    return {stage: float(seconds) for stage, seconds in document["records"][-1]["seconds"].items()}


def main() -> None:
    folder = Path(os.environ.get(kilosort4_env.ENV_VARIABLE) or Path("build/ks4-env")).absolute()
    sorts, qualities = [], []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        truth = write_ground_truth(work / "truth")
        environment = {**os.environ, kilosort4_env.ENV_VARIABLE: str(folder), "CUDA_VISIBLE_DEVICES": ""}
        environment["XDG_DATA_HOME"] = str(work / "data")
        environment["XDG_STATE_HOME"] = str(work / "state")
        for round_ in range(ROUNDS):
            command = [sys.executable, "-m", "ks_gui", "sort", str(truth.binary.parent), "--sorter", "kilosort4"]
            command += ["--on", "local", "--output", str(work / f"sorted{round_}"), "--gpu", "none", "--json"]
            command += ["--param", f"n_chan_bin={N_CHANNELS}", "--param", f"fs={SAMPLE_RATE}"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
            seconds = stage_seconds(work / "data")
            quality = seconds.pop("quality", None)
            if quality is None:
                raise SystemExit("the sort had no quality stage: does the Kilosort 4 environment have SpikeInterface?")
            qualities.append(quality)
            sorts.append(sum(seconds.values()))
    report(
        "quality stage after a Kilosort 4 CPU sort (60 s x 32 channels, 10 units)",
        ("the sort's own stages", sorts),
        ("the quality stage", qualities),
        "quality / sort",
        goal="at most a quarter of a GPU sort's time",
    )


if __name__ == "__main__":
    main()
