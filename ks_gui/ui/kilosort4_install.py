"""The dialog that installs (or repairs) the app's own Kilosort 4 environment, with its progress and a Cancel."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.doors import kilosort4_install as kilosort4_env
from ks_gui.core.doors.kilosort4_install import detect_gpus
from ks_gui.ui.threads import end_thread, run_detached, start_on_thread


class _InstallWorker(QObject):
    """Lives on a QThread: runs the Installer and turns its events into signals."""

    progress = Signal(int, int, str, str)  # step, steps, title, line
    finished = Signal(bool, bool, str)  # succeeded, cancelled, message

    def __init__(self) -> None:
        super().__init__()
        self._installer: kilosort4_env.Installer | None = None
        self._cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        folder = kilosort4_env.env_dir()
        self._installer = kilosort4_env.Installer(folder, kilosort4_env.install_plan(folder, detect_gpus()))
        if self._cancel.is_set():
            self._installer.cancel()
        for event in self._installer.events():
            if isinstance(event, kilosort4_env.InstallProgress):
                self.progress.emit(event.step, event.steps, event.title, event.line)
            else:
                self.finished.emit(event.succeeded, event.cancelled, event.message)

    def cancel(self) -> None:
        self._cancel.set()
        if self._installer is not None:
            run_detached(self._installer.cancel, "cancel the Kilosort 4 install")


class Kilosort4InstallDialog(QDialog):
    """Install Kilosort 4 into the app's environment: the steps, pip's output, Cancel, and how it ended."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Install Kilosort 4")
        self.resize(640, 420)
        self.succeeded = False
        build = kilosort4_env.torch_build(detect_gpus()).upper()
        self.intro = QLabel(
            f"Kilosort {kilosort4_env.KILOSORT_VERSION} and torch {kilosort4_env.TORCH_VERSION} ({build} build) "
            f"will be installed into {kilosort4_env.env_dir()}. No Docker and no MATLAB license are needed."
        )
        self.intro.setWordWrap(True)
        self.step = QLabel("Not started")
        self.step.setStyleSheet("font-weight: 600;")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(5000)
        self.output.setFont(QFont("monospace", 9))
        self.install_button = QPushButton("Install")
        self.install_button.clicked.connect(self.start)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.step, self.progress, self.output, self.buttons):
            layout.addWidget(widget)
        self._thread: QThread | None = None
        self._worker: _InstallWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def start(self) -> None:
        self.install_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cancel")
        self.output.clear()
        self._worker = _InstallWorker()
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._thread = start_on_thread(self._worker, self)

    @Slot(int, int, str, str)
    def _on_progress(self, step: int, steps: int, title: str, line: str) -> None:
        self.step.setText(f"{title} (step {step} of {steps})")
        self.progress.setValue(round(100 * (step - 1) / max(steps, 1)))
        if line:
            self.output.appendPlainText(line)

    @Slot(bool, bool, str)
    def _on_finished(self, succeeded: bool, cancelled: bool, message: str) -> None:
        self._end_thread()
        self.succeeded = succeeded
        self.progress.setValue(100 if succeeded else self.progress.value())
        self.step.setText("Installed" if succeeded else "Cancelled" if cancelled else "Failed")
        self.intro.setText(message)
        self.intro.setStyleSheet("" if succeeded else "color: #b00020;")
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Close")
        self.install_button.setText("Install again")
        self.install_button.setEnabled(not succeeded)

    def _end_thread(self) -> None:
        end_thread(self._thread)
        self._thread = None
        self._worker = None

    def reject(self) -> None:
        """Close, or (while installing) cancel: the dialog stays until pip has stopped."""
        if self._worker is not None:
            self.step.setText("Cancelling…")
            self._worker.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._worker is not None:
            self._worker.cancel()
            self._end_thread()
        super().closeEvent(event)
