"""Time from submitting a sort to its first output line on the one-node SLURM cluster: ks-gui (its batch script,
sbatch, following the output file) against `sbatch` of the same script by hand and waiting for the file's first line,
in the same run. The stand-in image through Docker on the node, no GPU. Prints medians and their ratio; run with
`make bench` (the cluster must be up: tests/setup/slurm.sh)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ks_gui.core import sorting
from ks_gui.core.doors.clusters import Cluster
from ks_gui.core.events import LogLine
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.places.slurm import SlurmOptions
from ks_gui.core.recordings.inspection import inspect
from tests.bench.report import report
from tests.conftest import SIM_IMAGE, write_recording

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
CLUSTER = Cluster(options=SlurmOptions(gpus=0), runs="docker")


def checked(recording: Path, output: Path) -> sorting.Checked:
    job = SortJob(
        recording=inspect(recording),
        output=output,
        license=parse_license("server:27000@lic"),
        image=SIM_IMAGE,
        place="slurm",
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    one = sorting.check(job, sorting.open_place("slurm", cluster=CLUSTER), "none")
    assert not one.problems, one.problems
    return one


def ours(recording: Path, output: Path) -> float:
    run = sorting.prepare(checked(recording, output))
    started = time.perf_counter()
    run.start()
    events = run.events()
    for event in events:
        if isinstance(event, LogLine):
            first = time.perf_counter() - started
            break
    for _ in events:
        pass
    return first


def by_hand(recording: Path, output: Path) -> float:
    """The same script, as a user submits it: sbatch, then the output file's first line."""
    one = checked(recording, output)
    run = sorting.prepare(one)
    run.write_files()
    script = output / ".ks-gui" / "by-hand.sbatch"
    script.write_text(sorting.plan(one)["sbatch_script"].replace("slurm-%j.out", "by-hand-%j.out"))
    (output / ".ks-gui" / "mex").mkdir(exist_ok=True)
    started = time.perf_counter()
    job = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True).stdout
    log = output / ".ks-gui" / f"by-hand-{job.strip()}.out"
    while not (log.exists() and b"\n" in log.read_bytes()):
        time.sleep(0.02)
    first = time.perf_counter() - started
    while subprocess.run(["squeue", "-h", "-j", job.strip()], capture_output=True, text=True).stdout.strip():
        time.sleep(0.2)
    return first


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        recording = write_recording(Path(folder) / "rec", seconds=2).folder
        ours(recording, Path(folder) / "warm-up")
        ours_times, hand_times = [], []
        for i in range(ROUNDS):
            ours_times.append(ours(recording, Path(folder) / f"ours-{i}"))
            hand_times.append(by_hand(recording, Path(folder) / f"hand-{i}"))
    report("submission to first output line on the one-node cluster", ("sbatch by hand", hand_times),
           ("ks-gui", ours_times), "ks-gui / by hand")  # fmt: skip


if __name__ == "__main__":
    main()
