"""A sort's quality metrics and automatic labels, as the quality stage kept them (`<output>/.ks-gui/quality.json`,
written by `ks_gui/drivers/ks_gui_quality.py` with SpikeInterface's metrics and Bombcell's labels).

Reading needs neither SpikeInterface nor numpy: the window, `ks-gui results` and History show what was computed
where the sort ran. The thresholds file a user gives is checked here before anything is computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.ground.contract import RUN_FOLDER
from ks_gui.drivers.ks_gui_quality import (
    DEFAULT_THRESHOLDS,
    LABEL_COLUMN,
    QualityError,
    read_thresholds,
)

QUALITY_FILE = "quality.json"
# The metrics the unit table shows beside the label (SpikeInterface's names), and their column titles.
MAIN_METRICS = (
    ("snr", "SNR"),
    ("presence_ratio", "Presence"),
    ("amplitude_cutoff", "Amp. cutoff"),
    ("sliding_rp_violation", "RP viol."),
    ("isolation_distance", "Iso. dist."),
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "LABEL_COLUMN",
    "MAIN_METRICS",
    "Quality",
    "QualityError",
    "check_thresholds",
    "quality_file",
    "read_quality",
]


@dataclass(frozen=True)
class Quality:
    """Every unit's metrics and label, and how they were made."""

    labels: dict[int, str]
    metrics: dict[int, dict[str, float | None]]
    thresholds: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None
    spikeinterface: str = ""

    def describe(self) -> str:
        """One line: "10 units labelled: 7 good, 2 mua, 1 noise (SpikeInterface 0.105.3, 21 s)"."""
        counts = ", ".join(f"{n} {label}" for label, n in sorted(self.counts.items(), key=lambda item: -item[1]))
        took = f", {self.seconds:.0f} s" if self.seconds is not None else ""
        return f"{sum(self.counts.values())} units labelled: {counts} (SpikeInterface {self.spikeinterface}{took})"


def quality_file(folder: Path) -> Path:
    return folder / RUN_FOLDER / QUALITY_FILE


def read_quality(folder: Path) -> Quality | None:
    """The quality stage's result for the phy folder `folder`, or None (never computed, or the file is damaged)."""
    try:
        kept = json.loads(quality_file(folder).read_text(encoding="utf-8"))
        units = kept["units"]
        labels = {int(unit): str(entry.get("auto_label", "")) for unit, entry in units.items()}
        metrics = {
            int(unit): {str(name): _number(value) for name, value in entry.get("quality", {}).items()}
            for unit, entry in units.items()
        }
        seconds = kept.get("seconds")
        return Quality(
            labels=labels,
            metrics=metrics,
            thresholds=dict(kept.get("thresholds", {})),
            counts={str(k): int(v) for k, v in kept.get("counts", {}).items()},
            seconds=float(seconds) if isinstance(seconds, int | float) else None,
            spikeinterface=str(kept.get("spikeinterface", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def check_thresholds(path: Path | None) -> dict:
    """The thresholds a file gives over Bombcell's defaults; QualityError (bad_input) in one line when it cannot
    be used."""
    return read_thresholds(path)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
