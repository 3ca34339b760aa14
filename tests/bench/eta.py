"""How good the ETA is: real Kilosort 4 CPU sorts of a planted recording through `ks-gui sort`, and the ETA's error
on the end time at 10, 25, 50, 75 and 90 % of each run's wall time, for a first sort on a fresh machine (an empty
data folder: the estimate comes from Kilosort 4's CPU stage shape) and for the next sort of the same kind (predicted
from the first's stage times). Error = |predicted end - real end| / real duration; "-" while it said "estimating…".
Goal: within 30 % from 25 % on for a first sort, within 15 % once one earlier sort is known.

The recording is short (10 s x 32 channels, $KS_ETA_BENCH_SECONDS) to keep the two sorts at a few minutes on two
cores. Each sort's progress events are taken, with their time, from the CLI's own bar (TerminalProgress.show) in the
sorting process. `make bench`; uses $KS_GUI_KILOSORT4_ENV or build/ks4-env. With $KS_ETA_BENCH_KEEP (a folder) each
sort's timed trace (the bar's events, every line the Tracker read, its prediction) and the stage times are kept
there: `python -m tests.bench.eta_replay FOLDER [--shape]` replays them through the Tracker of the checkout, so a
change to the model is judged on real sorts without sorting again. The machine's load from one sort to the next
shows in the figures (uptime beside them): on two shared cores the same sort took 63 s, then 124 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ks_gui.core.places import kilosort4_env
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, write_recording

SECONDS = float(os.environ.get("KS_ETA_BENCH_SECONDS", "10"))
KEEP = os.environ.get("KS_ETA_BENCH_KEEP", "")  # a folder: each sort's timed trace (events, lines) is copied there
GPU = os.environ.get("KS_ETA_BENCH_GPU", "")  # a GPU index: the same on that GPU (not in CI; the lent H200 machine)
SHARES = (0.10, 0.25, 0.50, 0.75, 0.90)

# Runs `ks-gui sort` with the terminal bar's events also written, timed, to a JSON-lines file.
TRACED = """
import json, sys, time
from ks_gui.cli import terminal
trace = open(sys.argv.pop(1), "w")
show = terminal.TerminalProgress.show
def traced(self, event):
    trace.write(json.dumps([time.monotonic(), event.fraction, event.eta_seconds, event.stage]) + "\\n")
    trace.flush()
    show(self, event)
terminal.TerminalProgress.show = traced
from ks_gui.core.sorters import progress
init, feed = progress.Tracker.__init__, progress.Tracker.feed
def traced_init(self, *args, **kwargs):
    init(self, *args, **kwargs)
    trace.write(json.dumps([time.monotonic(), 0.0, None, "predicted", self.predicted, self.learned]) + "\\n")
def traced_feed(self, line):
    trace.write(json.dumps([time.monotonic(), None, None, "line", line]) + "\\n")
    return feed(self, line)
progress.Tracker.__init__, progress.Tracker.feed = traced_init, traced_feed
trace.write(json.dumps([time.monotonic(), 0.0, None, "launch"]) + "\\n")
from ks_gui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def sort(recording: Path, output: Path, trace: Path, environment: dict[str, str]) -> list[list]:
    command = [sys.executable, "-c", TRACED, str(trace), "sort", str(recording), "--sorter", "kilosort4"]
    command += ["--on", "local", "--output", str(output), "--gpu", GPU or "none"]
    command += ["--param", f"n_chan_bin={N_CHANNELS}", "--param", f"fs={SAMPLE_RATE}"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    if KEEP:
        shutil.copy(trace, Path(KEEP) / trace.name)
    # The bar's events (the Tracker's own lines and prediction are kept for replaying: tests/bench/eta_replay.py).
    return [e for e in map(json.loads, trace.read_text().splitlines()) if e[3] not in ("line", "predicted")]


def errors(events: list[list]) -> tuple[float, list[float | None]]:
    """The run's wall time and, at each share of it, the last ETA's error on the end time (None: no estimate)."""
    started, ended = events[0][0], events[-1][0]
    duration = ended - started
    found: list[float | None] = []
    for share in SHARES:
        at = started + share * duration
        shown = [e for e in events if e[0] <= at]
        last = shown[-1] if shown else None
        if last is None or last[2] is None:
            found.append(None)
            continue
        # The ETA counts down between events as the window's and bar's clocks do.
        predicted_end = last[0] + last[2]
        found.append(abs(predicted_end - ended) / duration)
    return duration, found


def text(found: list[float | None]) -> str:
    return " / ".join("-" if e is None else f"{e:.0%}" for e in found)


def main() -> None:
    folder = Path(os.environ.get(kilosort4_env.ENV_VARIABLE) or Path("build/ks4-env")).absolute()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        environment = {
            **os.environ,
            kilosort4_env.ENV_VARIABLE: str(folder),
            **({} if GPU else {"CUDA_VISIBLE_DEVICES": ""}),
            "MPLBACKEND": "Agg",
            **{name: str(work / name.lower()) for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")},
        }
        recording = write_recording(work / "rec", duration_s=SECONDS).binary.parent
        loads = [os.getloadavg()[0]]  # the machine's load before, between and after the sorts
        first = sort(recording, work / "first", work / "first.jsonl", environment)
        loads.append(os.getloadavg()[0])
        second = sort(recording, work / "second", work / "second.jsonl", environment)
        loads.append(os.getloadavg()[0])
        learned = (work / "xdg_data_home" / "ks-gui" / "stage_times.json").read_text()
        if KEEP:
            (Path(KEEP) / "stage_times.json").write_text(learned)
    where = f"GPU {GPU}" if GPU else "CPU"
    for index, (name, events) in enumerate((("first sort (fresh machine)", first), ("after one earlier sort", second))):
        duration, found = errors(events)
        name += f", load average {loads[index]:.1f} to {loads[index + 1]:.1f}"
        print(
            f"ETA error on the end time, Kilosort 4 {where}, {SECONDS:.0f} s x {N_CHANNELS} channels, {name}: "
            f"{duration:.0f} s in all; at 10/25/50/75/90 % of the run: {text(found)} "
            f"(goal: within {30 if name.startswith('first') else 15} % from 25 % on)"
        )
    stages = json.loads(learned)["records"][-1]["seconds"]
    print("stage seconds of the last sort: " + ", ".join(f"{s} {t:.1f}" for s, t in stages.items()))


if __name__ == "__main__":
    main()
