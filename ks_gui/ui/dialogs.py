"""Every modal question the window asks (and its About box) goes through here, so tests replace one seam.

The dialog classes are looked up when a question is asked (QtWidgets.QMessageBox…): PySide builds a class, with
its enums, on first use, and the window's first frame needs none of them (ks_gui/ui/__init__.py)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6 import QtWidgets
from PySide6.QtWidgets import QWidget


def ask_secret(parent: QWidget, title: str, label: str) -> str | None:
    """A password-style question; None when the user cancels. The answer is never stored."""
    text, ok = QtWidgets.QInputDialog.getText(parent, title, label, QtWidgets.QLineEdit.EchoMode.Password)
    return text if ok else None


def choose_folder(parent: QWidget, title: str, start: str = "") -> Path | None:
    folder = QtWidgets.QFileDialog.getExistingDirectory(parent, title, start)
    return Path(folder) if folder else None


def choose_file(parent: QWidget, title: str, name_filter: str) -> Path | None:
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, "", name_filter)
    return Path(path) if path else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QtWidgets.QMessageBox.question(parent, title, text) == QtWidgets.QMessageBox.StandardButton.Yes


def choose(parent: QWidget, title: str, text: str, options: list[str]) -> int | None:
    """A question with several answers: the index of the one chosen, None for Cancel."""
    message_box = QtWidgets.QMessageBox
    box = message_box(message_box.Icon.Question, title, text, message_box.StandardButton.Cancel, parent)
    buttons = [box.addButton(option, message_box.ButtonRole.AcceptRole) for option in options]
    box.setDefaultButton(buttons[0])
    box.exec()
    return buttons.index(cast(QtWidgets.QPushButton, box.clickedButton())) if box.clickedButton() in buttons else None


def choose_save_path(parent: QWidget, title: str, suggested: str) -> Path | None:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, suggested)
    return Path(path) if path else None


def about(parent: QWidget, title: str, rich_text: str) -> None:
    QtWidgets.QMessageBox.about(parent, title, rich_text)


def tell(parent: QWidget, title: str, text: str) -> None:
    """One sentence the user must see before going on (a folder that is not what was asked for)."""
    QtWidgets.QMessageBox.information(parent, title, text)
