"""Time from starting the process to a visible window: ks-gui's main window vs. a bare PySide6 window.

Each is started 5 times in a fresh process on the same display (Xvfb when it is installed, else offscreen);
the child prints a line as soon as its window is exposed. Prints medians and their ratio (goal: at most 1.5).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

ROUNDS = 5

SHOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
{make_window}
window.show()

def check():
    if window.windowHandle() is not None and window.windowHandle().isExposed():
        print("shown", flush=True)
        app.exit(0)
    else:
        QTimer.singleShot(1, check)

QTimer.singleShot(0, check)
app.exec()
"""
BARE = SHOW.format(make_window="window = QWidget(); window.resize(900, 760)")
OURS = SHOW.format(make_window="from ks_gui.ui.main_window import MainWindow\nwindow = MainWindow()")


def time_to_window(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
    assert process.stdout.readline().strip() == "shown"
    elapsed = time.perf_counter() - started
    process.wait(timeout=30)
    return elapsed


def main() -> None:
    env = dict(os.environ)
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
    try:
        time_to_window(OURS, env)  # warm the file cache for both
        bare = statistics.median(time_to_window(BARE, env) for _ in range(ROUNDS))
        ours = statistics.median(time_to_window(OURS, env) for _ in range(ROUNDS))
    finally:
        if server:
            server.terminate()
    print(f"process start to visible window ({env['QT_QPA_PLATFORM']}), median of {ROUNDS}:")
    print(f"  bare PySide6 window (baseline): {bare * 1000:7.1f} ms")
    print(f"  ks-gui main window:             {ours * 1000:7.1f} ms")
    print(f"  ratio ks-gui / bare: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
