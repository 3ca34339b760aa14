"""Reading a long Kilosort log: LineSplitter + Tracker vs. a bare `bytes.split` + loop over the same bytes.

The log is a 1-hour Neuropixels run's worth of lines (every batch line printed, as if Kilosort printed each one),
fed in 4 KiB chunks as Docker delivers them. Then the Tracker alone against a bare loop over the same lines (the
issue's goal: at least 200,000 lines per second on a 2-core machine like CI's). Prints the ratios; `make bench`.
"""

from __future__ import annotations

import time

from ks_gui.core.places.output_lines import LineSplitter
from ks_gui.core.sorters.progress import Tracker

N_BATCHES = 1650  # 1 hour at 30 kHz, NT = 65472
CHUNK = 4096


def long_log() -> bytes:
    lines = [
        "[ks-gui] stage preprocess",
        f"Time 120s. Finished preprocessing {N_BATCHES} batches. ",
        "[ks-gui] stage drift",
        "pitch is 20 um",
    ]
    lines += [f"{k * 0.4:.2f} sec, {k} batches, {k * 900} spikes " for k in range(1, N_BATCHES + 1)]
    for stage_line in ("[ks-gui] stage learn", "Time 900s. Optimizing templates ..."):
        lines.append(stage_line)
    lines += [
        f"{900 + k:.2f} sec, {k} / {N_BATCHES} batches, 300 units, nspks: 1000.0000, mu: 12.0000, nst0: 900, "
        "merges: 1.0000, 0.0000, 0.0000 "
        for k in range(1, N_BATCHES + 1)
    ]
    lines.append("Time 2900s. Optimizing templates ...")
    lines += [
        f"{2900 + k:.2f} sec, {k} / {N_BATCHES} batches, 310 units, nspks: 1000.0000, mu: 12.0000, nst0: 900 "
        for k in range(1, N_BATCHES + 1)
    ]
    return ("\n".join(lines) * 10 + "\n").encode()


def ours(data: bytes) -> int:
    splitter, tracker, events = LineSplitter(), Tracker(), 0
    for start in range(0, len(data), CHUNK):
        for line in splitter.feed(data[start : start + CHUNK]):
            events += tracker.feed(line) is not None
    return events


def bare(data: bytes) -> int:
    count = 0
    for start in range(0, len(data), CHUNK):
        for line in data[start : start + CHUNK].split(b"\n"):
            count += bool(line)
    return count


def tracker_alone(lines: list[str]) -> int:
    tracker, events = Tracker(n_batches=N_BATCHES), 0
    for line in lines:
        events += tracker.feed(line) is not None
    return events


def bare_lines(lines: list[str]) -> int:
    count = 0
    for line in lines:
        count += bool(line.strip())
    return count


def best_of(function, data, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    data = long_log()
    n_lines = data.count(b"\n")
    ours_time, bare_time = best_of(ours, data), best_of(bare, data)
    print(f"parsing {n_lines} log lines ({len(data) / 1e6:.1f} MB) in {CHUNK}-byte chunks, best of 5:")
    print(f"  bare split loop (baseline): {bare_time * 1000:7.1f} ms")
    print(f"  LineSplitter + Tracker:     {ours_time * 1000:7.1f} ms ({n_lines / ours_time / 1e6:.2f} M lines/s)")
    print(f"  ratio ours / bare: {ours_time / bare_time:.1f}")
    lines = data.decode().splitlines()
    alone_time, bare_lines_time = best_of(tracker_alone, lines), best_of(bare_lines, lines)
    rate = len(lines) / alone_time
    print(f"the Tracker alone over the same {len(lines)} lines, best of 5:")
    print(f"  bare loop (baseline, line.strip()): {bare_lines_time * 1000:7.1f} ms")
    print(f"  Tracker.feed:                       {alone_time * 1000:7.1f} ms ({rate / 1e6:.2f} M lines/s)")
    print(f"  ratio Tracker / bare loop: {alone_time / bare_lines_time:.1f}")
    print(f"  goal 200,000 lines/s: {'met' if rate >= 200_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
