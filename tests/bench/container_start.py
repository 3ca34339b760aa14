"""Time from starting the container to its first output line: ks-gui's engine module vs. `docker run`.

Both start the same container (the stand-in image, the same job, the same mounts: the baseline runs the
`docker run` line ks-gui itself prints for the spec). Prints medians and their ratio; run with `make bench`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ks_gui.core import sorting
from ks_gui.core.events import LogLine
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.places.docker_engine import connect
from ks_gui.core.places.docker_place import DockerPlace
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.run import SortRun
from tests.bench.report import report
from tests.conftest import SIM_IMAGE, write_recording

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def checked_job(engine, recording_folder: Path, output: Path) -> sorting.Checked:
    job = SortJob(
        recording=inspect(recording_folder),
        output=output,
        license=parse_license("server:27000@lic"),
        image=SIM_IMAGE,
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    return sorting.check(job, DockerPlace(engine), "none", [])


def new_run(engine, recording_folder: Path, output: Path) -> SortRun:
    return sorting.prepare(checked_job(engine, recording_folder, output))


def ours(engine, recording_folder: Path, output: Path) -> float:
    run = new_run(engine, recording_folder, output)
    started = time.perf_counter()
    run.start()
    for event in run.events():
        if isinstance(event, LogLine):
            first = time.perf_counter() - started
            break
    for _ in run.events():  # let it finish and clean up
        pass
    return first


def baseline(engine, recording_folder: Path, output: Path) -> float:
    checked = checked_job(engine, recording_folder, output)
    sorting.prepare(checked).write_files()
    command = sorting.plan(checked)["docker_run"]
    started = time.perf_counter()
    process = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    process.stdout.readline()
    first = time.perf_counter() - started
    process.communicate()
    return first


def main() -> None:
    engine = connect()
    with tempfile.TemporaryDirectory() as folder:
        recording = write_recording(Path(folder) / "rec", seconds=2)
        ours(engine, recording.folder, Path(folder) / "warm-up")  # compiles the stand-in's mex cache once
        ours_times, docker_times = [], []
        for i in range(ROUNDS):
            ours_times.append(ours(engine, recording.folder, Path(folder) / f"ours-{i}"))
            docker_times.append(baseline(engine, recording.folder, Path(folder) / f"docker-{i}"))
    report("container start to first output line", ("docker run", docker_times), ("ks-gui engine", ours_times),
           "ks-gui / docker run")  # fmt: skip


if __name__ == "__main__":
    main()
