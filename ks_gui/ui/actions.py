"""The menus and their shortcuts, as one table: each row a menu, a text, what it does (a method of the window),
a shortcut and an icon. Shortcuts are set once the first frame is on screen (ks_gui/ui/__init__.py says why)."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMainWindow

from ks_gui.ui import icons

SEPARATOR = None


class Row(NamedTuple):
    menu: str
    text: str
    slot: str  # the window's method
    shortcut: QKeySequence.StandardKey | str | None = None
    icon: str = ""
    name: str = ""  # kept as the window's attribute (actions it enables and disables)


MENUS = ("&File", "&Sort", "&View", "&Tools", "&Help")

TABLE: tuple[Row | tuple[str, None], ...] = (
    Row("&File", "Open recording…", "browse_recording", QKeySequence.StandardKey.Open, "fa6s.folder-open"),
    Row("&File", "Open results…", "browse_results", None, "fa6s.table"),
    ("&File", SEPARATOR),
    Row("&File", "Quit", "close", QKeySequence.StandardKey.Quit),
    Row("&Sort", "Sort", "start_sort", "Ctrl+Return", "fa6s.play", name="sort_action"),
    Row("&Sort", "Cancel", "cancel_sort", "Ctrl+.", "fa6s.stop", name="cancel_action"),
    Row("&Sort", "Copy docker run command", "copy_docker_run", "Ctrl+Shift+C", "fa6s.terminal"),
    Row("&View", "Sort", "show_sort_tab", "Ctrl+1"),
    Row("&View", "History", "show_history", "Ctrl+2"),
    Row("&View", "Storage…", "open_storage", None, "fa6s.hard-drive"),
    Row("&View", "Check setup…", "open_setup_check", None, "fa6s.stethoscope"),
    Row("&Tools", "Build image…", "open_image_dialog", None, "fa6s.hammer"),
    Row("&Tools", "Add a GPU server…", "open_server_dialog", None, "fa6s.server"),
    Row("&Tools", "Add a SLURM cluster…", "open_cluster_dialog", None, "fa6s.network-wired"),
    Row("&Tools", "Add ks-gui to the application menu", "install_desktop_entry"),
    Row("&Help", "Documentation", "open_documentation", QKeySequence.StandardKey.HelpContents, "fa6s.book"),
    Row("&Help", "About ks-gui", "show_about"),
)


def build_menus(window: QMainWindow) -> list[tuple[QAction, QKeySequence.StandardKey | str]]:
    """Add the table's menus to `window`; returns the actions and the shortcuts they get once the window is
    complete."""
    menus = {title: window.menuBar().addMenu(title) for title in MENUS}
    shortcuts = []
    for row in TABLE:
        if not isinstance(row, Row):
            menus[row[0]].addSeparator()
            continue
        item = menus[row.menu].addAction(icons.icon(row.icon) if row.icon else QIcon(), row.text)
        item.triggered.connect(getattr(window, row.slot))
        if row.shortcut:
            shortcuts.append((item, row.shortcut))
        if row.name:
            setattr(window, row.name, item)
    return shortcuts
