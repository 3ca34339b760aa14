"""What a dropped folder or file holds: SpikeGLX, Open Ephys binary or raw int16 binary recordings.

Only metadata and file sizes are read, never the samples, and nothing is ever written near the recording.
`inspect(path)` gives the recording to sort (the neural stream when there are several); `inspect_all(path)` gives
every stream found, with the problems of the ones that cannot be sorted.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.readable import human_bytes
from ks_gui.core.recordings.channel_map import (
    ChannelMap,
    ChannelMapError,
    from_probe,
    linear,
    read_file,
    read_kilosort_mat,
)

SPIKEGLX, OPENEPHYS, BINARY = "spikeglx", "openephys", "binary"
FORMAT_TITLES = {SPIKEGLX: "SpikeGLX", OPENEPHYS: "Open Ephys", BINARY: "Raw int16 binary"}

BINARY_SUFFIXES = (".bin", ".dat")
# Files Kilosort itself writes; never taken for the user's recording.
SORTER_FILES = {"temp_wh.dat", "temp_wh2.dat"}
# How deep below a dropped folder recordings are looked for (run_g0/run_g0_imec0/x.ap.meta is 2 deep; an Open
# Ephys tree Record Node 101/experiment1/recording1/structure.oebin is 3 deep, one more when a session folder is
# dropped), and how many folder entries at most are looked at, so that dropping a home folder answers quickly.
SEARCH_DEPTH = 5
SEARCH_ENTRIES = 20_000

# Formats Kilosort cannot read directly: name, and SpikeInterface's reader for the conversion hint.
OTHER_FORMATS = {
    ".nwb": ("NWB", "read_nwb"),
    ".rhd": ("Intan", "read_intan"),
    ".rhs": ("Intan", "read_intan"),
    ".ns5": ("Blackrock", "read_blackrock"),
    ".ns6": ("Blackrock", "read_blackrock"),
    ".ns4": ("Blackrock", "read_blackrock"),
    ".ns3": ("Blackrock", "read_blackrock"),
    ".ns2": ("Blackrock", "read_blackrock"),
    ".ncs": ("Neuralynx", "read_neuralynx"),
    ".plx": ("Plexon", "read_plexon"),
    ".pl2": ("Plexon 2", "read_plexon2"),
    ".smr": ("Spike2", "read_spike2"),
    ".smrx": ("Spike2", "read_ced"),
    ".continuous": ("Open Ephys legacy", "read_openephys"),
    ".mcd": ("Multi Channel Systems", "read_mcsraw"),
    ".tev": ("TDT", "read_tdt"),
    ".xdat": ("NeuroNexus", "read_neuronexus"),
    ".abf": ("Axon", "read_axon"),
    ".edf": ("EDF", "read_edf"),
}

_SPIKEGLX_META = re.compile(r"\.(?P<device>imec\d*|nidq|obx\d*)(?:\.(?P<band>ap|lf))?\.meta$", re.IGNORECASE)


class RecordingError(ValueError):
    """A path that does not hold a usable recording; the message is for the user (one line per problem)."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Recording:
    format: str  # "spikeglx" | "openephys" | "binary"
    binary: Path
    size_bytes: int
    dtype: str = "int16"
    n_channels: int | None = None  # channels in the file: Kilosort's NchanTOT
    sample_rate: float | None = None
    stream: str | None = None  # "imec0.ap", "ProbeA", …; None for a lone raw binary
    probe: str | None = None  # part number or model name, e.g. "NP2010"
    probe_description: str | None = None
    channel_map: ChannelMap | None = None
    metadata: Path | None = None  # the .meta, structure.oebin or channel map the facts above come from
    warnings: tuple[str, ...] = ()
    neural_rank: int = field(default=0, compare=False)  # 0: what Kilosort sorts; higher: LFP, sync, analog inputs

    @property
    def folder(self) -> Path:
        return self.binary.parent

    @property
    def format_title(self) -> str:
        return FORMAT_TITLES.get(self.format, self.format)

    def n_samples(self, n_channels: int) -> int:
        return self.size_bytes // (2 * n_channels)

    @property
    def samples(self) -> int | None:
        return None if not self.n_channels else self.n_samples(self.n_channels)

    @property
    def duration_s(self) -> float | None:
        if not self.samples or not self.sample_rate:
            return None
        return self.samples / self.sample_rate

    @property
    def label(self) -> str:
        """What the stream picker shows."""
        name = self.stream or self.binary.name
        facts = [
            f"{self.n_channels} ch" if self.n_channels else "",
            f"{self.sample_rate / 1000:g} kHz" if self.sample_rate else "",
        ]
        facts = [f for f in facts if f]
        return f"{name} ({', '.join(facts)})" if facts else name

    def facts(self) -> list[tuple[str, str]]:
        """The recording's facts as a person reads them: the window's card and `ks-gui inspect` show these."""
        found = [("Format", self.format_title + (f", stream {self.stream}" if self.stream else ""))]
        if self.n_channels:
            connected = self.channel_map.n_connected if self.channel_map is not None else self.n_channels
            found.append(("Channels", f"{self.n_channels} ({connected} connected)"))
        else:
            found.append(("Channels", "not stored with the file"))
        found.append(
            (
                "Sample rate",
                f"{self.sample_rate:g} Hz" if self.sample_rate else "not stored with the file",
            )
        )
        if self.duration_s is not None:
            found.append(("Duration", f"{duration_text(self.duration_s)} ({self.samples:,} samples)"))
        found.append(("Size", human_bytes(self.size_bytes)))
        if self.probe:
            found.append(("Probe", self.probe + (f" ({self.probe_description})" if self.probe_description else "")))
        return found


