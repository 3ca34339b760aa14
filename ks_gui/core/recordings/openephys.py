"""Open Ephys binary recordings: structure.oebin lists the continuous streams, settings.xml holds the probes.

Only the .oebin, the settings.xml, the .npy headers and the binaries' sizes are read.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from ks_gui.core.recordings.channel_map import ChannelMap, ChannelMapError, describe_probe, from_probe, linear
from ks_gui.core.recordings.recording import OPENEPHYS, Attempt, Found, Recording, add, binary_problem


def recordings(oebin: Path) -> Found:
    """Every continuous stream of one Open Ephys recording (experimentN/recordingM/structure.oebin)."""
    try:
        structure = json.loads(oebin.read_text(encoding="utf-8"))
        streams = structure["continuous"]
    except PermissionError:
        return [], [f"cannot read {oebin}: permission denied"]
    except (ValueError, KeyError, TypeError):
        return [], [f"{oebin} is not a valid Open Ephys structure.oebin (no list of continuous streams)"]
    recording_folder = oebin.parent
    where = _place(recording_folder)
    found: list[Recording] = []
    problems: list[str] = []
    for entry in streams:
        attempt = _stream(entry, recording_folder, where)
        add(attempt, found, problems)
    return found, problems


def _place(recording_folder: Path) -> str:
    """'Record Node 101 · experiment1 · recording1', to tell streams of several nodes and recordings apart."""
    parts = [p.name for p in (recording_folder.parent.parent, recording_folder.parent, recording_folder)]
    return " · ".join(parts)


def _stream(entry: dict, recording_folder: Path, where: str) -> Attempt:
    try:
        folder_name = str(entry["folder_name"]).strip("/")
        n_channels = int(entry["num_channels"])
        sample_rate = float(entry["sample_rate"])
    except (KeyError, TypeError, ValueError) as err:
        return f"{recording_folder / 'structure.oebin'}: a continuous stream lacks {err}"
    name = str(entry.get("stream_name") or folder_name)
    oebin = recording_folder / "structure.oebin"
    binary = recording_folder / "continuous" / folder_name / "continuous.dat"
    if not binary.exists():
        return f"{where}: stream {name} has no continuous/{folder_name}/continuous.dat"
    size = binary_problem(binary, n_channels, described_by=oebin)
    if isinstance(size, str):
        return f"{where}: {size}"
    found_warnings: list[str] = []
    expected = _npy_length(binary.parent / "sample_numbers.npy") or _npy_length(binary.parent / "timestamps.npy")
    if expected is not None and expected != size // (2 * n_channels):
        return (
            f"{where}: {binary.parent.name}/continuous.dat holds {size // (2 * n_channels)} samples but "
            f"its sample_numbers.npy lists {expected}: the copy is incomplete"
        )
    probe_name, description, channel_map = None, None, None
    settings = _settings_file(recording_folder)
    if settings is not None:
        try:
            probe = _read_probe(settings, name)
        except Exception as err:  # probeinterface raises bare Exceptions
            probe = None
            if "Neuropix" in str(entry.get("source_processor_name", "")):
                found_warnings.append(f"no probe geometry for {name} in {settings.name} ({err})")
        if probe is not None:
            probe_name = probe.annotations.get("model_name") or probe.annotations.get("part_number")
            description = describe_probe(probe)
            try:
                channel_map = from_probe(probe, n_channels)
            except ChannelMapError as err:
                found_warnings.append(f"the probe in {settings.name} does not fit stream {name}: {err}")
    channel_names = [str(c.get("channel_name", "")) for c in entry.get("channels", [])]
    rank = _rank(f"{name} {entry.get('source_processor_name', '')}", channel_names)
    if channel_map is None:
        channel_map = _named_linear(n_channels, channel_names)
        if rank == 0:
            reason = "no settings.xml in the record node" if settings is None else f"{settings.name} has no probe info"
            found_warnings.append(f"no probe geometry for {name} ({reason}): a linear channel map is used")
    return Recording(
        format=OPENEPHYS,
        binary=binary,
        size_bytes=size,
        n_channels=n_channels,
        sample_rate=sample_rate,
        stream=name,
        probe=probe_name,
        probe_description=description,
        channel_map=channel_map,
        metadata=oebin,
        warnings=tuple(found_warnings),
        neural_rank=rank,
    )


def _rank(name: str, channel_names: list[str]) -> int:
    upper = name.upper()
    if any(word in upper for word in ("ADC", "NI-DAQ", "NIDAQ", "SYNC", "AUX", "ANALOG")):
        return 2
    if "LFP" in upper or upper.endswith("-LF"):
        return 1
    if channel_names and not any(_is_electrode(n) for n in channel_names):
        return 2
    return 0


def _is_electrode(channel_name: str) -> bool:
    return not channel_name.upper().startswith(("AUX", "ADC", "AI", "SYNC"))


def _named_linear(n_channels: int, channel_names: list[str]) -> ChannelMap:
    """A linear map in which the Open Ephys auxiliary and ADC channels are not connected."""
    channel_map = linear(n_channels)
    if len(channel_names) != n_channels or not any(_is_electrode(n) for n in channel_names):
        return channel_map
    return ChannelMap(
        tuple(_is_electrode(n) for n in channel_names),
        channel_map.x_um,
        channel_map.y_um,
        channel_map.shank,
        channel_map.name,
    )


def _settings_file(recording_folder: Path) -> Path | None:
    """The record node's settings.xml for this experiment (experiment2 → settings_2.xml)."""
    node = recording_folder.parent.parent
    number = re.search(r"(\d+)$", recording_folder.parent.name)
    names = ["settings.xml"]
    if number and int(number.group(1)) > 1:
        names.insert(0, f"settings_{int(number.group(1))}.xml")
    for name in names:
        if (node / name).is_file():
            return node / name
    return None


def _read_probe(settings: Path, stream_name: str):
    import probeinterface  # loaded only when an Open Ephys probe is read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not probeinterface.has_neuropixels_probes(settings):
            return None
        return probeinterface.read_openephys(settings, stream_name=stream_name)


def _npy_length(path: Path) -> int | None:
    """The length of a .npy file's first axis, from its header alone."""
    import numpy as np  # here, not at the top: the window opens without numpy (issue #8)

    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_2_0 if version >= (2, 0) else np.lib.format.read_array_header_1_0
            )
            shape, _fortran, _dtype = read_header(handle)
    except (OSError, ValueError):
        return None
    return int(shape[0]) if shape else None


def oebin_above(path: Path) -> Path | None:
    """structure.oebin of the Open Ephys recording `path` is in (continuous/<stream>/continuous.dat is 3 below)."""
    for parent in list(path.parents)[:4]:
        candidate = parent / "structure.oebin"
        if candidate.is_file():
            return candidate
    return None
