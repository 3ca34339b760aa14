"""Lone raw int16 binaries (.bin, .dat): the channel count and geometry come from a channel map beside them, if any."""

from __future__ import annotations

from pathlib import Path

from ks_gui.core.recordings.channel_map import ChannelMap, ChannelMapError, read_file, read_kilosort_mat
from ks_gui.core.recordings.recording import BINARY, Attempt, Recording, binary_problem


def recording(binary: Path) -> Attempt:
    """The recording a lone binary is, or what stops it from being sorted."""
    size = binary_problem(binary, None)
    if isinstance(size, str):
        return size
    found_warnings: list[str] = []
    channel_map, sample_rate, source = _channel_map_beside(binary, found_warnings)
    n_channels = None
    if channel_map is not None:
        if size % (2 * channel_map.n_channels) == 0:
            n_channels = channel_map.n_channels
        else:
            assert source is not None  # found with the map
            found_warnings.append(
                f"{source.name} names {channel_map.n_channels} channels, but {binary.name} is not a whole number of "
                f"{channel_map.n_channels}-channel samples: enter the channel count"
            )
    return Recording(
        format=BINARY,
        binary=binary,
        size_bytes=size,
        n_channels=n_channels,
        sample_rate=sample_rate,
        stream=None,
        probe=channel_map.name if channel_map is not None else None,
        channel_map=channel_map,
        metadata=source,
        warnings=tuple(found_warnings),
    )


def _channel_map_beside(binary: Path, found_warnings: list[str]) -> tuple[ChannelMap | None, float | None, Path | None]:
    """A Kilosort channel map .mat (or a .prb) next to the binary: its channel count, rate and geometry."""
    candidates = sorted(
        (p for p in binary.parent.iterdir() if p.suffix.lower() in (".mat", ".prb") and p.is_file()),
        key=lambda p: ("chanmap" not in p.name.lower(), p.name),
    )
    for candidate in candidates:
        try:
            if candidate.suffix.lower() == ".mat":
                channel_map, fs = read_kilosort_mat(candidate)
            else:
                channel_map, fs = read_file(candidate), None
        except ChannelMapError as err:
            if "chanmap" in candidate.name.lower() or candidate.suffix.lower() == ".prb":
                found_warnings.append(str(err))
            continue
        except PermissionError:
            found_warnings.append(f"cannot read {candidate}: permission denied")
            continue
        return channel_map, fs, candidate
    return None, None, None
