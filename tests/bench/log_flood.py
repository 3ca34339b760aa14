"""A container that prints 200,000 lines as fast as it can, followed by the window: the longest event-loop stall
(goal: under 100 ms), the memory growth, and lines per second.

Each run is a fresh process with a Qt event loop (offscreen) running the window's sort path: a SortWorker on its
own thread starts the container (the flood image of tests/robustness/test_load.py) and follows it, and its lines
reach a shown LogView in drained batches, as the window wires them. A 10 ms timer on the GUI thread measures the
longest gap between two of its runs (the stall); RSS is read before the sort and after it has ended. Baselines,
measured in the same run of this script:
  - the same process left idle for as long as the flood took (stall and memory without any output),
  - the same container printing 20,000 lines, as many as the log view keeps (memory once the view is full: with a
    bounded view, ten times more lines should cost about the same),
  - `docker run` of the same image into /dev/null (lines per second without ks-gui).
`make bench`; `python -m tests.bench.log_flood [LINES]`.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Slot
from PySide6.QtWidgets import QApplication

from ks_gui.core.ground.contract import MARKER
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.recordings.inspection import inspect
from ks_gui.ui.garbage import MainThreadGarbageCollector
from ks_gui.ui.log_view import LINES_KEPT, LogView
from ks_gui.ui.sort_worker import SortWorker
from tests.conftest import build_image, write_recording
from tests.robustness.test_load import FLOOD_DOCKERFILE, FLOOD_IMAGE, N_LINES, StallMeter

STALL_GOAL_MS = 100
DOCKER_ROUNDS = 3
SETTLE_MS = 500  # after the window is shown and before measuring, and again after the run has ended


def rss_bytes() -> tuple[int, int]:
    """This process's resident memory now and its peak since the last reset (VmRSS, VmHWM)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux 4.0+)


class Follower(QObject):
    """Wired as the window wires its worker (ks_gui/ui/run_panel.py): lines taken in drained batches, the driver's
    markers left out of the view. A QObject on the GUI thread, so the worker's signals are queued to it (a bare
    lambda would run on the worker's thread and touch the view from there)."""

    def __init__(self, worker: SortWorker, view: LogView, loop: QEventLoop, refused: list) -> None:
        super().__init__()
        self.worker, self.view, self.loop, self.refused = worker, view, loop, refused
        worker.log_available.connect(self.take_lines)
        worker.started.connect(self.started)
        worker.finished.connect(self.finished)
        worker.refused.connect(self.refuse)

    @Slot()
    def take_lines(self) -> None:
        self.view.append([line for line in self.worker.take_log_lines() if not line.startswith(MARKER)])

    @Slot(str)
    def started(self, log_file: str) -> None:
        self.view.start(Path(log_file))

    @Slot(object)
    def finished(self, _outcome: object) -> None:
        self.loop.quit()

    @Slot(list)
    def refuse(self, messages: list) -> None:
        self.refused.extend(messages)
        self.loop.quit()


