"""Pictures' speed, against baselines in the same run:
- a 385-channel Neuropixels-like recording's preview (0.1 s, filtered, drawn as an image) against reading the same
  window's bytes with numpy alone (the least any preview must do); the issue's goal: shown within 300 ms;
- a drift map of 5 million spikes (binned image) against numpy's histogram2d of the same spikes; goal: under 1 s.
Prints medians and ratios; run with `make bench`."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ks_gui.core.recordings.preview import read_window
from ks_gui.core.recordings.recording import Recording
from ks_gui.core.results.units import drift_map
from tests.phy.conftest import write_kilosort_folder

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
N_CHANNELS, RATE, SECONDS = 385, 30000.0, 60


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    from ks_gui.ui.pictures import drift_map_image, ensure_offscreen_app, preview_image

    ensure_offscreen_app()
    with tempfile.TemporaryDirectory() as folder:
        binary = Path(folder) / "rec.ap.bin"
        rng = np.random.default_rng(0)
        rng.normal(0, 20, (int(SECONDS * RATE), N_CHANNELS)).astype(np.int16).tofile(binary)
        recording = Recording(format="binary", binary=binary, size_bytes=binary.stat().st_size,
                              n_channels=N_CHANNELS, sample_rate=RATE)  # fmt: skip
        starts = rng.uniform(0, SECONDS - 1, ROUNDS)
        ours = [timed(lambda s=s: preview_image(read_window(recording, s, 0.1))) for s in starts]
        frame = N_CHANNELS * 2

        def plain(start: float) -> None:
            with binary.open("rb") as handle:
                handle.seek(int(start * RATE) * frame)
                np.frombuffer(handle.read(int(0.1 * RATE) * frame), dtype=np.int16).reshape(-1, N_CHANNELS).copy()

        baseline = [timed(lambda s=s: plain(s)) for s in starts]

        out = write_kilosort_folder(Path(folder) / "out", n_channels=8)
        n = 5_000_000
        np.save(out / "spike_times.npy", np.sort(rng.integers(0, int(RATE * 3600), n)).astype(np.int64))
        np.save(out / "spike_templates.npy", rng.integers(0, 5, n).astype(np.uint32))
        np.save(out / "amplitudes.npy", rng.random(n).astype(np.float32))
        depths = rng.uniform(0, 3840, n).astype(np.float32)
        np.save(out / "spike_positions.npy", np.c_[np.zeros(n, np.float32), depths])
        drift_times = [timed(lambda: drift_map_image(drift_map(out))) for _ in range(3)]
        times = np.load(out / "spike_times.npy") / RATE
        histogram = [timed(lambda: np.histogram2d(times, depths, bins=(600, 384))) for _ in range(3)]
    preview_median, plain_median = statistics.median(ours), statistics.median(baseline)
    print(f"preview of {N_CHANNELS} channels x 0.1 s, filtered and drawn, median of {ROUNDS}:")
    print(f"  numpy read of the window's bytes (baseline): {plain_median * 1000:7.1f} ms")
    print(f"  ks-gui preview (read, filter, draw):        {preview_median * 1000:7.1f} ms (goal: under 300 ms)")
    print(f"  ratio: {preview_median / plain_median:.1f}")
    drift_median, histogram_median = statistics.median(drift_times), statistics.median(histogram)
    print(f"drift map of {n:,} spikes, median of 3:")
    print(f"  numpy histogram2d (baseline): {histogram_median * 1000:7.1f} ms")
    print(f"  ks-gui drift map (read, bin, draw): {drift_median * 1000:7.1f} ms (goal: under 1 s)")
    print(f"  ratio: {drift_median / histogram_median:.2f}")


if __name__ == "__main__":
    main()
