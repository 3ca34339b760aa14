"""Every modal question the window asks goes through here, so tests replace one seam."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


def ask_secret(parent: QWidget, title: str, label: str) -> str | None:
    """A password-style question; None when the user cancels. The answer is never stored."""
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
    return text if ok else None


def choose_folder(parent: QWidget, title: str, start: str = "") -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, title, start)
    return Path(folder) if folder else None


def choose_file(parent: QWidget, title: str, name_filter: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", name_filter)
    return Path(path) if path else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes


def choose(parent: QWidget, title: str, text: str, options: list[str]) -> int | None:
    """A question with several answers: the index of the one chosen, None for Cancel."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent)
    buttons = [box.addButton(option, QMessageBox.ButtonRole.AcceptRole) for option in options]
    box.setDefaultButton(buttons[0])
    box.exec()
    return buttons.index(box.clickedButton()) if box.clickedButton() in buttons else None


def choose_save_path(parent: QWidget, title: str, suggested: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested)
    return Path(path) if path else None
