"""A desktop notification when a long run ends while the window is not in front."""

from __future__ import annotations

import shutil
import subprocess

from PySide6.QtWidgets import QApplication, QWidget


def notify(window: QWidget, title: str, text: str) -> None:
    if window.isActiveWindow():
        return
    QApplication.alert(window)  # the taskbar entry asks for attention
    tool = shutil.which("notify-send")
    if tool:
        subprocess.Popen([tool, "--app-name=ks-gui", "--icon=ks-gui", title, text], start_new_session=True)
