"""Time from starting the process to a visible window: ks-gui's main window vs. a bare PySide6 window.

Each is started 5 times in a fresh process on the same display (Xvfb when it is installed, else offscreen);
the child prints a line as soon as its window's first frame is painted and on screen: after the window's first paint
event, when control is back in the event loop. ks-gui's child goes the way the `ks-gui` command goes (ks_gui.cli,
then ks_gui.ui.app.open_window) and also prints when the window is complete: the icons' glyphs, loaded after the
first frame, painted. Prints medians and their ratios to the bare window (goal for the first frame: at most 1.5).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = 5

SHOW = """
import sys
{imports}
from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])

class FirstFrame(QObject):
    # The window's paint event comes before its children's; the posted call runs once the whole frame is painted
    # and flushed to the display, before anything the window itself posted while painting.
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, shown)
        return False

def shown():
    assert window.windowHandle().isExposed()
    print("shown", flush=True)
    {then}

{make_window}
first_frame = FirstFrame()
window.installEventFilter(first_frame)
window.show()
app.exec()
QThreadPool.globalInstance().waitForDone()  # a background call ks-gui started ends before the interpreter does
"""
BARE = SHOW.format(imports="", make_window="window = QWidget(); window.resize(900, 760)", then="app.exit(0)")
# Not a baseline: what Qt itself spends on the first text a window shows (fonts; a line field loads the input-method
# plugins), which any real window pays and the bare one does not.
BARE_WITH_TEXT = SHOW.format(
    imports="",
    make_window="""
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout
window = QWidget(); window.resize(900, 760)
layout = QVBoxLayout(window)
layout.addWidget(QLabel("Drop a recording folder here"))
layout.addWidget(QLineEdit("ks-gui/kilosort2.5:latest"))
""",
    then="app.exit(0)",
)
# ks-gui as the `ks-gui` command opens it (its modules, then the application, then the window); "complete" once
# the icons' glyphs (Font Awesome, from qtawesome's font file) are loaded and painted.
OURS = SHOW.format(
    imports="import ks_gui.cli\nfrom ks_gui.ui.app import open_window",
    make_window="""
def complete():
    from ks_gui.ui import icons
    if not icons.loaded():
        QTimer.singleShot(1, complete)
        return
    window.repaint()  # icons.load_now() has repainted already: this errs on the slow side
    print("complete", flush=True)
    app.exit(0)

window = open_window(app)
""",
    then="complete()",
)


def time_to_window(code: str, env: dict[str, str], *lines: str) -> list[float]:
    """Seconds from starting the child to each of the lines it prints."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
    elapsed = []
    for line in lines:
        assert process.stdout.readline().strip() == line
        elapsed.append(time.perf_counter() - started)
    process.wait(timeout=30)
    return elapsed


def main() -> None:
    # After its first frame ks-gui looks for sorts an earlier launcher left; with no engine at this address it finds
    # none, so the bench never takes over (or cleans up) someone else's sort. Docker's SDK is still imported.
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    xvfb = shutil.which("Xvfb")
    server = None
    if xvfb:
        read_end, write_end = os.pipe()
        server = subprocess.Popen(
            [xvfb, "-displayfd", str(write_end), "-nolisten", "tcp"], pass_fds=(write_end,), stderr=subprocess.DEVNULL
        )
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            env |= {"DISPLAY": ":" + pipe.readline().strip(), "QT_QPA_PLATFORM": "xcb"}
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    # An installed ks-gui runs from bytecode (pip compiles it); a checkout run with PYTHONDONTWRITEBYTECODE (as here)
    # compiles every module at each start. Both are measured, each against the bare window under the same rule.
    with tempfile.TemporaryDirectory() as cache:
        compiled = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": cache}
        uncompiled = env | {"PYTHONDONTWRITEBYTECODE": "1"}
        try:
            results = {name: _measure(how) for name, how in (("bytecode", compiled), ("source", uncompiled))}
        finally:
            if server:
                server.terminate()
    print(f"process start to visible window ({env['QT_QPA_PLATFORM']}), median of {ROUNDS}:")
    for name, (bare, text, shown, complete) in results.items():
        print(f"  modules from {name}:")
        print(f"    bare PySide6 window (baseline):  {bare * 1000:7.1f} ms")
        print(f"    with a label and a line field:   {text * 1000:7.1f} ms (ratio {text / bare:.2f}: Qt's own)")
        print(f"    ks-gui main window, first frame: {shown * 1000:7.1f} ms")
        print(f"    ks-gui main window with icons:   {complete * 1000:7.1f} ms")
        print(f"    ratio ks-gui / bare: {shown / bare:.2f} (with icons: {complete / bare:.2f})")


def _measure(env: dict[str, str]) -> tuple[float, float, float, float]:
    """Median seconds to the bare window, to the bare window with text, to ks-gui's first frame and to its icons."""
    time_to_window(OURS, env, "shown", "complete")  # warms the file cache (and writes the bytecode) for all
    time_to_window(BARE_WITH_TEXT, env, "shown")
    bare = statistics.median(time_to_window(BARE, env, "shown")[0] for _ in range(ROUNDS))
    text = statistics.median(time_to_window(BARE_WITH_TEXT, env, "shown")[0] for _ in range(ROUNDS))
    ours = [time_to_window(OURS, env, "shown", "complete") for _ in range(ROUNDS)]
    shown, complete = (statistics.median(times) for times in zip(*ours, strict=True))
    return bare, text, shown, complete


if __name__ == "__main__":
    main()
