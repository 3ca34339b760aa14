"""Replay the timed traces `tests/bench/eta.py` keeps ($KS_ETA_BENCH_KEEP) through today's Tracker, so a change to
the ETA's model is judged on real sorts' lines and timings without sorting again (two real sorts take minutes).

    python -m tests.bench.eta_replay FOLDER

For each kept sort: the ETA's error on the end time at 10/25/50/75/90 % of the run as recorded then, and as the
Tracker of this checkout says it, from the prediction it had then (`first`: the sorter's shape, `second`: the first
sort's stage times, re-read through stage_times) or, with --shape, the sorter's shape now. Ticks every second
between lines, as the launcher does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ks_gui.core.results import stage_times
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.progress import Tracker
from tests.bench.eta import SECONDS, errors, text
from tests.helpers.planted import N_CHANNELS

KIND = stage_times.SortKind("kilosort4", "local", "cpu")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def replay(trace: list[list], predicted: dict[str, float] | None, learned: bool) -> list[list]:
    """The bar's events the Tracker of this checkout gives for the trace's lines at their times."""
    made = [e for e in trace if e[3] == "predicted"][-1]
    launch = next(e for e in trace if e[3] == "launch")
    clock = Clock(made[0])
    size = SECONDS * N_CHANNELS
    shares = stage_times.fixed_shares(SORTERS["kilosort4"], KIND, size)
    tracker = Tracker(
        clock=clock, sorter=SORTERS["kilosort4"], predicted=predicted, learned=learned, fixed_shares=shares
    )
    shown: list[list] = [[launch[0], 0.0, None, "launch"]]
    lines = [e for e in trace if e[3] == "line" and e[0] >= made[0]]
    end = [e for e in trace if e[3] not in ("line", "predicted")][-1][0]
    for event in lines:
        while clock.now + 1 < event[0]:
            clock.now += 1
            if tracker.tick() is not None:
                shown.append([clock.now, tracker.fraction, tracker.eta_seconds(), tracker.stage])
        clock.now = event[0]
        if tracker.feed(event[4]) is not None:
            shown.append([clock.now, tracker.fraction, tracker.eta_seconds(), tracker.stage])
    if shown[-1][0] < end:
        shown.append([end, 1.0, 0.0, "done"])
    return shown


def main(folder: Path, shape: bool) -> None:
    first = [json.loads(line) for line in (folder / "first.jsonl").read_text().splitlines()]
    second = [json.loads(line) for line in (folder / "second.jsonl").read_text().splitlines()]
    records = json.loads((folder / "stage_times.json").read_text())["records"]
    size = records[0]["size"]
    sorter = SORTERS["kilosort4"]
    path = folder / "replayed_stage_times.json"
    path.unlink(missing_ok=True)
    stage_times.record(stage_times.StageRecord(KIND, size, records[0]["seconds"]), path)
    learned, _ = stage_times.expected_seconds(sorter, KIND, size, path)
    for name, trace, predicted, is_learned in (
        ("first", first, sorter.shapes["cpu"].seconds(size) if shape else None, False),
        ("second", second, learned, True),
    ):
        if predicted is None:
            predicted = [e for e in trace if e[3] == "predicted"][-1][4]
        recorded = [e for e in trace if e[3] not in ("line", "predicted")]
        _, then = errors(recorded)
        duration, now = errors(replay(trace, predicted, is_learned))
        where = f"{duration:.0f} s, {size / N_CHANNELS:.0f} s x {N_CHANNELS} ch"
        print(f"{name} ({where}): then {text(then)}; now {text(now)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--shape" in sys.argv)
