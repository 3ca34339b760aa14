"""A short window of a recording as Kilosort will read it, for a picture before sorting: the channel map applied,
rows by shank then depth, channels the map leaves unconnected (a sync channel) left out; "raw" (each channel's mean
removed, median reference) or "filtered" (a 300 Hz highpass, then median reference). Only the window shown is read:
the file may be 500 GB on a network share.

A wrong channel count reads every row shifted by a few samples more than the one before: diagonal stripes, the
mistake Kilosort users otherwise find hours later (MouseLand/Kilosort #688, #605). No Qt here: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ks_gui.core.recordings.channel_map import ChannelMap, linear
from ks_gui.core.recordings.recording import Recording

Mode = Literal["raw", "filtered"]
DEFAULT_SECONDS = 0.1
MAX_SECONDS = 1.0
HIGHPASS_HZ = 300.0
# Edges: the filter runs over a longer stretch than is shown, so the picture's own edges are not the filter's.
PAD_SECONDS = 0.02
NOISE_LIMIT = 6.0  # colour limits, in noise standard deviations


@dataclass(frozen=True)
class Preview:
    """Rows (channels, ordered by shank then depth) x samples, with what the axes say."""

    image: np.ndarray  # float32, rows x samples
    start_s: float
    sample_rate: float
    channels: np.ndarray  # the file's channel index of each row
    depth_um: np.ndarray  # each row's y
    shank: np.ndarray  # each row's shank
    limits: tuple[float, float]  # colour limits: symmetric, from the window's own spread
    mode: Mode

    @property
    def duration_s(self) -> float:
        return self.image.shape[1] / self.sample_rate


def rows_by_depth(channel_map: ChannelMap) -> np.ndarray:
    """The connected channels' indices, by shank, then depth, then x."""
    connected = [i for i, on in enumerate(channel_map.connected) if on]
    return np.array(
        sorted(connected, key=lambda i: (channel_map.shank[i], channel_map.y_um[i], channel_map.x_um[i])), dtype=int
    )


def read_window(
    recording: Recording,
    start_s: float = 0.0,
    duration_s: float = DEFAULT_SECONDS,
    mode: Mode = "filtered",
    n_channels: int | None = None,
    sample_rate: float | None = None,
    channel_map: ChannelMap | None = None,
) -> Preview:
    """The window [start_s, start_s + duration_s) of `recording` (clipped to the file), as the picture shows it.
    `n_channels`/`sample_rate`/`channel_map` override the recording's own (what the user typed)."""
    n_channels = n_channels or recording.n_channels
    sample_rate = sample_rate or recording.sample_rate
    if not n_channels or not sample_rate:
        raise ValueError("the channel count and sample rate are needed to read the recording")
    chan_map = channel_map or (recording.channel_map.fitted(n_channels) if recording.channel_map else None)
    chan_map = chan_map or linear(n_channels)
    dtype = np.dtype(recording.dtype)
    total = recording.size_bytes // (dtype.itemsize * n_channels)
    duration_s = min(max(duration_s, 1.0 / sample_rate), MAX_SECONDS)
    shown = max(1, min(round(duration_s * sample_rate), total))
    first = min(max(0, int(start_s * sample_rate)), max(0, total - shown))
    pad = int(PAD_SECONDS * sample_rate) if mode == "filtered" else 0
    lo, hi = max(0, first - pad), min(total, first + shown + pad)
    data = np.memmap(recording.binary, dtype=dtype, mode="r", offset=lo * n_channels * dtype.itemsize,
                     shape=(hi - lo, n_channels))  # fmt: skip
    rows = rows_by_depth(chan_map)
    window = np.asarray(data[:, rows], dtype=np.float32).T  # rows x samples: only this window is read
    del data
    window -= window.mean(axis=1, keepdims=True)
    if mode == "filtered":
        window = _highpass(window, sample_rate)
    # Median reference across channels (from every second channel past 64 of them: half the cost, the same picture).
    step = 2 if window.shape[0] > 64 else 1
    window -= np.median(window[::step], axis=0, keepdims=True)
    window = window[:, first - lo : first - lo + shown]
    return Preview(
        image=np.ascontiguousarray(window),
        start_s=first / sample_rate,
        sample_rate=sample_rate,
        channels=rows,
        depth_um=np.array([chan_map.y_um[i] for i in rows]),
        shank=np.array([chan_map.shank[i] for i in rows]),
        limits=_limits(window),
        mode=mode,
    )


def _highpass(window: np.ndarray, sample_rate: float) -> np.ndarray:
    """A zero-phase highpass in the Fourier domain (a 3rd-order Butterworth's magnitude, applied forward and back, as
    Kilosort 4 filters); numpy only."""
    n = window.shape[1]
    frequencies = np.fft.rfftfreq(n, 1.0 / sample_rate)
    with np.errstate(divide="ignore"):
        gain = 1.0 / (1.0 + (HIGHPASS_HZ / np.maximum(frequencies, 1e-9)) ** 6)  # |H|² of order 3: zero-phase
    spectrum = np.fft.rfft(window, axis=1) * gain
    return np.fft.irfft(spectrum, n=n, axis=1).astype(np.float32)


def _limits(window: np.ndarray) -> tuple[float, float]:
    """Symmetric colour limits: NOISE_LIMIT times the window's noise (its median |value| / 0.6745, robust to spikes),
    or the 99.5th percentile of |value| where that is larger. Noise stays pale and spikes stand out in full colour;
    a window of nothing but noise is a calm picture, not one saturated by it. On a subsample: cheap on a long window."""
    sample = np.abs(window[:, :: max(1, window.shape[1] // 2000)])
    if not sample.size:
        return (-1.0, 1.0)
    noise = float(np.median(sample)) / 0.6745
    top = max(NOISE_LIMIT * noise, float(np.percentile(sample, 99.5)))
    return (-top, top) if top > 0 else (-1.0, 1.0)


def stripe_score(preview: Preview) -> float:
    """How much the picture's rows are alike one row down and one sample later, against straight down: near 0 for
    a right channel count, clearly positive when each row is the one before it shifted in time (diagonal stripes)."""
    image = preview.image
    if image.shape[0] < 3 or image.shape[1] < 4:
        return 0.0
    straight = _row_correlation(image[:-1, 1:], image[1:, 1:])
    shifted = max(_row_correlation(image[:-1, 1:], image[1:, :-1]), _row_correlation(image[:-1, :-1], image[1:, 1:]))
    return shifted - straight


def _row_correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    valid = denominator > 0
    return float(np.mean((a * b).sum(axis=1)[valid] / denominator[valid])) if valid.any() else 0.0
