"""The big target a recording is dropped on (or chosen with Browse…); once a recording is open, its card.

The card shows what detection found (format, binary, channels, sample rate, duration, size, probe), a stream picker
when the folder holds several probes or streams, what is odd about it, and a small picture of the probe.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.ground.readable import human_bytes
from ks_gui.ui import dialogs
from ks_gui.ui.icons import IconLabel
from ks_gui.ui.probe_picture import ProbePicture

if TYPE_CHECKING:  # core.recording loads with the first recording, not with the window (issue #8)
    from ks_gui.core.recordings.inspection import Inspection
    from ks_gui.core.recordings.recording import Recording

EMPTY_TEXT = "Drop a recording folder here, or"


def _top_aligned(widget: QWidget) -> QVBoxLayout:
    column = QVBoxLayout()
    column.addWidget(widget)
    column.addStretch(1)
    return column


def dropped_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The local file or folder being dragged, if any."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    return Path(urls[0].toLocalFile()) if urls and urls[0].isLocalFile() else None


class ElidedLabel(QLabel):
    """One line that gives up width: cut with "…" in the middle when the panel is narrower than it (a long binary's
    name), whole in its tooltip. It never widens the form (issue 15)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if self.fontMetrics().horizontalAdvance(self.text()) <= self.width():
            super().paintEvent(event)  # it fits (the first frame's "Drop a recording folder"): Qt's own painting
            return
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideMiddle, self.width())
        painter.drawText(
            self.rect(), int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), shown
        )


class DropZone(QFrame):
    """Signals:
    path_chosen(Path): a folder or file was dropped or browsed to.
    recording_chosen(Recording): another stream was picked in the card's stream picker.
    """

    path_chosen = Signal(Path)
    recording_chosen = Signal(object)
    sort_all_requested = Signal(list)

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
        self.inspection: Inspection | None = None
        icon = IconLabel("fa6s.folder-open", 32, color="#607080")
        self.title = ElidedLabel(EMPTY_TEXT)
        self.title.setStyleSheet("font-size: 15px;")
        self.details = QLabel("SpikeGLX, Open Ephys or a raw int16 .bin/.dat")
        self.details.setStyleSheet("color: palette(placeholder-text);")
        self.details.setWordWrap(True)  # long folder paths wrap instead of widening the window
        self.facts = QLabel()
        self.facts.setWordWrap(True)  # a long probe name wraps instead of widening the form
        self.facts.hide()
        self.stream_picker = QComboBox()
        self.stream_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.stream_picker.setMinimumContentsLength(12)
        self.stream_picker.setToolTip("The folder holds several probes or streams: pick the one to sort")
        self.stream_picker.currentIndexChanged.connect(self._stream_picked)
        self.stream_label = QLabel("Stream")
        stream_row = QHBoxLayout()
        stream_row.addWidget(self.stream_label)
        stream_row.addWidget(self.stream_picker, stretch=1)
        self.sort_all_button = QPushButton("Sort all probes")
        self.sort_all_button.setToolTip("Sort every probe of this run in turn, each into its own output folder")
        self.sort_all_button.clicked.connect(lambda: self.sort_all_requested.emit(list(self.neural_recordings)))
        stream_row.addWidget(self.sort_all_button)
        self._stream_row = QWidget()
        self._stream_row.setLayout(stream_row)
        stream_row.setContentsMargins(0, 0, 0, 0)
        self._stream_row.hide()
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #9a6700;")
        self.warnings.hide()
        self.probe_picture = ProbePicture()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)

        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.details)
        text.addWidget(self.facts)
        text.addWidget(self._stream_row)
        text.addWidget(self.warnings)
        row = QHBoxLayout(self)
        row.addLayout(_top_aligned(icon))
        row.addSpacing(8)
        row.addLayout(text, stretch=1)
        row.addWidget(self.probe_picture)
        buttons = QVBoxLayout()
        buttons.addWidget(self.browse_button)
        buttons.addStretch(1)
        row.addLayout(buttons)

    # --- what is shown ---------------------------------------------------------------------------------------------

    def show_recording(self, title: str, details: str) -> None:
        self.title.setText(title)
        self.details.setText(details)
        self.browse_button.setText("Change…")
        # The recording's facts can be selected and copied (set here, not at start: see ks_gui/ui/__init__.py).
        for label in (self.details, self.facts):
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_inspection(self, inspection: Inspection) -> None:
        """The card for what was found; the preselected stream is shown (and picked)."""
        self.inspection = inspection
        self.stream_picker.blockSignals(True)
        self.stream_picker.clear()
        for recording in inspection.recordings:
            self.stream_picker.addItem(recording.label, recording)
        self.stream_picker.setCurrentIndex(0)
        self.stream_picker.blockSignals(False)
        self.stream_label.setText("Binary" if inspection.choice_needed else "Stream")
        self._stream_row.setVisible(len(inspection.recordings) > 1)
        self.sort_all_button.setVisible(len(self.neural_recordings) > 1)
        self.show_card(inspection.preselected)

    @property
    def neural_recordings(self) -> tuple[Recording, ...]:
        """The probes' neural streams (not LFP, sync or analog inputs) of what was dropped."""
        if self.inspection is None:
            return ()
        return tuple(r for r in self.inspection.recordings if r.neural_rank == 0)

    def show_card(self, recording: Recording) -> None:
        self.show_recording(
            recording.binary.name,
            f"{recording.format_title} · {human_bytes(recording.size_bytes)} · in {recording.folder.name}",
        )
        self.details.setToolTip(str(recording.binary))
        self.facts.setText("\n".join(f"{label}: {value}" for label, value in recording.facts()[1:] if label != "Size"))
        self.facts.show()
        notes = list(recording.warnings)
        if self.inspection is not None:
            if self.inspection.choice_needed:
                notes.insert(0, "Several binaries in this folder: check that this is the one to sort.")
            notes += [f"Not usable: {p}" for p in self.inspection.problems]
        self.warnings.setText("\n".join(notes))
        self.warnings.setVisible(bool(notes))
        self.probe_picture.set_channel_map(recording.channel_map if recording.n_channels else None)

    def _stream_picked(self, index: int) -> None:
        from ks_gui.core.recordings.recording import Recording

        recording = self.stream_picker.itemData(index)
        if isinstance(recording, Recording):
            self.show_card(recording)
            self.recording_chosen.emit(recording)

    # --- choosing --------------------------------------------------------------------------------------------------

    def browse(self) -> None:
        folder = dialogs.choose_folder(self, "Choose a recording folder")
        if folder is not None:
            self.path_chosen.emit(folder)

    def _set_hovering(self, hovering: bool) -> None:
        self.setProperty("hovering", hovering)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if dropped_path(event) is not None:
            event.acceptProposedAction()
            self._set_hovering(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_hovering(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_hovering(False)
        path = dropped_path(event)
        if path is not None:
            event.acceptProposedAction()
            self.path_chosen.emit(path)


class WindowDrops(QObject):
    """Lets a recording be dropped anywhere on `window`, not only on the drop zone."""

    def __init__(self, window: QWidget, open_path: Callable[[Path], None]) -> None:
        super().__init__(window)
        self._open_path = open_path
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            event = cast(QDropEvent, event)  # a QDragEnterEvent or QDragMoveEvent, by its type
            if dropped_path(event) is not None:
                event.acceptProposedAction()
                return True
        elif event.type() == QEvent.Type.Drop:
            event = cast(QDropEvent, event)
            path = dropped_path(event)
            if path is not None:
                event.acceptProposedAction()
                self._open_path(path)
                return True
        return False
