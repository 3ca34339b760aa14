"""Kilosort 4's stage times on an NVIDIA GPU, for the ETA's GPU stage shape (ks_gui/core/sorters/kilosort4.py).

Two halves, because the GPU machine has no Docker, no network and no ks-gui environment:

    python -m tests.bench.eta_gpu record OUT WHEELS   # on the GPU machine: planted recordings of several lengths,
                                                       # each sorted once by the ks-gui driver in a fresh process,
                                                       # every line it prints kept with its time (OUT/gpu_sorts.json)
    python -m tests.bench.eta_gpu fit FILE            # here: seconds per stage, fitted as fixed + per channel-second,
                                                       # beside what the GPU shape predicts today, and the ETA's
                                                       # error on each sort's end, its lines replayed

tests/fixtures/logs/ks4_h200_timed.json is what `record` wrote on the lent NVIDIA H200 machine on 2026-12-04.

WHEELS holds what the GPU machine's Python lacks (kilosort, faiss-cpu, scikit-learn and its narwhals); they are
put on the driver's PYTHONPATH beside the machine's own torch. Not part of `make bench`: no GPU here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

DURATIONS_S = (30.0, 120.0, 300.0, 600.0)
STAGE_MARK = "[ks-gui] stage "


def _planted_module():
    """tests/helpers/planted.py without the test suite's conftest (Qt, Docker): its recorder is not needed here."""
    sys.modules.setdefault("tests.conftest", types.SimpleNamespace(remember_recording=lambda path: None))
    from tests.kilosort4 import planted

    return planted


def _packages(work: Path, wheels: Path) -> Path:
    """WHEELS installed into a folder put on the driver's PYTHONPATH: this Python's own torch stays in use (a virtual
    environment made from a virtual environment's Python would not see it)."""
    folder = work / "packages"
    wheel_files = sorted(str(p) for p in wheels.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder), *wheel_files],
        check=True,
    )
    return folder


def record(out: Path, wheels: Path) -> None:
    """Sort each length once; only OUT/gpu_sorts.json is written to OUT (the recordings and results to a temporary
    folder)."""
    work = Path(tempfile.mkdtemp(prefix="ks-gui-eta-gpu-"))
    planted = _planted_module()
    from ks_gui.drivers import KILOSORT4_DRIVER, driver_path
    from tests.helpers.driver_job import write_job

    packages = _packages(work, wheels)
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
    sorts = []
    for duration in DURATIONS_S:
        recording = planted.write_recording(work / f"rec-{int(duration)}", duration_s=duration)
        job_file = write_job(recording, work / f"sorted-{int(duration)}")
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg", "PYTHONPATH": str(packages)}
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(driver_path(KILOSORT4_DRIVER)), str(job_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        assert process.stdout is not None
        lines = [[round(time.monotonic() - started, 3), line.rstrip("\n")] for line in process.stdout]
        sorts.append(
            {
                "duration_s": duration,
                "channels": planted.N_CHANNELS,
                "exit_code": process.wait(),
                "seconds": round(time.monotonic() - started, 3),
                "lines": lines,
            }
        )
        print(f"{duration:6.0f} s recording: sorted in {sorts[-1]['seconds']:.1f} s (exit {sorts[-1]['exit_code']})")
        if sorts[-1]["exit_code"]:
            print("\n".join(text for _, text in lines[-15:]))
        recording.binary.unlink()
    document = {"gpu": gpu.stdout.strip(), "sorts": sorts}
    (out / "gpu_sorts.json").write_text(json.dumps(document, indent=1))


def stage_seconds(lines: list[list]) -> dict[str, float]:
    """Seconds from each `[ks-gui] stage` marker to the next (the first stage from the process's start)."""
    marks = [(t, text[len(STAGE_MARK) :].strip()) for t, text in lines if text.startswith(STAGE_MARK)]
    seconds: dict[str, float] = {}
    previous_time, previous_stage = 0.0, "start"
    for at, stage in marks:
        seconds[previous_stage] = seconds.get(previous_stage, 0.0) + at - previous_time
        previous_time, previous_stage = at, stage
    return seconds


def fit(file: Path) -> None:
    import numpy as np

    from ks_gui.core.sorters.kilosort4 import KILOSORT4_GPU

    document = json.loads(file.read_text())
    sorts = [s for s in document["sorts"] if s["exit_code"] == 0]
    sizes = np.array([s["duration_s"] * s["channels"] for s in sorts])
    measured = [stage_seconds(s["lines"]) for s in sorts]
    stages = [stage for stage in measured[0] if stage != "done"]
    print(f"{document['gpu']}: {len(sorts)} sorts, sizes {', '.join(f'{x:.0f}' for x in sizes)} channel-seconds")
    print(f"{'stage':<12} {'fixed s':>8} {'per ch-s':>10}   measured s per size            shape today")
    for stage in stages:
        seconds = np.array([m.get(stage, 0.0) for m in measured])
        slope, intercept = np.polyfit(sizes, seconds, 1)
        today = [KILOSORT4_GPU.fixed.get(stage, 0.0) + KILOSORT4_GPU.per_size.get(stage, 0.0) * x for x in sizes]
        print(
            f"{stage:<12} {max(intercept, 0.0):8.2f} {max(slope, 0.0):10.2e}   "
            f"{' '.join(f'{s:6.1f}' for s in seconds)}    {' '.join(f'{t:6.1f}' for t in today)}"
        )
    totals = [s["seconds"] for s in sorts]
    print(f"{'whole sort':<12} {'':>8} {'':>10}   {' '.join(f'{t:6.1f}' for t in totals)}")
    print("ETA error on the end time of a first sort (the GPU shape), replayed from each sort's timed lines:")
    for sort, size in zip(sorts, sizes, strict=True):
        where = f"{sort['duration_s']:4.0f} s x {sort['channels']} ch ({sort['seconds']:.0f} s)"
        print(f"  {where}: {replayed_errors(sort, size)}")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replayed_errors(sort: dict, size: float) -> str:
    """The lines fed at their times to a Tracker with Kilosort 4's GPU shape, a tick each second between them as the
    launcher does; the error at 10/25/50/75/90 % of the sort, worded as tests/bench/eta.py words it."""
    from ks_gui.core.sorters import KILOSORT4
    from ks_gui.core.sorters.progress import Tracker
    from tests.bench.eta import errors, text

    shape = KILOSORT4.shapes["gpu"]
    clock = _Clock()
    tracker = Tracker(
        clock=clock, sorter=KILOSORT4, predicted=shape.seconds(size), fixed_shares=shape.fixed_shares(size)
    )
    shown: list[list] = [[0.0, 0.0, None, "launch"]]
    for at, line in sort["lines"]:
        while clock.now + 1 < at:
            clock.now += 1
            if tracker.tick() is not None:
                shown.append([clock.now, tracker.fraction, tracker.eta_seconds(), tracker.stage])
        clock.now = at
        if tracker.feed(line) is not None:
            shown.append([clock.now, tracker.fraction, tracker.eta_seconds(), tracker.stage])
    shown.append([sort["seconds"], 1.0, 0.0, "done"])
    return text(errors(shown)[1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["record"] and len(argv) == 3:
        record(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["fit"] and len(argv) == 2:
        fit(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
