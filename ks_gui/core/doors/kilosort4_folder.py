"""Where the app's own Kilosort 4 environment is and whether it is installed, for the window's first frame: this
door loads none of the installer that kilosort4_install.py opens onto."""

from __future__ import annotations

from ks_gui.core.places.kilosort4_folder import ENV_VARIABLE, env_dir, env_python, installed

__all__ = ["ENV_VARIABLE", "env_dir", "env_python", "installed"]