def child(lines: int, idle_seconds: float, recording_folder: Path, output: Path) -> dict:
    """In a fresh process: the window's sort path, one sort of `lines` lines (0: it idles for `idle_seconds`)."""
    app = QApplication(sys.argv[:1])
    MainThreadGarbageCollector(app)  # as the app runs (ks_gui/ui/app.py)
    view = LogView()
    view.resize(900, 600)
    view.show()
    job = SortJob(
        recording=inspect(recording_folder),
        output=output,
        license=parse_license("server:27000@license.example.org"),
        image=FLOOD_IMAGE,
        environment={"KS_GUI_FLOOD_LINES": str(lines)},
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    loop = QEventLoop()

    def spin(milliseconds: int) -> None:
        QTimer.singleShot(milliseconds, loop.quit)
        loop.exec()

    spin(SETTLE_MS)
    gc.collect()
    rss_before, _ = rss_bytes()
    reset_peak_rss()
    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    refused: list = []
    if lines:
        worker = SortWorker(job, "none")
        thread = QThread()
        worker.moveToThread(thread)
        follower = Follower(worker, view, loop, refused)  # lives on the GUI thread: its slots are queued there
        thread.started.connect(worker.run)
        thread.start()
        loop.exec()
        thread.quit()
        thread.wait()
        del follower
    else:
        spin(round(idle_seconds * 1000))
    elapsed = time.perf_counter() - started
    meter.stop()
    if refused:
        raise SystemExit(f"the sort did not start: {refused}")
    spin(SETTLE_MS)
    gc.collect()
    rss_after, rss_peak = rss_bytes()

    logged = 0
    if lines:
        log_file = Path(json.loads((output / ".ks-gui" / "run.json").read_text())["log_file"])
        with log_file.open(encoding="utf-8") as log:
            logged = sum(1 for _ in log)
    return {
        "lines": lines,
        "seconds": elapsed,
        "longest_stall_ms": meter.longest_ms,
        "ticks": meter.ticks,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "rss_peak": rss_peak,
        "logged_lines": logged,
        "view_lines": view.text.blockCount(),
    }


def in_fresh_process(folder: Path, name: str, lines: int, idle_seconds: float, recording_folder: Path) -> dict:
    """`child()` in a new interpreter with its own user folders (history, logs, settings) and the offscreen screen."""
    home = folder / f"user-{name}"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for variable in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env[variable] = str(home / variable.lower())
    command = [sys.executable, "-m", "tests.bench.log_flood", "--child", str(lines), str(idle_seconds)]
    command += [str(recording_folder), str(folder / f"out-{name}")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {name} run failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def docker_run_seconds(lines: int) -> float:
    """The baseline: the same container's output drained by the docker CLI into /dev/null."""
    started = time.perf_counter()
    subprocess.run(
        ["docker", "run", "--rm", "-e", f"KS_GUI_FLOOD_LINES={lines}", FLOOD_IMAGE],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def megabytes(n: int) -> str:
    return f"{n / 1024**2:+7.1f} MB"


def main(lines: int) -> None:
    build_image(FLOOD_IMAGE, FLOOD_DOCKERFILE, busybox=True)
    with tempfile.TemporaryDirectory(prefix="ks-gui-bench-") as name:
        folder = Path(name)
        recording = write_recording(folder / "rec", seconds=1)
        flood = in_fresh_process(folder, "flood", lines, 0, recording.folder)
        full_view = in_fresh_process(folder, "full-view", LINES_KEPT, 0, recording.folder)
        idle = in_fresh_process(folder, "idle", 0, flood["seconds"], recording.folder)
        docker = statistics.median(docker_run_seconds(lines) for _ in range(DOCKER_ROUNDS))

    assert flood["logged_lines"] == lines, f"{flood['logged_lines']} of {lines} lines reached the log file"
    rows = (
        (f"idle, {flood['seconds']:.1f} s (baseline)", idle),
        (f"{LINES_KEPT} lines, view full (baseline)", full_view),
        (f"{lines} lines", flood),
    )
    print(f"a container printing {lines} lines as fast as it can, followed by the window's sort path (offscreen):")
    print(f"  {'run':36} {'longest stall':>13} {'10 ms ticks':>11} {'RSS growth':>11} {'peak growth':>11}")
    for title, run in rows:
        growth, peak = run["rss_after"] - run["rss_before"], run["rss_peak"] - run["rss_before"]
        print(
            f"  {title:36} {run['longest_stall_ms']:10d} ms {run['ticks']:11d} {megabytes(growth):>11} "
            f"{megabytes(peak):>11}"
        )
    met = flood["longest_stall_ms"] < STALL_GOAL_MS
    print(f"  goal: longest stall under {STALL_GOAL_MS} ms: {'met' if met else 'NOT met'}")
    full_growth = full_view["rss_after"] - full_view["rss_before"]
    if full_growth > 0:
        ratio = (flood["rss_after"] - flood["rss_before"]) / full_growth
        print(f"  RSS growth ratio {lines} / {LINES_KEPT} lines: {ratio:.2f} (bounded: about 1; unbounded: about 10)")
    print(f"  the log view kept {flood['view_lines']} lines; the log file holds all {flood['logged_lines']}")
    print(f"lines per second, container start to its end (docker run: median of {DOCKER_ROUNDS}):")
    print(f"  docker run > /dev/null (baseline): {lines / docker:9.0f} lines/s ({docker:.2f} s)")
    print(f"  ks-gui (worker, log file, view):   {lines / flood['seconds']:9.0f} lines/s ({flood['seconds']:.2f} s)")
    print(f"  ratio ks-gui / docker run (time): {flood['seconds'] / docker:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        lines_, idle_, recording_, output_ = sys.argv[2:6]
        print(json.dumps(child(int(lines_), float(idle_), Path(recording_), Path(output_))), flush=True)
        os._exit(0)  # the measurement is out; skip tearing down Qt objects that live on the ended worker thread
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else N_LINES)
