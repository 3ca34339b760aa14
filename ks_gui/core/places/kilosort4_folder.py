"""Where the app's own Kilosort 4 environment is, known without loading its installer (kilosort4_env.py): the
window's first frame asks whether it is installed (tests/bench/window_start.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from ks_gui.core.ground.locations import APP_NAME

ENV_VARIABLE = "KS_GUI_KILOSORT4_ENV"  # an existing environment to use instead of the app's own (tests, labs)


def env_dir() -> Path:
    """The environment's folder: $KS_GUI_KILOSORT4_ENV, else `kilosort4-env` in the user data directory."""
    override = os.environ.get(ENV_VARIABLE, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "kilosort4-env"


def env_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def installed() -> bool:
    """Whether the environment's python is there (only that file is looked at: importing torch takes seconds)."""
    return env_python(env_dir()).exists()
