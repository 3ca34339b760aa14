"""What a recording is: its binary, its channels and rate, its probe, and the checks every format shares.

Each format's own files are read by its module (`spikeglx`, `openephys`, `raw_binary`), which builds on the Recording
and the checks here; `inspection.py` finds the recordings below a dropped path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.recordings.channel_map import ChannelMap

SPIKEGLX, OPENEPHYS, BINARY = "spikeglx", "openephys", "binary"
FORMAT_TITLES = {SPIKEGLX: "SpikeGLX", OPENEPHYS: "Open Ephys", BINARY: "Raw int16 binary"}


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


# --- checks shared by every format ---------------------------------------------------------------------------------

Attempt = Recording | str  # a recording, or the problem that stopped it
Found = tuple[list[Recording], list[str]]  # the recordings of one place, and why others could not be used


def add(attempt: Attempt, recordings: list[Recording], problems: list[str]) -> None:
    if isinstance(attempt, str):
        problems.append(attempt)
    else:
        recordings.append(attempt)


def collect(attempts: list[Attempt]) -> Found:
    recordings: list[Recording] = []
    problems: list[str] = []
    for attempt in attempts:
        add(attempt, recordings, problems)
    return recordings, problems


def binary_problem(binary: Path, n_channels: int | None, described_by: Path | None = None) -> str | int:
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
