"""Where ks-gui keeps its own files: logs, the mex cache, settings (platformdirs, so XDG_* are honoured)."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "ks-gui"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))


def run_log_file(job_id: str) -> Path:
    return log_dir() / "runs" / f"{job_id}.log"


def local_runs_dir() -> Path:
    """Where each local sort keeps its process's record, output and exit code (core/places/detached_process.py)."""
    return log_dir() / "local"


def mex_cache_dir(image_short_id: str) -> Path:
    """Compiled mex files are kept per image: a rebuilt image compiles again, the same image never does."""
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "mex" / image_short_id


def shipped(relative: str) -> Path:
    """A folder shipped with ks-gui that is not Python code (resources/, docker/…): found in the checkout, or,
    once installed from a wheel, under <prefix>/share/ks-gui (pyproject's data-files)."""
    checkout = Path(__file__).resolve().parents[3] / relative
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / APP_NAME / relative


def stage_times_file() -> Path:
    """How long each stage of this machine's finished sorts took (core/results/stage_times.py)."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "stage_times.json"
