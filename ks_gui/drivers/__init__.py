"""Sorter drivers: programs the sorter's own Python runs (in its image or its environment), one file each.

They are executed as files, never imported into the launcher's process: they import torch and Kilosort, which the
launcher does not have. `driver_path()` is how the launcher finds one.
"""

from __future__ import annotations

from pathlib import Path

KILOSORT4_DRIVER = "ks_gui_kilosort4.py"
# The quality stage (SpikeInterface's metrics, Bombcell's labels): run by the Kilosort 4 driver after the sort, and
# by `ks-gui qc`. Its top level is standard library only, so the launcher imports it for the thresholds.
QUALITY_DRIVER = "ks_gui_quality.py"


def driver_path(name: str) -> Path:
    return Path(__file__).with_name(name)
