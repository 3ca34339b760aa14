"""Sizes, durations and recordings as a person reads them."""

from __future__ import annotations

from pathlib import Path


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def clock_text(seconds: float) -> str:
    """1:05 for 65 seconds, 2:01:05 past the hour."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def recording_title(binary: Path | str) -> str:
    """A recording by its binary and folder, rec_a/recording.bin: raw binaries are often all "recording.bin"."""
    binary = Path(binary)
    return f"{binary.parent.name}/{binary.name}"
