"""The live log: the last lines the sorter printed (the full log is on disk), with find, copy, save and hide."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QFont, QGuiApplication, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ks_gui.ui import dialogs, icons

LINES_KEPT = 20_000


class LogView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_file: Path | None = None
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        # Bounded, whatever the sorter prints: append() drops the oldest lines (and no undo history keeps them).
        self.text.setUndoRedoEnabled(False)
        self.text.setFont(QFont("monospace", 9))
        self.text.setPlaceholderText("The sorter's own output appears here; the full log is kept on disk.")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find in log (Enter for the next match)")
        self.search.returnPressed.connect(self.find_next)
        copy_button = QPushButton(icons.icon("fa6s.copy"), "")
        copy_button.setToolTip("Copy the log shown here")
        copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        self.save_button = QPushButton(icons.icon("fa6s.floppy-disk"), "")
        self.save_button.setToolTip("Save the run's full log as…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.toggle = QPushButton("Hide log")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggled)
        tools = QHBoxLayout()
        tools.addWidget(self.search, stretch=1)
        tools.addWidget(copy_button)
        tools.addWidget(self.save_button)
        tools.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.text, stretch=1)

    def start(self, log_file: Path) -> None:
        """A new run: its lines follow, and Save copies its full log file."""
        self._log_file = log_file
        self.save_button.setEnabled(True)

    def append(self, lines: list[str]) -> None:
        """Add lines at the end, then drop those beyond the last LINES_KEPT in one cut. (Qt's own limit,
        setMaximumBlockCount, removes them one block at a time: three times slower, which let a flood of output
        stall the window for over 100 ms per batch.)"""
        if not lines:
            return
        self.text.appendPlainText("\n".join(lines[-LINES_KEPT:]))
        surplus = self.text.blockCount() - LINES_KEPT
        if surplus > 0:
            document = self.text.document()
            cut = QTextCursor(document)
            cut.setPosition(document.findBlockByNumber(surplus).position(), QTextCursor.MoveMode.KeepAnchor)
            cut.removeSelectedText()

    def clear(self) -> None:
        self.text.clear()

    @Slot()
    def find_next(self) -> None:
        needle = self.search.text()
        if needle and not self.text.find(needle):
            self.text.moveCursor(self.text.textCursor().MoveOperation.Start)  # wrap around
            self.text.find(needle)

    @Slot()
    def save(self) -> None:
        """A copy of the run's full log (the view keeps only its last lines), e.g. for a bug report."""
        if self._log_file is None or not self._log_file.exists():
            return
        target = dialogs.choose_save_path(self, "Save the log", str(Path.home() / self._log_file.name))
        if target is not None:
            shutil.copyfile(self._log_file, target)

    @Slot(bool)
    def _toggled(self, hidden: bool) -> None:
        self.text.setVisible(not hidden)
        self.toggle.setText("Show log" if hidden else "Hide log")