def duration_text(seconds: float) -> str:
    """5.3 s, 12 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass(frozen=True)
class Inspection:
    """Every recording found at a path (the neural ones first) and why others could not be used."""

    path: Path
    recordings: tuple[Recording, ...]
    problems: tuple[str, ...] = ()

    @property
    def preselected(self) -> Recording:
        return self.recordings[0]

    @property
    def choice_needed(self) -> bool:
        """Several raw binaries: nothing says which one is the recording."""
        return len(self.recordings) > 1 and all(r.format == BINARY for r in self.recordings)


def inspect(path: Path) -> Recording:
    """The recording to sort at `path` (a folder or a file in it), reading only metadata."""
    found = inspect_all(path)
    if found.choice_needed:
        names = ", ".join(r.binary.name for r in found.recordings[:4])
        raise RecordingError(f"{found.path} holds several binaries ({names}): drop the one to sort")
    return found.preselected


def inspect_all(path: Path) -> Inspection:
    """Every recording at `path`; raises RecordingError when there is none it could use."""
    path = Path(path).expanduser()
    try:
        if not path.exists():
            raise RecordingError(f"{path} does not exist")
        path = path.resolve()
        if path.is_file():
            recordings, problems = _from_file(path)
        elif path.is_dir():
            recordings, problems = _from_folder(path)
        else:
            raise RecordingError(f"{path} is neither a folder nor a file")
    except PermissionError as err:
        raise RecordingError(f"cannot read {err.filename or path}: permission denied") from err
    if not recordings:
        raise RecordingError(*(problems or [f"no .bin or .dat recording in {path}"]))
    ordered = sorted(recordings, key=lambda r: r.neural_rank)  # stable: file order within a rank
    return Inspection(path, tuple(ordered), tuple(problems))


# --- where the files are ------------------------------------------------------------------------------------------

Found = tuple[list[Recording], list[str]]


def _from_file(path: Path) -> Found:
    suffix = path.suffix.lower()
    if _SPIKEGLX_META.search(path.name):
        return _collect([_spikeglx_attempt(path)])
    if suffix in BINARY_SUFFIXES:
        meta = path.with_suffix(".meta")
        if meta.exists():
            return _collect([_spikeglx_attempt(meta)])
        oebin = _oebin_above(path)
        if oebin is not None:
            stream_folder = path.parent.name
            recordings, problems = _openephys(oebin)
            chosen = [r for r in recordings if r.binary == path]
            if chosen:
                return chosen, []
            return [], problems or [f"{path} is not listed in {oebin} (stream {stream_folder})"]
        return _collect([_raw_attempt(path)])
    if path.name == "structure.oebin":
        return _openephys(path)
    if suffix in OTHER_FORMATS:
        return [], [_other_format_message(path, suffix)]
    raise RecordingError(f"{path.name} is not a recording: drop its folder or a .bin/.dat file")


def _from_folder(folder: Path) -> Found:
    metas, oebins, binaries, others = _search(folder)
    recordings: list[Recording] = []
    problems: list[str] = []
    claimed: set[Path] = set()
    for meta in metas:
        claimed.add(meta.with_suffix(".bin"))
        _add(_spikeglx_attempt(meta), recordings, problems)
    for oebin in oebins:
        found, trouble = _openephys(oebin)
        recordings += found
        problems += trouble
    if not metas and not oebins:
        oebin = _oebin_above(folder / "x")  # a stream folder or continuous/ inside an Open Ephys recording
        if oebin is not None:
            found, trouble = _openephys(oebin)
            inside = [r for r in found if r.binary.is_relative_to(folder)]
            return (inside or found), trouble
    for binary in binaries:
        if binary not in claimed and binary.parent == folder:
            _add(_raw_attempt(binary), recordings, problems)
    if not recordings and not problems and others:
        problems.append(_other_format_message(others[0], others[0].suffix.lower()))
    return recordings, problems


def _search(folder: Path) -> tuple[list[Path], list[Path], list[Path], list[Path]]:
    """SpikeGLX .meta files, structure.oebin files, raw binaries and files of other formats below `folder`."""
    metas, oebins, binaries, others = [], [], [], []
    seen = 0
    for root, dirs, files in os.walk(folder, onerror=_raise):
        here = Path(root)
        depth = len(here.relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < SEARCH_DEPTH else []
        seen += len(dirs) + len(files)
        if seen > SEARCH_ENTRIES:
            raise RecordingError(f"{folder} holds too many files to search: drop the recording's own folder")
        if "structure.oebin" in files:
            oebins.append(here / "structure.oebin")
            dirs[:] = [d for d in dirs if d not in ("continuous", "events", "spikes")]
        for name in sorted(files):
            lower = name.lower()
            if _SPIKEGLX_META.search(name):
                metas.append(here / name)
            elif lower.endswith(BINARY_SUFFIXES) and name not in SORTER_FILES and name != "continuous.dat":
                binaries.append(here / name)
            elif os.path.splitext(lower)[1] in OTHER_FORMATS:
                others.append(here / name)
    return metas, oebins, binaries, others


def _raise(err: OSError) -> None:
    raise err


def _oebin_above(path: Path) -> Path | None:
    """structure.oebin of the Open Ephys recording `path` is in (continuous/<stream>/continuous.dat is 3 below)."""
    for parent in list(path.parents)[:4]:
        candidate = parent / "structure.oebin"
        if candidate.is_file():
            return candidate
    return None


def _other_format_message(path: Path, suffix: str) -> str:
    name, reader = OTHER_FORMATS[suffix]
    return (
        f"{path.name} is {name} data, which Kilosort cannot read: convert it to a raw int16 binary first "
        f"(SpikeInterface: se.{reader}(...).save(format='binary'), or Kilosort 4's Convert to Binary)"
    )


# --- checks shared by every format ---------------------------------------------------------------------------------

Attempt = Recording | str  # a recording, or the problem that stopped it


def _add(attempt: Attempt, recordings: list[Recording], problems: list[str]) -> None:
    (problems if isinstance(attempt, str) else recordings).append(attempt)


def _collect(attempts: list[Attempt]) -> Found:
    recordings: list[Recording] = []
    problems: list[str] = []
    for attempt in attempts:
        _add(attempt, recordings, problems)
    return recordings, problems


def _binary_problem(binary: Path, n_channels: int | None, described_by: Path | None = None) -> str | int:
    """The binary's size in bytes, or what is wrong with it."""
    try:
        size = binary.stat().st_size
    except FileNotFoundError:
        if described_by is not None:
            return f"{described_by.name} has no {binary.name} beside it: copy the binary too"
        return f"{binary} does not exist"
    try:
        with binary.open("rb"):
            pass
    except PermissionError:
        return f"cannot read {binary}: permission denied"
    if size == 0:
        return f"{binary} is empty (0 bytes)"
    if n_channels and size % (2 * n_channels):
        source = f" ({described_by.name} says {n_channels} channels)" if described_by else ""
        return (
            f"{binary.name} has {size} bytes, which is not a whole number of {n_channels}-channel int16 "
            f"samples{source}: the file is cut short or belongs to another recording"
        )
    return size


