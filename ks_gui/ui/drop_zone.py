"""The big target a recording folder is dropped on (or chosen with Browse…)."""

from __future__ import annotations

from pathlib import Path

import qtawesome
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ks_gui.ui import dialogs

EMPTY_TEXT = "Drop a recording folder here, or"


class DropZone(QFrame):
    """Signals:
    path_chosen(Path): a folder or file was dropped or browsed to.
    """

    path_chosen = Signal(Path)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(96)
        self.setStyleSheet(
            "#dropZone { border: 2px dashed palette(mid); border-radius: 8px; }"
            "#dropZone[hovering=true] { border-color: palette(highlight); }"
        )
        icon = QLabel()
        icon.setPixmap(qtawesome.icon("fa6s.folder-open", color="#607080").pixmap(32, 32))
        self.title = QLabel(EMPTY_TEXT)
        self.title.setStyleSheet("font-size: 15px;")
        self.details = QLabel("SpikeGLX, Open Ephys or a raw int16 .bin/.dat")
        self.details.setStyleSheet("color: palette(placeholder-text);")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)

        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.details)
        row = QHBoxLayout(self)
        row.addWidget(icon)
        row.addSpacing(8)
        row.addLayout(text, stretch=1)
        row.addWidget(self.browse_button)

    def show_recording(self, title: str, details: str) -> None:
        self.title.setText(title)
        self.details.setText(details)
        self.browse_button.setText("Change…")

    def _browse(self) -> None:
        folder = dialogs.choose_folder(self, "Choose a recording folder")
        if folder is not None:
            self.path_chosen.emit(folder)

    def _set_hovering(self, hovering: bool) -> None:
        self.setProperty("hovering", hovering)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls() and event.mimeData().urls()[0].isLocalFile():
            event.acceptProposedAction()
            self._set_hovering(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_hovering(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_hovering(False)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.path_chosen.emit(Path(urls[0].toLocalFile()))
