"""The form's Recording section: the channel count and the sample rate, filled from the recording's metadata (or, for
a raw binary that has none, from what the user typed for it before), each with the reason beside it when it keeps the
sort from starting (a count the probe file contradicts, say)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QGroupBox, QLabel, QSpinBox

from ks_gui.ui.form_parts import form_layout

if TYPE_CHECKING:
    from ks_gui.core.job import Problem
    from ks_gui.core.recordings.recording import Recording
    from ks_gui.core.settings import Settings

FIELDS = ("n_channels", "sample_rate")  # the Problem fields this section shows the reason for


def _typed_over_placeholder(box: QAbstractSpinBox, event: QKeyEvent, at_minimum: bool, suffix: str) -> None:
    """Before a typed character reaches a spin box: over its "enter the …" text, start from empty; past its suffix
    (" Hz"), move back in front of it. Qt's own spin box ignores both keystrokes (issue 29)."""
    line = box.lineEdit()
    if not event.text() or not event.text().isprintable() or line.hasSelectedText():
        return
    if at_minimum and box.specialValueText():
        line.setText(suffix)
        line.setCursorPosition(0)
    elif line.cursorPosition() > len(line.text()) - len(suffix):
        line.setCursorPosition(len(line.text()) - len(suffix))


class ChannelsBox(QSpinBox):
    """The channel count: typing works at once, also over "enter the channel count"."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        _typed_over_placeholder(self, event, self.value() == self.minimum(), self.suffix())
        super().keyPressEvent(event)


class RateBox(QDoubleSpinBox):
    """The sample rate in Hz: typing works at once, also over "enter the sample rate" and with the cursor after "Hz"."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        _typed_over_placeholder(self, event, self.value() == self.minimum(), self.suffix())
        super().keyPressEvent(event)


class RecordingFields(QGroupBox):
    def __init__(self) -> None:
        super().__init__("Recording")
        self.channels = ChannelsBox()
        self.channels.setRange(0, 4096)
        self.channels.setSpecialValueText("enter the channel count")
        self.sample_rate = RateBox()
        self.sample_rate.setRange(0, 200_000)
        self.sample_rate.setDecimals(1)
        self.sample_rate.setSuffix(" Hz")
        self.sample_rate.setSpecialValueText("enter the sample rate")
        self.reason = QLabel()  # why the values above keep Sort disabled, right under them
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b00020;")
        self.reason.hide()
        form = form_layout(self)
        form.addRow("Channels", self.channels)
        form.addRow("Sample rate", self.sample_rate)
        form.addRow(self.reason)

    def fill(self, recording: Recording, settings: Settings) -> None:
        """The recording's own facts; for those its files do not hold, what was typed for it last time."""
        typed = settings.recording_facts.get(str(recording.binary), [])
        channels = recording.n_channels or (int(typed[0]) if len(typed) > 0 and typed[0] else 0)
        rate = recording.sample_rate or (float(typed[1]) if len(typed) > 1 and typed[1] else 0.0)
        if channels:
            self.channels.setValue(channels)
        if rate:
            self.sample_rate.setValue(rate)

    def remember(self, recording: Recording, settings: Settings) -> None:
        """Keep what was typed for a recording whose files do not say it (a raw binary), for the next time."""
        if recording.n_channels and recording.sample_rate:
            return
        typed = [self.channels.value(), self.sample_rate.value()]
        if any(typed):
            settings.recording_facts[str(recording.binary)] = typed

    def show_reason(self, problem: Problem | None) -> None:
        """The problem's sentence under the fields, when it is about one of them."""
        shown = problem is not None and problem.field in FIELDS
        text = problem.message if problem is not None and shown else ""
        self.reason.setText(text[:1].upper() + text[1:])
        self.reason.setVisible(shown)