# --- SpikeGLX ------------------------------------------------------------------------------------------------------


def read_meta(meta: Path) -> dict[str, str]:
    """A SpikeGLX .meta file: key=value lines; the leading ~ of the long tables is dropped."""
    values: dict[str, str] = {}
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lstrip("~")] = value.strip()
    return values


def _spikeglx_attempt(meta: Path) -> Attempt:
    try:
        values = read_meta(meta)
    except PermissionError:
        return f"cannot read {meta}: permission denied"
    match = _SPIKEGLX_META.search(meta.name)
    device = match.group("device").lower() if match else "imec"
    band = (match.group("band") or "").lower() if match else ""
    try:
        n_channels = int(values["nSavedChans"])
        rate_key = {"nidq": "niSampRate"}.get(device, "obSampRate" if device.startswith("obx") else "imSampRate")
        sample_rate = float(values[rate_key])
    except (KeyError, ValueError) as err:
        return f"{meta.name} is not a SpikeGLX .meta file Kilosort can use (no valid {err.args[0]})"
    binary = meta.with_suffix(".bin")
    size = _binary_problem(binary, n_channels, described_by=meta)
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
            probe_object = _read_spikeglx_probe(meta)
            description = _describe(probe_object)
            probe = probe or probe_object.annotations.get("model_name")
            channel_map = _spikeglx_channel_map(probe_object, values, n_channels)
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


