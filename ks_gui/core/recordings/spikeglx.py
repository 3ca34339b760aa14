"""SpikeGLX recordings: the .meta file beside each .bin, the probe it names, which saved channels are sync.

Only the .meta and the binary's size are read; probeinterface reads the probe from the .meta when one is named.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from ks_gui.core.recordings.channel_map import ChannelMap, ChannelMapError, describe_probe, from_probe, linear
from ks_gui.core.recordings.recording import SPIKEGLX, Attempt, Recording, binary_problem

META_NAME = re.compile(r"\.(?P<device>imec\d*|nidq|obx\d*)(?:\.(?P<band>ap|lf))?\.meta$", re.IGNORECASE)


def is_meta(name: str) -> bool:
    """Whether a file name is a SpikeGLX .meta (x.imec0.ap.meta, x.nidq.meta, x.obx0.meta)."""
    return META_NAME.search(name) is not None


def read_meta(meta: Path) -> dict[str, str]:
    """A SpikeGLX .meta file: key=value lines; the leading ~ of the long tables is dropped."""
    values: dict[str, str] = {}
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lstrip("~")] = value.strip()
    return values


def recording(meta: Path) -> Attempt:
    """The recording a .meta describes, or what stops it from being sorted."""
    try:
        values = read_meta(meta)
    except PermissionError:
        return f"cannot read {meta}: permission denied"
    match = META_NAME.search(meta.name)
    device = match.group("device").lower() if match else "imec"
    band = (match.group("band") or "").lower() if match else ""
    try:
        n_channels = int(values["nSavedChans"])
        rate_key = {"nidq": "niSampRate"}.get(device, "obSampRate" if device.startswith("obx") else "imSampRate")
        sample_rate = float(values[rate_key])
    except (KeyError, ValueError) as err:
        return f"{meta.name} is not a SpikeGLX .meta file Kilosort can use (no valid {err.args[0]})"
    binary = meta.with_suffix(".bin")
    size = binary_problem(binary, n_channels, described_by=meta)
    if isinstance(size, str):
        return size
    expected = values.get("fileSizeBytes", "")
    if expected.isdigit() and int(expected) != size:
        return (
            f"{binary.name} has {size} bytes but {meta.name} says fileSizeBytes={expected}: "
            "the copy is incomplete or the .meta belongs to another file"
        )
    stream = f"{device}.{band}" if band else device
    warnings_found: list[str] = []
    probe = values.get("imDatPrb_pn") or ("Phase 3A" if "imProbeOpt" in values else None)
    description = None
    channel_map = None
    if device.startswith("imec"):
        try:
            probe_object = _read_probe(meta)
            description = describe_probe(probe_object)
            probe = probe or probe_object.annotations.get("model_name")
            channel_map = _channel_map(probe_object, values, n_channels)
        except Exception as err:  # probeinterface raises bare Exceptions for unknown probes
            warnings_found.append(f"no probe geometry from {meta.name} ({err}): a linear channel map is used")
    if channel_map is None:
        channel_map = linear(n_channels)
        if device.startswith("imec") and _sync_channels(values):
            channel_map = _without_sync(channel_map, values)
    rank = 0 if band == "ap" or (device.startswith("imec") and not band) else (1 if band == "lf" else 2)
    return Recording(
        format=SPIKEGLX,
        binary=binary,
        size_bytes=size,
        n_channels=n_channels,
        sample_rate=sample_rate,
        stream=stream,
        probe=probe,
        probe_description=description,
        channel_map=channel_map,
        metadata=meta,
        warnings=tuple(warnings_found),
        neural_rank=rank,
    )


def _read_probe(meta: Path):
    import probeinterface  # loaded only when a SpikeGLX probe is read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return probeinterface.read_spikeglx(meta)


def _saved_channels(values: dict[str, str], n_saved: int) -> list[int]:
    """The acquisition channel ids saved in the file, in file order (snsSaveChanSubset: "all" or "0:383,768")."""
    subset = values.get("snsSaveChanSubset", "all").strip()
    if subset in ("", "all"):
        return list(range(n_saved))
    channels: list[int] = []
    for part in subset.split(","):
        first, _, last = part.partition(":")
        channels += range(int(first), int(last or first) + 1)
    return sorted(channels)


def _sync_channels(values: dict[str, str]) -> list[int]:
    """File positions of the channels that are not electrodes (the SY sync word, and LF in an AP file)."""
    counts = (values.get("acqApLfSy") or values.get("snsApLfSy") or "").split(",")
    try:
        n_ap = int(counts[0])
        saved = _saved_channels(values, int(values["nSavedChans"]))
    except (ValueError, KeyError, IndexError):
        return []
    return [k for k, channel in enumerate(saved) if channel >= n_ap]


def _channel_map(probe, values: dict[str, str], n_channels: int) -> ChannelMap:
    """probeinterface keeps the saved electrode channels, in file order; the channels after them are sync."""
    n_contacts = probe.get_contact_count()
    n_electrodes = n_channels - len(_sync_channels(values))
    if n_contacts != n_electrodes:
        raise ChannelMapError(f"the probe has {n_contacts} saved contacts, the file {n_electrodes} electrode channels")
    return from_probe(probe, n_channels)


def _without_sync(channel_map: ChannelMap, values: dict[str, str]) -> ChannelMap:
    sync = set(_sync_channels(values))
    return ChannelMap(
        tuple(c and k not in sync for k, c in enumerate(channel_map.connected)),
        channel_map.x_um,
        channel_map.y_um,
        channel_map.shank,
        channel_map.name,
    )
