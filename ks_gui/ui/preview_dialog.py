"""A recording's traces as Kilosort will read them, before sorting: channels by depth against time, raw or filtered,
a seek bar over the whole recording. A wrong channel count shows at once as diagonal stripes. Each window is read and
filtered off the GUI thread (core/recordings/preview.py reads only the samples shown)."""

from __future__ import annotations

import dataclasses

from PySide6 import QtCore
from PySide6.QtCore import Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ks_gui.core.recordings.recording import Recording
from ks_gui.ui.threads import run_in_background

LENGTHS_S = (0.1, 0.25, 0.5, 1.0)
STEPS = 1000  # positions of the seek bar over the whole recording


class PreviewDialog(QDialog):
    def __init__(self, recording: Recording, n_channels: int, sample_rate: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.recording = dataclasses.replace(recording, n_channels=n_channels, sample_rate=sample_rate)
        self.duration_s = recording.size_bytes / (2 * n_channels * sample_rate) if n_channels and sample_rate else 0
        self.setWindowTitle(f"Traces: {recording.binary.name}")
        self.picture = QLabel("Reading…")
        self.picture.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(640, 360)
        self.mode = QComboBox()
        self.mode.addItem("Filtered (300 Hz highpass)", "filtered")
        self.mode.addItem("Raw", "raw")
        self.length = QComboBox()
        for seconds in LENGTHS_S:
            self.length.addItem(f"{seconds:g} s", seconds)
        self.seek = QSlider(QtCore.Qt.Orientation.Horizontal)
        self.seek.setRange(0, STEPS)
        self.position = QLabel()
        self.note = QLabel(
            f"Read as {n_channels} channels at {sample_rate:g} Hz. Diagonal stripes mean the channel count is wrong."
        )
        self.note.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.mode)
        controls.addWidget(self.length)
        controls.addWidget(self.seek, stretch=1)
        controls.addWidget(self.position)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, stretch=1)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        self._reading = False
        self._again = False
        for signal in (self.mode.currentIndexChanged, self.length.currentIndexChanged, self.seek.valueChanged):
            signal.connect(self.refresh)
        self.resize(1000, 620)
        self.refresh()

    @property
    def start_s(self) -> float:
        return self.seek.value() / STEPS * max(0.0, self.duration_s - self.length.currentData())

    @Slot()
    def refresh(self) -> None:
        """Read the window now shown (one read at a time; the last request wins)."""
        if self._reading:
            self._again = True
            return
        self._reading = True
        start, seconds, mode = self.start_s, self.length.currentData(), self.mode.currentData()
        self.position.setText(f"{start:.2f} s of {self.duration_s:.1f} s")
        run_in_background(lambda: _read(self.recording, start, seconds, mode), self._shown, self)

    @Slot(object)
    def _shown(self, preview: object) -> None:
        self._reading = False
        if isinstance(preview, Exception):
            self.picture.setText(f"The recording cannot be read: {preview}")
        else:
            from ks_gui.ui.pictures import preview_image

            size = (max(self.picture.width(), 640), max(self.picture.height(), 360))
            image = preview_image(preview, size, ratio=self.picture.devicePixelRatioF())  # sharp on a scaled screen
            self.picture.setPixmap(QPixmap.fromImage(image))
        if self._again:
            self._again = False
            self.refresh()


def _read(recording: Recording, start_s: float, seconds: float, mode: str):
    from ks_gui.core.recordings.preview import read_window

    return read_window(recording, start_s, seconds, mode)  # type: ignore[arg-type]