def _read_spikeglx_probe(meta: Path):
    import probeinterface  # loaded only when a SpikeGLX probe is read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return probeinterface.read_spikeglx(meta)


def _describe(probe) -> str | None:
    """The catalogue's words for the probe ("Neuropixels 1.0 probe"); some part numbers only point to another."""
    description = str(probe.annotations.get("description") or "")
    if description and not description.lower().startswith("duplicate of"):
        return description
    shanks = probe.get_shank_count() if probe.shank_ids is not None else 1
    return f"{shanks}-shank probe" if shanks > 1 else None


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


def _spikeglx_channel_map(probe, values: dict[str, str], n_channels: int) -> ChannelMap:
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


# --- Open Ephys binary -----------------------------------------------------------------------------------------------


def _openephys(oebin: Path) -> Found:
    """Every continuous stream of one Open Ephys recording (experimentN/recordingM/structure.oebin)."""
    try:
        structure = json.loads(oebin.read_text(encoding="utf-8"))
        streams = structure["continuous"]
    except PermissionError:
        return [], [f"cannot read {oebin}: permission denied"]
    except (ValueError, KeyError, TypeError):
        return [], [f"{oebin} is not a valid Open Ephys structure.oebin (no list of continuous streams)"]
    recording_folder = oebin.parent
    where = _openephys_place(recording_folder)
    recordings: list[Recording] = []
    problems: list[str] = []
    for entry in streams:
        attempt = _openephys_stream(entry, recording_folder, where)
        _add(attempt, recordings, problems)
    return recordings, problems


def _openephys_place(recording_folder: Path) -> str:
    """'Record Node 101 · experiment1 · recording1', to tell streams of several nodes and recordings apart."""
    parts = [p.name for p in (recording_folder.parent.parent, recording_folder.parent, recording_folder)]
    return " · ".join(parts)


def _openephys_stream(entry: dict, recording_folder: Path, where: str) -> Attempt:
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
    size = _binary_problem(binary, n_channels, described_by=oebin)
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
            probe = _read_openephys_probe(settings, name)
        except Exception as err:  # probeinterface raises bare Exceptions
            probe = None
            if "Neuropix" in str(entry.get("source_processor_name", "")):
                found_warnings.append(f"no probe geometry for {name} in {settings.name} ({err})")
        if probe is not None:
            probe_name = probe.annotations.get("model_name") or probe.annotations.get("part_number")
            description = _describe(probe)
            try:
                channel_map = from_probe(probe, n_channels)
            except ChannelMapError as err:
                found_warnings.append(f"the probe in {settings.name} does not fit stream {name}: {err}")
    channel_names = [str(c.get("channel_name", "")) for c in entry.get("channels", [])]
    rank = _openephys_rank(f"{name} {entry.get('source_processor_name', '')}", channel_names)
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


def _openephys_rank(name: str, channel_names: list[str]) -> int:
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


def _read_openephys_probe(settings: Path, stream_name: str):
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


# --- raw binary -----------------------------------------------------------------------------------------------------


def _raw_attempt(binary: Path) -> Attempt:
    size = _binary_problem(binary, None)
    if isinstance(size, str):
        return size
    found_warnings: list[str] = []
    channel_map, sample_rate, source = _channel_map_beside(binary, found_warnings)
    n_channels = None
    if channel_map is not None:
        if size % (2 * channel_map.n_channels) == 0:
            n_channels = channel_map.n_channels
        else:
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
