"""Kilosort channel maps: which channels are connected and where they sit on the probe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io


@dataclass(frozen=True)
class ChannelMap:
    """Per channel of the binary, in file order: connected or not, and its position in micrometres."""

    connected: tuple[bool, ...]
    x_um: tuple[float, ...]
    y_um: tuple[float, ...]
    shank: tuple[int, ...]

    @property
    def n_connected(self) -> int:
        return sum(self.connected)

    def write_mat(self, path: Path, sample_rate: float) -> None:
        """Write the .mat that Kilosort 2.5's loadChanMap reads (chanMap is 1-based)."""
        n = len(self.connected)
        path.parent.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(
            path,
            {
                "chanMap": np.arange(1, n + 1, dtype=np.float64).reshape(-1, 1),
                "chanMap0ind": np.arange(n, dtype=np.float64).reshape(-1, 1),
                "connected": np.array(self.connected, dtype=bool).reshape(-1, 1),
                "xcoords": np.array(self.x_um, dtype=np.float64).reshape(-1, 1),
                "ycoords": np.array(self.y_um, dtype=np.float64).reshape(-1, 1),
                "kcoords": np.array(self.shank, dtype=np.float64).reshape(-1, 1),
                "fs": float(sample_rate),
            },
        )


def linear(n_channels: int, pitch_um: float = 20.0) -> ChannelMap:
    """A single column of connected channels: what Kilosort assumes when nothing better is known."""
    return ChannelMap(
        connected=(True,) * n_channels,
        x_um=(0.0,) * n_channels,
        y_um=tuple(pitch_um * i for i in range(n_channels)),
        shank=(1,) * n_channels,
    )
