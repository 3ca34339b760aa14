"""What a dropped folder or file holds: SpikeGLX, Open Ephys binary or raw int16 binary recordings.

Only metadata and file sizes are read, never the samples, and nothing is ever written near the recording.
`inspect(path)` gives the recording to sort (the neural stream when there are several); `inspect_all(path)` gives
every stream found, with the problems of the ones that cannot be sorted. Each format's files are read by its own
module; this one knows where recordings lie below a dropped path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ks_gui.core.recordings import openephys, raw_binary, spikeglx
from ks_gui.core.recordings.recording import BINARY, Found, Recording, RecordingError, add, collect

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


def _from_file(path: Path) -> Found:
    suffix = path.suffix.lower()
    if spikeglx.is_meta(path.name):
        return collect([spikeglx.recording(path)])
    if suffix in BINARY_SUFFIXES:
        meta = path.with_suffix(".meta")
        if meta.exists():
            return collect([spikeglx.recording(meta)])
        oebin = openephys.oebin_above(path)
        if oebin is not None:
            stream_folder = path.parent.name
            recordings, problems = openephys.recordings(oebin)
            chosen = [r for r in recordings if r.binary == path]
            if chosen:
                return chosen, []
            return [], problems or [f"{path} is not listed in {oebin} (stream {stream_folder})"]
        return collect([raw_binary.recording(path)])
    if path.name == "structure.oebin":
        return openephys.recordings(path)
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
        add(spikeglx.recording(meta), recordings, problems)
    oebin: Path | None  # each .oebin found, then the one above the folder (or None)
    for oebin in oebins:
        found, trouble = openephys.recordings(oebin)
        recordings += found
        problems += trouble
    if not metas and not oebins:
        oebin = openephys.oebin_above(folder / "x")  # a stream folder or continuous/ inside an Open Ephys recording
        if oebin is not None:
            found, trouble = openephys.recordings(oebin)
            inside = [r for r in found if r.binary.is_relative_to(folder)]
            return (inside or found), trouble
    for binary in binaries:
        if binary not in claimed and binary.parent == folder:
            add(raw_binary.recording(binary), recordings, problems)
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
            if spikeglx.is_meta(name):
                metas.append(here / name)
            elif lower.endswith(BINARY_SUFFIXES) and name not in SORTER_FILES and name != "continuous.dat":
                binaries.append(here / name)
            elif os.path.splitext(lower)[1] in OTHER_FORMATS:
                others.append(here / name)
    return metas, oebins, binaries, others


def _raise(err: OSError) -> None:
    raise err


def _other_format_message(path: Path, suffix: str) -> str:
    name, reader = OTHER_FORMATS[suffix]
    return (
        f"{path.name} is {name} data, which Kilosort cannot read: convert it to a raw int16 binary first "
        f"(SpikeInterface: se.{reader}(...).save(format='binary'), or Kilosort 4's Convert to Binary)"
    )
