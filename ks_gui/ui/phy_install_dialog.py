"""Installing phy from the window: the offer (install it, or use phy inside the Kilosort image) and the progress."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.results.phy import INSTALL_SIZE_TEXT, InstallOutcome, InstallProgress, PhyInstaller
from ks_gui.ui.threads import end_thread, start_on_thread

PhyChoice = Literal["install", "container"]


def offer_phy(parent: QWidget, reason: str) -> PhyChoice | None:
    """Ask how to get phy when it is not found: install it, run it in the Kilosort image, or neither (None)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Open in phy")
    box.setText(reason)
    box.setInformativeText(
        f"ks-gui can install phy into its own environment ({INSTALL_SIZE_TEXT}, about a minute), "
        "or run the phy inside the Kilosort image on this screen."
    )
    install = box.addButton("Install phy", QMessageBox.ButtonRole.AcceptRole)
    container = box.addButton("Use the Kilosort image", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(install)
    box.exec()
    clicked = box.clickedButton()
    return "install" if clicked is install else "container" if clicked is container else None


class _InstallWorker(QObject):
    progress = Signal(str, float)
    finished = Signal(InstallOutcome)

    def __init__(self, installer: PhyInstaller) -> None:
        super().__init__()
        self.installer = installer

    @Slot()
    def run(self) -> None:
        for event in self.installer.events():
            if isinstance(event, InstallProgress):
                self.progress.emit(event.text, event.fraction)
            elif isinstance(event, InstallOutcome):
                self.finished.emit(event)


class PhyInstallDialog(QDialog):
    """Runs a PhyInstaller on a worker thread, shows its lines and a progress bar; Cancel stops pip."""

    def __init__(self, parent: QWidget | None = None, installer: PhyInstaller | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Installing phy")
        self.outcome: InstallOutcome | None = None
        self.installer = installer or PhyInstaller()
        self.status = QLabel(f"Installing phy into {self.installer.target}")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.lines = QPlainTextEdit()
        self.lines.setReadOnly(True)
        self.lines.setMaximumBlockCount(2000)
        self.lines.setFont(QFont("monospace", 9))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.lines, stretch=1)
        layout.addLayout(buttons)
        self.resize(640, 360)

        self._thread: QThread | None = None
        self._worker = _InstallWorker(self.installer)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)

    def start(self) -> None:
        self._thread = start_on_thread(self._worker, self)

    def exec(self) -> int:
        self.start()
        return super().exec()

    @Slot(str, float)
    def _on_progress(self, text: str, fraction: float) -> None:
        self.lines.appendPlainText(text)
        self.bar.setValue(round(fraction * 1000))

    @Slot(InstallOutcome)
    def _on_finished(self, outcome: InstallOutcome) -> None:
        self.outcome = outcome
        end_thread(self._thread)
        self.status.setText(outcome.message)
        self.status.setStyleSheet("" if outcome.succeeded else "color: #b00020;")
        if outcome.succeeded:
            self.bar.setValue(1000)
            self.accept()
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def _cancel_or_close(self) -> None:
        if self.outcome is not None:
            self.reject()
            return
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")
        self.installer.cancel()

    def reject(self) -> None:
        if self.outcome is None and self.running:
            self._cancel_or_close()  # Escape or the window's close button: cancel first, close when pip has ended
            return
        super().reject()
