"""What went wrong, in one sentence, what to do about it, and the way to the full log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ks_gui.ui import icons

if TYPE_CHECKING:  # core.diagnosis loads with the first sort, not with the window (issue #8)
    from ks_gui.core.sorters.diagnosis import Failure


class FailurePanel(QFrame):
    """Hidden until a sort fails; then the diagnosis's message, its hint and an "Open the full log" button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("failurePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#failurePanel { border: 1px solid #b00020; border-radius: 4px; }")
        self.title = QLabel()
        self.title.setStyleSheet("color: #b00020; font-weight: 600;")
        self.title.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.open_log_button = QPushButton(icons.icon("fa6s.file-lines"), "Open the full log")
        self.open_log_button.clicked.connect(self.open_log)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.hint)
        layout = QHBoxLayout(self)
        layout.addLayout(text, stretch=1)
        layout.addWidget(self.open_log_button)
        self.log_file: Path | None = None
        self.hide()

    def show_failure(self, failure: Failure | None, log_file: Path, exit_code: int | None = None) -> None:
        """Show what went wrong; without a diagnosis, say how the sorter stopped."""
        if failure is not None:
            self.title.setText(failure.message)
            self.hint.setText(failure.hint)
        else:
            self.title.setText(f"The sorter stopped with exit code {exit_code}, with no error ks-gui recognises.")
            self.hint.setText("The full log shows the sorter's last words.")
        self.hint.setVisible(bool(self.hint.text()))
        self.log_file = log_file
        self.open_log_button.setEnabled(log_file.exists())
        self.show()

    def clear(self) -> None:
        self.log_file = None
        self.hide()

    @Slot()
    def open_log(self) -> None:
        if self.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file)))
