"""Kilosort channel maps: which channels of the binary are connected and where they sit on the probe.

Geometry comes from probeinterface (SpikeGLX `.meta`, Open Ephys `settings.xml`, `.prb`/`.json` probe files) or from
a Kilosort `chanMap.mat`; without any, a linear map. The map always covers every channel of the file, in file order,
so it is written as `chanMap = 1..N` with `connected` false for the channels Kilosort must skip (the sync channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ks_gui.core.ground.chosen_files import ChosenFileError, check_chosen

if TYPE_CHECKING:  # numpy is imported where arrays are made: the window opens without it (issue #8)
    import numpy as np

PROBE_FILE_SUFFIXES = (".mat", ".prb", ".json")


class ChannelMapError(ValueError):
    """A channel map file that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class ChannelMap:
    """Per channel of the binary, in file order: connected or not, and its position in micrometres."""

    connected: tuple[bool, ...]
    x_um: tuple[float, ...]
    y_um: tuple[float, ...]
    shank: tuple[int, ...]
    name: str = "linear"

    @property
    def n_channels(self) -> int:
        return len(self.connected)

    @property
    def n_connected(self) -> int:
        return sum(self.connected)

    @property
    def n_shanks(self) -> int:
        return len({s for s, c in zip(self.shank, self.connected, strict=True) if c}) or 1

    def fitted(self, n_channels: int) -> ChannelMap | None:
        """This map for a file of `n_channels` channels: channels past its end are not connected; None if too long."""
        extra = n_channels - self.n_channels
        if extra < 0:
            return None
        if extra == 0:
            return self
        return ChannelMap(
            self.connected + (False,) * extra,
            self.x_um + (0.0,) * extra,
            self.y_um + (0.0,) * extra,
            self.shank + (1,) * extra,
            self.name,
        )

    def write_mat(self, path: Path, sample_rate: float) -> None:
        """Write the .mat that Kilosort 2.5's loadChanMap reads (chanMap is 1-based)."""
        n = len(self.connected)
        path.parent.mkdir(parents=True, exist_ok=True)
        import numpy as np
        import scipy.io  # scipy takes a tenth of a second to import: only when a map is written or read

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
                "name": self.name,
            },
        )


def linear(n_channels: int, pitch_um: float = 20.0) -> ChannelMap:
    """A single column of connected channels: what Kilosort assumes when nothing better is known."""
    return ChannelMap(
        connected=(True,) * n_channels,
        x_um=(0.0,) * n_channels,
        y_um=tuple(pitch_um * i for i in range(n_channels)),
        shank=(1,) * n_channels,
        name=f"linear {n_channels}",
    )


def from_contacts(
    n_channels: int,
    file_channels: Sequence[int],
    positions: np.ndarray,
    shanks: Sequence[int],
    name: str,
) -> ChannelMap:
    """A map of `n_channels` file channels, where contact k (at `positions[k]`) is recorded on `file_channels[k]`.

    Channels no contact is recorded on (sync, ADC) are not connected.
    """
    connected = [False] * n_channels
    x, y, shank = [0.0] * n_channels, [0.0] * n_channels, [1] * n_channels
    for k, channel in enumerate(file_channels):
        if not 0 <= channel < n_channels:
            raise ChannelMapError(f"the probe places a contact on channel {channel}, but the file has {n_channels}")
        connected[channel] = True
        x[channel], y[channel] = float(positions[k][0]), float(positions[k][1])
        shank[channel] = int(shanks[k])
    return ChannelMap(tuple(connected), tuple(x), tuple(y), tuple(shank), name)


def from_probe(probe, n_channels: int) -> ChannelMap:
    """A probeinterface Probe (or ProbeGroup) whose device_channel_indices are channels of the file."""
    import numpy as np

    if hasattr(probe, "to_dataframe") and hasattr(probe, "probes"):  # a ProbeGroup: several probes, one file
        channels = probe.get_global_device_channel_indices()["device_channel_indices"]
        positions = np.concatenate([p.contact_positions for p in probe.probes])
        shanks: np.ndarray | list[int] = np.concatenate(
            [np.full(p.get_contact_count(), i + 1) for i, p in enumerate(probe.probes)]
        )
        name = " + ".join(_probe_name(p) for p in probe.probes)
    else:
        channels = probe.device_channel_indices
        if channels is None:
            channels = np.arange(probe.get_contact_count())
        positions = probe.contact_positions
        shanks = _shank_numbers(probe)
        name = _probe_name(probe)
    wired = [k for k, channel in enumerate(channels) if channel >= 0]
    return from_contacts(
        n_channels, [int(channels[k]) for k in wired], positions[wired], [shanks[k] for k in wired], name
    )


def describe_probe(probe) -> str | None:
    """The catalogue's words for the probe ("Neuropixels 1.0 probe"); some part numbers only point to another."""
    description = str(probe.annotations.get("description") or "")
    if description and not description.lower().startswith("duplicate of"):
        return description
    shanks = probe.get_shank_count() if probe.shank_ids is not None else 1
    return f"{shanks}-shank probe" if shanks > 1 else None


