"""Inspecting a 100 GB SpikeGLX recording: `inspect()` vs. a bare os.stat of the binary + reading the .meta text.

The recording is the real Neuropixels 1.0 .meta (fileSizeBytes set to 100 GB in a temporary copy of its text) beside
a sparse 100 GB binary, in a run folder as SpikeGLX writes it. The goal is under 50 ms; nothing reads the samples,
so the size must not matter. Prints times and the ratio; run with `make bench`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.helpers.layouts import NP1_META, sparse

SIZE = (100 * 10**9 // 770) * 770  # 100 GB of whole 385-channel int16 samples
GOAL_MS = 50.0


def make_recording(root: Path) -> Path:
    probe_folder = root / "big_g0" / "big_g0_imec0"
    probe_folder.mkdir(parents=True)
    text = NP1_META.read_text().replace("fileSizeBytes=121625350", f"fileSizeBytes={SIZE}")
    (probe_folder / "big_g0_t0.imec0.ap.meta").write_text(text)
    sparse(probe_folder / "big_g0_t0.imec0.ap.bin", SIZE)
    return root / "big_g0"


def bare(run_folder: Path) -> int:
    folder = run_folder / "big_g0_imec0"
    size = os.stat(folder / "big_g0_t0.imec0.ap.bin").st_size
    return size + len((folder / "big_g0_t0.imec0.ap.meta").read_text())


def median_ms(function, argument, rounds: int = 30) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ks-gui-bench-") as folder:
        run_folder = make_recording(Path(folder))
        started = time.perf_counter()
        from ks_gui.core.recordings.inspection import inspect  # the first call pays for importing probeinterface

        recording = inspect(run_folder)
        first_ms = (time.perf_counter() - started) * 1000
        assert recording.size_bytes == SIZE and recording.channel_map.n_connected == 384
        bare_ms, ours_ms = median_ms(bare, run_folder), median_ms(inspect, run_folder)
    print(f"inspecting a {SIZE / 1e9:.0f} GB SpikeGLX run folder (sparse binary), median of 30:")
    print(f"  os.stat + read .meta (baseline): {bare_ms:7.2f} ms")
    print(f"  inspect() with channel map:      {ours_ms:7.2f} ms (goal < {GOAL_MS:.0f} ms)")
    print(f"  first inspect() in a process:    {first_ms:7.2f} ms (imports included)")
    print(f"  ratio ours / bare: {ours_ms / bare_ms:.1f}")


if __name__ == "__main__":
    main()
