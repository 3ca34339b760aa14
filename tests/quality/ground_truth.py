"""A recording made by SpikeInterface's own ground-truth generator (not by ks-gui), written as a raw int16 binary
with its probe as a `.prb` beside it, and the true spike trains kept outside the recording folder.

The int16 values are microvolts (1 µV per bit), so the quality metrics' amplitudes are in µV with ks-gui's default
gain and Bombcell's amplitude threshold (30 µV) means what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

DURATION_S = 60.0
N_CHANNELS = 32
N_UNITS = 10
SAMPLE_RATE = 30_000.0
NOISE_UV = 10.0
SEED = 2026


@dataclass(frozen=True)
class GroundTruth:
    binary: Path
    truth: Path  # an .npz of the true spike trains: `times` (samples), `units` (unit index)

    def sorting(self):
        """The true spike trains as a SpikeInterface sorting."""
        from spikeinterface.core import NumpySorting

        kept = np.load(self.truth)
        return NumpySorting.from_samples_and_labels([kept["times"]], [kept["units"]], sampling_frequency=SAMPLE_RATE)


def write_ground_truth(folder: Path) -> GroundTruth:
    """`folder/rec/rec.bin` and `folder/rec/rec.prb`, the truth in `folder/truth.npz`."""
    from spikeinterface.core import generate_ground_truth_recording

    recording, sorting = generate_ground_truth_recording(
        durations=[DURATION_S],
        sampling_frequency=SAMPLE_RATE,
        num_channels=N_CHANNELS,
        num_units=N_UNITS,
        generate_probe_kwargs={"num_columns": 2, "xpitch": 20, "ypitch": 20, "contact_shapes": "circle"},
        generate_sorting_kwargs={"firing_rates": (6.0, 15.0), "refractory_period_ms": 4.0},
        noise_kwargs={"noise_levels": NOISE_UV, "strategy": "on_the_fly"},
        seed=SEED,
    )
    rec_folder = folder / "rec"
    rec_folder.mkdir(parents=True)
    binary = rec_folder / "rec.bin"
    traces = recording.get_traces(return_in_uV=False)
    np.clip(np.round(traces), -32768, 32767).astype("<i2").tofile(binary)
    positions = recording.get_channel_locations()
    geometry = ", ".join(f"{i}: [{x:.1f}, {y:.1f}]" for i, (x, y) in enumerate(positions))
    (rec_folder / "rec.prb").write_text(
        f"channel_groups = {{0: {{'channels': {list(range(N_CHANNELS))}, 'geometry': {{{geometry}}}}}}}\n"
    )
    vector = sorting.to_spike_vector()
    truth = folder / "truth.npz"
    np.savez(truth, times=vector["sample_index"], units=vector["unit_index"])
    return GroundTruth(binary, truth)
