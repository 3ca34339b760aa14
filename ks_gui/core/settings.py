"""The user's last choices, as one typed object with defaults, stored as JSON under the user config directory.

No secret is ever stored here: not a password, not a batch token (those live in MATLAB's prompt or the keyring).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from ks_gui.core.ground.atomic import write_json_atomically

SETTINGS_VERSION = 1


@dataclass
class Settings:
    sorter: str = ""  # empty until the user sorts: the window starts on what this computer can run
    place: str = "docker"  # where the sorter runs: a name core/sorting.py PLACES lists
    license_mode: str = "server"  # server | file | account | token
    license_value: str = ""  # port@host, a file path or an email: never a password or token
    keep_signed_in: bool = False  # account mode: keep MATLAB's sign-in cache in a Docker volume (never the password)
    images: dict[str, str] = field(default_factory=dict)  # sorter name -> image, when not the default
    gpu: str = "auto"  # auto | none | an index
    temp_dir: str = ""  # empty: the output folder
    environment: str = ""  # KEY=VALUE pairs for the container
    cuda_forward_compat: str = "auto"  # auto | on | off
    last_recording_folder: str = ""
    phy_path: str = ""  # empty: the app's own phy, then PATH
    sorts_per_gpu: int = 1  # how many queued sorts may run on one GPU (or on the CPU) at a time
    # GPU servers the user added: address (ssh://me@gpu-server) -> its path map, ["LOCAL=SERVER", ...]
    servers: dict[str, list] = field(default_factory=dict)
    # SLURM clusters: "slurm" or "slurm+ssh://me@login" -> what its jobs ask for and what runs on its nodes
    clusters: dict[str, dict] = field(default_factory=dict)
    # Raw binaries whose files do not say their channel count or sample rate: path -> [channels, Hz] as last typed
    recording_facts: dict[str, list] = field(default_factory=dict)


def settings_file() -> Path:
    return Path(platformdirs.user_config_dir("ks-gui")) / "settings.json"


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    warning: str | None = None  # said to the user when the file could not be used as it was


def load_settings(path: Path | None = None) -> LoadedSettings:
    """The stored settings; defaults (and a warning) for a missing field of the wrong type or a corrupt file."""
    path = path or settings_file()
    if not path.exists():
        return LoadedSettings(Settings())
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(stored, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as err:
        return LoadedSettings(Settings(), f"Your settings file {path} could not be read ({err}); using defaults.")
    defaults = Settings()
    values, ignored = {}, []
    for spec in fields(Settings):
        if spec.name not in stored:
            continue
        value, default = stored[spec.name], getattr(defaults, spec.name)
        if isinstance(value, type(default)):
            values[spec.name] = value
        else:
            ignored.append(spec.name)
    warning = f"Some settings in {path} were not understood and were reset: {', '.join(ignored)}." if ignored else None
    return LoadedSettings(Settings(**values), warning)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    write_json_atomically(path or settings_file(), {"version": SETTINGS_VERSION, **asdict(settings)})
