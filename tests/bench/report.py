"""How a benchmark says a measurement: the medians of its baseline's and its own times, and their ratio."""

from __future__ import annotations

import statistics


def report(
    what: str, baseline: tuple[str, list[float]], ours: tuple[str, list[float]], ratio: str, goal: str = ""
) -> None:
    """`what`, then the baseline's and ours' median times (seconds, shown in ms) and `ratio`: ours / baseline."""
    (base_name, base_times), (our_name, our_times) = baseline, ours
    base_median, our_median = statistics.median(base_times), statistics.median(our_times)
    width = max(len(base_name) + len(" (baseline)"), len(our_name)) + 1
    print(f"{what}, median of {len(our_times)}:")
    print(f"  {base_name + ' (baseline)' + ':':<{width}} {base_median * 1000:7.1f} ms")
    print(f"  {our_name + ':':<{width}} {our_median * 1000:7.1f} ms{f' (goal: {goal})' if goal else ''}")
    print(f"  ratio {ratio}: {our_median / base_median:.2f}")
