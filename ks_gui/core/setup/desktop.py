"""The desktop's application menu entry and icon (freedesktop.org), in the user's own XDG folders.

The entry offers ks-gui under "Open With" for folders (MimeType inode/directory) without making it the default
folder handler: nothing is written to mimeapps.list.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ks_gui.core.ground.locations import shipped

ICON_NAME = "ks-gui.svg"
ENTRY_NAME = "ks-gui.desktop"


def resources_dir() -> Path:
    return shipped("resources")


@dataclass(frozen=True)
class DesktopFiles:
    entry: Path
    icon: Path


def desktop_files() -> DesktopFiles:
    data = Path(platformdirs.user_data_dir())  # $XDG_DATA_HOME, ~/.local/share by default
    return DesktopFiles(
        data / "applications" / ENTRY_NAME, data / "icons" / "hicolor" / "scalable" / "apps" / ICON_NAME
    )


def _launcher_command() -> str:
    """The command the menu runs: this installation's own ks-gui."""
    installed = Path(sys.executable).parent / "ks-gui"
    if installed.is_file():
        return str(installed)
    return shutil.which("ks-gui") or f"{sys.executable} -m ks_gui"


def _refresh_menus(applications: Path) -> None:
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, str(applications)], capture_output=True, check=False, timeout=30)


def install() -> DesktopFiles:
    files = desktop_files()
    template = (resources_dir() / ENTRY_NAME).read_text(encoding="utf-8")
    command = _launcher_command()
    entry = template.replace("Exec=ks-gui %f", f"Exec={command} %f")
    files.entry.parent.mkdir(parents=True, exist_ok=True)
    files.entry.write_text(entry + f"TryExec={command.split()[0]}\n", encoding="utf-8")
    files.icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resources_dir() / ICON_NAME, files.icon)
    _refresh_menus(files.entry.parent)
    return files


def uninstall() -> list[Path]:
    """Remove the entry and the icon; the paths that were there."""
    files = desktop_files()
    removed = [path for path in (files.entry, files.icon) if path.exists()]
    for path in removed:
        path.unlink()
    _refresh_menus(files.entry.parent)
    return removed
