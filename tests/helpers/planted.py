"""Recordings with planted units of known spike times, and how well a sort recovers them.

A 32-channel linear probe (20 um pitch, the launcher's default channel map for a raw binary), a few units with
distinct waveforms on neighbouring channels, Poisson spike trains with a refractory period, and Gaussian noise,
written as int16 like a real acquisition. The ground truth is kept beside the binary as `.npy` files, outside the
folder handed to the sorter, so the recording folder holds exactly one binary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.conftest import remember_recording

N_CHANNELS = 32
SAMPLE_RATE = 30_000.0
PITCH_UM = 20.0
NOISE_STD = 12.0  # int16 units
REFRACTORY_S = 0.003
WAVEFORM_SAMPLES = 61
TROUGH_AT = 20  # sample of the trough inside the waveform, as Kilosort 4 aligns it (nt0min)


@dataclass(frozen=True)
class PlantedUnit:
    channel: int  # channel of the largest amplitude
    amplitude: float  # trough depth on that channel, int16 units
    rate_hz: float
    width: float  # trough width in samples: distinct shapes
    spread_channels: float  # spatial spread (standard deviation, in channels)


UNITS = (
    PlantedUnit(channel=4, amplitude=220, rate_hz=8.0, width=4.0, spread_channels=1.5),
    PlantedUnit(channel=10, amplitude=260, rate_hz=11.0, width=6.0, spread_channels=1.8),
    PlantedUnit(channel=16, amplitude=200, rate_hz=6.0, width=3.0, spread_channels=1.3),
    PlantedUnit(channel=22, amplitude=240, rate_hz=9.0, width=5.0, spread_channels=2.0),
    PlantedUnit(channel=28, amplitude=280, rate_hz=7.0, width=7.0, spread_channels=1.6),
)


@dataclass(frozen=True)
class PlantedRecording:
    binary: Path
    spike_times: tuple[np.ndarray, ...]  # per unit, trough sample indices
    duration_s: float


def _waveform(unit: PlantedUnit) -> np.ndarray:
    """(WAVEFORM_SAMPLES, N_CHANNELS): a trough then a slower rebound, scaled by a Gaussian over channels."""
    t = np.arange(WAVEFORM_SAMPLES) - TROUGH_AT
    trough = -np.exp(-0.5 * (t / unit.width) ** 2)
    rebound = 0.35 * np.exp(-0.5 * ((t - 3 * unit.width) / (2 * unit.width)) ** 2)
    shape = trough + rebound
    shape /= -shape.min()
    channels = np.arange(N_CHANNELS)
    spatial = np.exp(-0.5 * ((channels - unit.channel) / unit.spread_channels) ** 2)
    return unit.amplitude * shape[:, None] * spatial[None, :]


def _spike_train(rng: np.random.Generator, rate_hz: float, n_samples: int) -> np.ndarray:
    intervals = rng.exponential(1 / rate_hz, size=int(rate_hz * n_samples / SAMPLE_RATE * 1.5) + 10) + REFRACTORY_S
    times = np.cumsum(intervals) * SAMPLE_RATE
    times = times[(times > WAVEFORM_SAMPLES) & (times < n_samples - WAVEFORM_SAMPLES)]
    return times.astype(np.int64)


def write_recording(folder: Path, duration_s: float = 40.0, seed: int = 7) -> PlantedRecording:
    """Write `folder/planted.bin` (int16, time-major, 32 channels) and return its ground truth."""
    rng = np.random.default_rng(seed)
    n_samples = int(duration_s * SAMPLE_RATE)
    data = rng.normal(0.0, NOISE_STD, size=(n_samples, N_CHANNELS)).astype(np.float32)
    trains = []
    for unit in UNITS:
        waveform = _waveform(unit).astype(np.float32)
        train = _spike_train(rng, unit.rate_hz, n_samples)
        for trough in train:
            start = trough - TROUGH_AT
            data[start : start + WAVEFORM_SAMPLES] += waveform
        trains.append(train)
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "planted.bin"
    np.clip(np.round(data), -32768, 32767).astype(np.int16).tofile(binary)
    remember_recording(binary)  # the tests check that no sort changes it
    return PlantedRecording(binary, tuple(trains), duration_s)


@dataclass(frozen=True)
class UnitAgreement:
    planted: int
    cluster: int | None
    n_planted: int
    n_sorted: int
    matched: int

    @property
    def agreement(self) -> float:
        """Matched / (planted + sorted - matched): 1 when the cluster is exactly the unit."""
        union = self.n_planted + self.n_sorted - self.matched
        return self.matched / union if union else 0.0

    def describe(self) -> str:
        unit = UNITS[self.planted]
        return (
            f"unit {self.planted} (channel {unit.channel}): cluster {self.cluster}, {self.matched}/{self.n_planted} "
            f"planted spikes found, {self.n_sorted} sorted, agreement {self.agreement:.2f}"
        )


def _matches(planted: np.ndarray, sorted_times: np.ndarray, tolerance: int) -> int:
    """Planted spikes with a sorted spike within `tolerance` samples (each sorted spike used once at most)."""
    if not len(planted) or not len(sorted_times):
        return 0
    index = np.clip(np.searchsorted(sorted_times, planted), 1, len(sorted_times) - 1)
    nearest = np.minimum(np.abs(sorted_times[index] - planted), np.abs(sorted_times[index - 1] - planted))
    return int(np.count_nonzero(nearest <= tolerance))


def agreement(truth: PlantedRecording, phy_folder: Path, tolerance_ms: float = 1.0) -> list[UnitAgreement]:
    """For each planted unit, the sorted cluster that agrees best with it (phy's spike_times/spike_clusters)."""
    times = np.load(phy_folder / "spike_times.npy").ravel().astype(np.int64)
    clusters = np.load(phy_folder / "spike_clusters.npy").ravel()
    tolerance = round(tolerance_ms * SAMPLE_RATE / 1000)
    by_cluster = {int(c): np.sort(times[clusters == c]) for c in np.unique(clusters)}
    found = []
    for index, planted in enumerate(truth.spike_times):
        best = UnitAgreement(index, None, len(planted), 0, 0)
        for cluster, cluster_times in by_cluster.items():
            matched = _matches(planted, cluster_times, tolerance)
            candidate = UnitAgreement(index, cluster, len(planted), len(cluster_times), matched)
            if candidate.agreement > best.agreement:
                best = candidate
        found.append(best)
    return found
