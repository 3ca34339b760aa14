"""The window opens without loading what its first frame does not show (issue #8), and then looks as it always did.

Each test starts a fresh Python, as the `ks-gui` command does: a module imported in an earlier test of this run
would hide an import the window itself does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

# Opens the window the way `ks-gui` does and reports, as JSON: the heavy modules loaded by the time the first frame
# is on screen, whether PySide had built the Qt namespace's enums by then, whether the Sort button's icon was still
# blank then, and whether, once the glyphs are loaded (without qtawesome), it is the very image qtawesome draws; and
# what the window completed after the first frame: the History tab's table, the menus' shortcuts.
CHILD = """
import json, sys
import ks_gui.cli  # what the ks-gui command imports before it opens the window
from ks_gui.ui import icons
from ks_gui.ui.app import open_window
from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])

HEAVY = ("docker", "numpy", "scipy", "qtawesome", "qtpy", "ks_gui.core.places.docker_engine", "ks_gui.core.run")
report = {}

def sort_icon():
    return window.form.sort_button.icon().pixmap(32, 32).toImage()

def blank(image):
    return all(image.pixelColor(x, y).alpha() == 0 for x in range(image.width()) for y in range(image.height()))

class FirstFrame(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, at_first_frame)
        return False

def at_first_frame():
    report["loaded_at_first_frame"] = [name for name in HEAVY if name in sys.modules]
    report["qt_namespace_at_first_frame"] = "Qt" in vars(QtCore)
    report["history_at_first_frame"] = window.history_view is not None
    report["icon_blank_at_first_frame"] = blank(sort_icon())
    QTimer.singleShot(0, once_loaded)

def once_loaded():
    if not icons.loaded():
        QTimer.singleShot(10, once_loaded)
        return
    report["qtawesome_imported"] = "qtawesome" in sys.modules  # the app draws its glyphs from qtawesome's font file
    import qtawesome
    from PySide6.QtGui import QIcon
    report["icon_blank_later"] = blank(sort_icon())
    report["icon_is_qtawesomes"] = sort_icon() == qtawesome.icon("fa6s.play").pixmap(32, 32).toImage()
    ours, theirs = icons.icon("fa6s.xmark", color="#b00020"), qtawesome.icon("fa6s.xmark", color="#b00020")
    report["icons_are_qtawesomes"] = all(
        ours.pixmap(size, size, mode).toImage() == theirs.pixmap(size, size, mode).toImage()
        for size in (16, 24, 48) for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled)
    )
    history = window.history_view
    report["history_later"] = history is not None and window.tabs.widget(1).isAncestorOf(history)
    report["sort_shortcut_later"] = window.sort_action.shortcut().toString()
    print(json.dumps(report), flush=True)
    app.exit(0)

window = open_window(app)
first_frame = FirstFrame()
window.installEventFilter(first_frame)  # installed last, so it sees the paint event before the app's own filter
QTimer.singleShot(60_000, lambda: app.exit(3))  # never hang the test run
sys.exit(app.exec())
"""


def open_window_in_a_fresh_process() -> dict:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # After the first frame the window looks for sorts an earlier launcher left; with no engine at this address
        # it finds none, so it never takes over (or cleans up) a sort another test runs on the real engine.
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_first_frame_comes_before_docker_numpy_and_qtawesome_then_the_icons_are_qtawesomes():
    report = open_window_in_a_fresh_process()
    # Docker's SDK, numpy and scipy load when a sort or a recording needs them, qtawesome after the first frame.
    assert report["loaded_at_first_frame"] == []
    assert not report["qt_namespace_at_first_frame"]  # ks_gui/ui/__init__.py: PySide builds its enums in ~11 ms
    assert not report["history_at_first_frame"]
    assert report["icon_blank_at_first_frame"]
    # Then the glyph arrives, drawn from qtawesome's font exactly as qtawesome draws it.
    assert not report["icon_blank_later"]
    assert report["icon_is_qtawesomes"]
    assert report["icons_are_qtawesomes"]  # in another colour, at other sizes, disabled
    assert not report["qtawesome_imported"]
    # and the window completed itself: the History tab has its table, Ctrl+Return sorts.
    assert report["history_later"]
    assert report["sort_shortcut_later"] == "Ctrl+Return"