def _shank_numbers(probe) -> list[int]:
    """Kilosort's kcoords: 1-based shank numbers."""
    ids = probe.shank_ids
    if ids is None or all(str(i) == "" for i in ids):
        return [1] * probe.get_contact_count()
    order = {shank: k + 1 for k, shank in enumerate(sorted(set(ids), key=lambda s: (len(str(s)), str(s))))}
    return [order[i] for i in ids]


def _probe_name(probe) -> str:
    annotations = getattr(probe, "annotations", {}) or {}
    return str(annotations.get("model_name") or annotations.get("part_number") or annotations.get("name") or "probe")


# A channel map or probe file describes at most a few thousand contacts: far below this.
MAP_FILE_LIMIT_BYTES = 16 * 1024**2


def _check_chosen(path: Path, what: str) -> None:
    """A regular file of a sensible size, before a reader opens it (a FIFO would hang it, a device fill memory)."""
    try:
        check_chosen(path, what, MAP_FILE_LIMIT_BYTES)
    except ChosenFileError as err:
        raise ChannelMapError(str(err)) from err


def read_kilosort_mat(path: Path) -> tuple[ChannelMap, float | None]:
    """A Kilosort channel map .mat (chanMap 1-based, connected, xcoords, ycoords, kcoords, fs optional).

    The file's channel count is the highest channel the map names; channels it leaves out are not connected.
    Returns the map and its sample rate (None when the file has no `fs`).
    """
    import numpy as np

    _check_chosen(path, "channel map")
    try:
        import scipy.io

        mat = scipy.io.loadmat(path, squeeze_me=True)
    except Exception as err:  # scipy says a damaged file many ways (MatReadError, IndexError, struct.error…)
        raise ChannelMapError(f"{path.name} is not a channel map .mat Kilosort can read ({err or 'damaged'})") from err
    if "chanMap" not in mat:
        raise ChannelMapError(f"{path.name} has no chanMap variable: it is not a Kilosort channel map")
    chan_map = np.atleast_1d(np.asarray(mat["chanMap"], dtype=np.int64))
    count = len(chan_map)

    def column(key: str, default: float) -> np.ndarray:
        values = np.atleast_1d(np.asarray(mat.get(key, np.full(count, default)), dtype=np.float64))
        if len(values) != count:
            raise ChannelMapError(f"{path.name}: {key} has {len(values)} entries, chanMap has {count}")
        return values

    connected = column("connected", 1).astype(bool)
    x, y, k = column("xcoords", 0), column("ycoords", 0), column("kcoords", 1)
    if count == 0 or chan_map.min() < 1:
        raise ChannelMapError(f"{path.name}: chanMap must list 1-based channel numbers")
    n_channels = int(chan_map.max())
    wired = [i for i in range(count) if connected[i]]
    channel_map = from_contacts(
        n_channels,
        [int(chan_map[i]) - 1 for i in wired],
        np.column_stack([x, y])[wired],
        [int(k[i]) for i in wired],
        str(mat.get("name") or path.stem),
    )
    fs = mat.get("fs")
    return channel_map, (float(fs) if fs is not None and np.size(fs) == 1 and float(fs) > 0 else None)


def read_probe_file(path: Path, n_channels: int | None = None) -> ChannelMap:
    """A `.prb` or probeinterface `.json` probe file; without `n_channels`, the highest wired channel + 1."""
    import probeinterface  # loaded only when a probe file is used

    _check_chosen(path, "probe file")
    try:
        group = (
            probeinterface.read_prb(path) if path.suffix.lower() == ".prb" else probeinterface.read_probeinterface(path)
        )
    except Exception as err:  # probeinterface raises bare Exceptions and parser errors
        raise ChannelMapError(f"{path.name} is not a probe file probeinterface can read ({err})") from err
    channels = group.get_global_device_channel_indices()["device_channel_indices"]
    if len(channels) == 0 or max(channels) < 0:
        raise ChannelMapError(f"{path.name} does not say which channel each contact is recorded on")
    return from_probe(group, n_channels or int(max(channels)) + 1)


def read_file(path: Path, n_channels: int | None = None) -> ChannelMap:
    """A user's own channel map: Kilosort .mat, .prb or probeinterface .json."""
    path = Path(path)
    if path.suffix.lower() == ".mat":
        channel_map, _fs = read_kilosort_mat(path)
        fitted = channel_map.fitted(n_channels) if n_channels is not None else channel_map
        if fitted is None:
            raise ChannelMapError(f"{path.name} names {channel_map.n_channels} channels, the file has {n_channels}")
        return fitted
    if path.suffix.lower() in (".prb", ".json"):
        return read_probe_file(path, n_channels)
    raise ChannelMapError(f"{path.name}: a channel map is a Kilosort .mat, a .prb or a probeinterface .json file")
