"""What a dropped folder or file holds. For now: one raw int16 binary (`.bin`/`.dat`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BINARY_SUFFIXES = (".bin", ".dat")
# Files Kilosort itself writes; never taken for the user's recording.
SORTER_FILES = {"temp_wh.dat", "temp_wh2.dat"}


class RecordingError(ValueError):
    """A path that does not hold a usable recording; the message is for the user."""


@dataclass(frozen=True)
class Recording:
    format: str
    binary: Path
    size_bytes: int
    dtype: str = "int16"
    n_channels: int | None = None
    sample_rate: float | None = None

    @property
    def folder(self) -> Path:
        return self.binary.parent

    def n_samples(self, n_channels: int) -> int:
        return self.size_bytes // (2 * n_channels)


def inspect(path: Path) -> Recording:
    """Find the recording at `path` (a folder or the binary file itself), reading only metadata."""
    path = Path(path).expanduser()
    try:
        if not path.exists():
            raise RecordingError(f"{path} does not exist")
    except PermissionError as err:
        raise RecordingError(f"cannot read {path}: permission denied") from err
    path = path.resolve()
    if path.is_file():
        if path.suffix.lower() not in BINARY_SUFFIXES:
            raise RecordingError(f"{path.name} is not a recording: drop its folder or a .bin/.dat file")
        return _raw(path)
    if not path.is_dir():
        raise RecordingError(f"{path} is neither a folder nor a file")
    try:
        binaries = sorted(
            p
            for p in path.iterdir()
            if p.suffix.lower() in BINARY_SUFFIXES and p.is_file() and p.name not in SORTER_FILES
        )
    except PermissionError as err:
        raise RecordingError(f"cannot read the folder {path}: permission denied") from err
    if not binaries:
        raise RecordingError(f"no .bin or .dat recording in {path}")
    if len(binaries) > 1:
        names = ", ".join(p.name for p in binaries[:4])
        raise RecordingError(f"{path} holds several binaries ({names}): drop the one to sort")
    return _raw(binaries[0])


def _raw(binary: Path) -> Recording:
    try:
        size = binary.stat().st_size
        with binary.open("rb"):
            pass
    except PermissionError as err:
        raise RecordingError(f"cannot read {binary}: permission denied") from err
    if size == 0:
        raise RecordingError(f"{binary} is empty (0 bytes)")
    return Recording(format="raw binary", binary=binary, size_bytes=size)
