"""The trace preview below a recording's card: a short window of the traces as Kilosort will read them (channel map
applied, rows by depth, raw or filtered), a seek bar over the whole recording, the window's length. It reads the file
with the channel count and sample rate the form holds, so a wrong count typed there shows at once as diagonal
stripes. Read off the GUI thread, on a thread of its own (core/recordings/preview.py reads only the samples shown);
only the drawing is on the GUI thread. Folds away to one line, so the form below it stays in sight on a small screen.

Made when the first recording opens, not with the window (its pictures module imports numpy)."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSize, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ks_gui.ui.threads import run_in_background

if TYPE_CHECKING:
    from ks_gui.core.recordings.preview import Preview
    from ks_gui.core.recordings.recording import Recording

STEPS = 1000  # positions of the seek bar over the whole recording
LENGTHS_S = (0.1, 0.25, 0.5, 1.0)  # the range: 0.1 s by default, up to 1 s
PICTURE_HEIGHT = 230  # logical pixels: the sorter's choices stay in sight below it at 1366 x 768
LARGER_PICTURE_HEIGHT = 520
SEEK_DELAY_MS = 60  # while the seek bar is dragged, read at most this often
TYPING_DELAY_MS = 250  # a channel count typed digit by digit is read once, when the typing pauses


class _Picture(QLabel):
    """The preview's picture, drawn again at its new size when the panel is resized."""

    resized = Signal()

    def __init__(self, height: int) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedHeight(height)
        self.setMinimumWidth(200)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the form
        self.setStyleSheet("color: palette(placeholder-text);")
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(400, self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.resized.emit()


class TracePreviewPanel(QWidget):
    """`shown` is emitted each time a picture is on screen (tests and the bench wait for it). `larger`: the panel of
    the Larger… window (a taller picture that does not fold)."""

    shown = Signal()

    def __init__(
        self, channels: QSpinBox, sample_rate: QDoubleSpinBox, parent: QWidget | None = None, larger: bool = False
    ) -> None:
        super().__init__(parent)
        self.channels, self.sample_rate = channels, sample_rate
        self.recording: Recording | None = None
        self.preview: Preview | None = None
        self.duration_s = 0.0
        self.shown_after_s: float | None = None  # from set_recording to the first picture: tests, the bench
        self._asked_at = 0.0
        self._reading = False
        self._again = False
        self._generation = 0  # which recording a read was for: a read of the one before is not shown
        self._pool = QThreadPool(self)  # one thread of its own: never behind Docker or GPU queries in Qt's pool
        self._pool.setMaxThreadCount(1)

        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setText("Traces")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setStyleSheet("font-weight: 600;")
        self.toggle.setToolTip("Show or hide the traces as Kilosort will read them")
        self.toggle.toggled.connect(self._folded)
        self.note = QLabel()
        self.note.setStyleSheet("color: palette(placeholder-text);")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.larger_button = QPushButton("Larger…")
        self.larger_button.setToolTip("The same traces in a window of their own")
        self.larger_button.clicked.connect(self.open_larger)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addWidget(self.note, stretch=1)
        header.addWidget(self.larger_button)
        self.toggle.setVisible(not larger)
        self.larger_button.setVisible(not larger)

        self.picture = _Picture(LARGER_PICTURE_HEIGHT if larger else PICTURE_HEIGHT)
        self.picture.resized.connect(self._draw)
        self.mode = QComboBox()
        self.mode.addItem("Filtered", "filtered")
        self.mode.addItem("Raw", "raw")
        self.mode.setToolTip(
            "Filtered: 300 Hz highpass, as Kilosort sorts. Raw: each channel's mean removed. Both with the median "
            "over channels subtracted, as Kilosort does."
        )
        self.length = QComboBox()
        for seconds in LENGTHS_S:
            self.length.addItem(f"{seconds:g} s", seconds)
        self.length.setToolTip("How long a window of the recording is shown")
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, STEPS)
        self.seek.setToolTip("Where in the recording the traces are from")
        self.position = QLabel()
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.seek, stretch=1)
        controls.addWidget(self.position)
        controls.addWidget(self.length)
        controls.addWidget(self.mode)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(4)
        body.addWidget(self.picture)
        body.addLayout(controls)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.body)

        self._seek_delay = QTimer(self, singleShot=True, interval=SEEK_DELAY_MS)
        self._seek_delay.timeout.connect(self.refresh)
        self._typing_delay = QTimer(self, singleShot=True, interval=TYPING_DELAY_MS)
        self._typing_delay.timeout.connect(self.refresh)
        self.seek.valueChanged.connect(self._seek_delay.start)
        self.mode.currentIndexChanged.connect(self.refresh)
        self.length.currentIndexChanged.connect(self.refresh)
        channels.valueChanged.connect(self._typing_delay.start)
        sample_rate.valueChanged.connect(self._typing_delay.start)

    # --- what is read ------------------------------------------------------------------------------------------

    def set_recording(self, recording: Recording) -> None:
        """Show `recording` from its start (the form's channel count and sample rate already hold its own)."""
        self.recording = recording
        self._generation += 1
        self.preview = None
        self.shown_after_s = None
        self._asked_at = time.monotonic()
        self.seek.blockSignals(True)
        self.seek.setValue(0)
        self.seek.blockSignals(False)
        self.picture.setPixmap(QPixmap())
        self.refresh()

    def reading(self) -> Recording | None:
        """The recording as the form says to read it (what the user typed), or None when it cannot be read yet."""
        channels, rate = self.channels.value(), self.sample_rate.value()
        if self.recording is None or not channels or not rate:
            return None
        return dataclasses.replace(self.recording, n_channels=channels, sample_rate=rate)

    @property
    def start_s(self) -> float:
        return self.seek.value() / STEPS * max(0.0, self.duration_s - float(self.length.currentData()))

    @Slot()
    def refresh(self) -> None:
        """Read the window the controls say (one read at a time; the newest request wins). Folded: nothing."""
        self._typing_delay.stop()
        recording = self.reading()
        if recording is None:
            self.picture.setPixmap(QPixmap())
            self.picture.setText("Enter the channel count and sample rate to see the traces.")
            self.note.setText("")
            self.position.setText("")
            return
        if not self.toggle.isChecked():
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self.duration_s = recording.duration_s or 0.0
        start, seconds, mode = self.start_s, float(self.length.currentData()), str(self.mode.currentData())
        self.note.setText(f"read as {recording.n_channels} channels at {recording.sample_rate:g} Hz")
        self.note.setToolTip(
            "Diagonal stripes across the channels mean the channel count is wrong; change it in Recording below."
        )
        generation = self._generation
        run_in_background(lambda: _read(generation, recording, start, seconds, mode), self._read_done, self, self._pool)

    @Slot(object)
    def _read_done(self, read: object) -> None:
        self._reading = False
        generation, preview = read if isinstance(read, tuple) else (self._generation, read)  # a bug: said, too
        if generation == self._generation:  # not a read of a recording opened before this one
            self._show(preview)
        if self._again:  # the controls moved while reading: read what they say now
            self._again = False
            self.refresh()

    def _show(self, preview: object) -> None:
        if isinstance(preview, Exception):
            self.preview = None
            self.picture.setPixmap(QPixmap())
            self.picture.setText(f"The traces cannot be read this way: {preview}")
            return
        self.preview = cast("Preview", preview)  # a window read, when not an exception
        end = self.preview.start_s + self.preview.duration_s
        self.position.setText(f"{self.preview.start_s:.2f} to {end:.2f} s of {self.duration_s:.1f} s")
        self._draw()
        if self.shown_after_s is None:
            self.shown_after_s = time.monotonic() - self._asked_at
        self.shown.emit()

    @Slot()
    def _draw(self) -> None:
        """The kept window drawn at the picture's size now (sharp on a scaled screen)."""
        if self.preview is None or self.picture.width() < 100:
            return
        from ks_gui.ui.pictures import preview_image

        ratio = self.picture.devicePixelRatioF()
        size = (self.picture.width(), self.picture.height())
        self.picture.setPixmap(QPixmap.fromImage(preview_image(self.preview, size, ratio=ratio)))

    # --- folding, and the larger window ------------------------------------------------------------------------

    @Slot(bool)
    def _folded(self, open_: bool) -> None:
        self.body.setVisible(open_)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        if open_ and self.preview is None:
            self.refresh()

    @Slot()
    def open_larger(self) -> None:
        """The same traces in a window of their own, from where this panel is; it follows the form's channel count
        and sample rate too."""
        if self.reading() is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Traces: {self.recording.binary.name}")  # type: ignore[union-attr]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        panel = TracePreviewPanel(self.channels, self.sample_rate, dialog, larger=True)
        panel.length.setCurrentIndex(self.length.currentIndex())
        panel.mode.setCurrentIndex(self.mode.currentIndex())
        QVBoxLayout(dialog).addWidget(panel)
        dialog.resize(1000, LARGER_PICTURE_HEIGHT + 80)
        dialog.show()
        panel.set_recording(self.recording)  # type: ignore[arg-type]
        panel.seek.setValue(self.seek.value())
        self.larger = panel  # the open one, for tests


def _read(generation: int, recording: Recording, start_s: float, seconds: float, mode: str) -> tuple[int, object]:
    """(generation, the window read or why it could not be)."""
    from ks_gui.core.recordings.preview import read_window

    try:
        return generation, read_window(recording, start_s, seconds, mode)  # type: ignore[arg-type]
    except (OSError, ValueError) as err:
        return generation, err
