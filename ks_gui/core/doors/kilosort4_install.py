"""The app's own Kilosort 4 environment as the faces handle it: where it is, whether it works, installing it (with
the torch build that fits this machine's GPUs). The work is core/places/kilosort4_env.py's; this is the window's and
the CLI's door to it."""

from __future__ import annotations

from ks_gui.core.places.gpus import detect_gpus
from ks_gui.core.places.kilosort4_env import (
    KILOSORT_VERSION,
    TORCH_VERSION,
    Installer,
    InstallOutcome,
    InstallProgress,
    check,
    env_dir,
    env_python,
    install_plan,
    torch_build,
)

__all__ = [
    "KILOSORT_VERSION",
    "TORCH_VERSION",
    "InstallOutcome",
    "InstallProgress",
    "Installer",
    "check",
    "detect_gpus",
    "env_dir",
    "env_python",
    "install_plan",
    "torch_build",
]
