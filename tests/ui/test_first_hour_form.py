"""The form as a new user meets it (issue 29): a channel count the probe file contradicts keeps Sort disabled with the
reason under the field, the sample rate takes typing at once and is remembered for the recording, and the mouse
wheel scrolls the form instead of changing its boxes."""

from __future__ import annotations

from pathlib import Path

import probeinterface
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from ks_gui.ui.main_window import MainWindow
from tests.conftest import GeneratedRecording, write_recording
from tests.ui.conftest import drop_path, type_into


def recording_with_probe_file(folder: Path) -> GeneratedRecording:
    """10 s x 32 channels, with a 32-channel .prb beside it (a 30-channel reading divides the file too)."""
    recording = write_recording(folder)
    probe = probeinterface.generate_linear_probe(num_elec=32, ypitch=20)
    probe.set_device_channel_indices(list(range(32)))
    group = probeinterface.ProbeGroup()
    group.add_probe(probe)
    probeinterface.write_prb(folder / "probe.prb", group)
    return recording


def test_a_channel_count_the_probe_file_contradicts_keeps_sort_disabled(qtbot, window: MainWindow, tmp_path):
    form = window.form
    form.choose("kilosort4", "local")
    drop_path(form.drop_zone, recording_with_probe_file(tmp_path / "rec").folder)
    assert form.channels.value() == 32  # from probe.prb
    type_into(qtbot, form.sample_rate, "30000")
    assert form.sort_button.isEnabled(), form.sort_reason.text()
    assert not form.recording_fields.reason.isVisible()

    type_into(qtbot, form.channels, "30")
    assert form.channels.value() == 30
    assert not form.sort_button.isEnabled()
    reason = form.recording_fields.reason
    assert reason.isVisible()
    assert reason.text() == (
        "The probe file beside the recording (probe.prb) places contacts on 32 channels, more than 30: set the "
        "channel count to 32, or move probe.prb away to sort without it"
    )
    assert form.channels.property("problem") is True  # the field itself is marked

    type_into(qtbot, form.channels, "32")
    assert form.sort_button.isEnabled() and not reason.isVisible()


def test_the_sample_rate_takes_typing_and_is_remembered_for_the_recording(qtbot, window: MainWindow, tmp_path):
    recording = write_recording(tmp_path / "rec")  # a raw binary: its files say neither count nor rate
    form = window.form
    drop_path(form.drop_zone, recording.folder)
    assert form.sample_rate.text() == "enter the sample rate"
    form.sample_rate.setFocus()  # clicked into, nothing selected: the digits go in as typed
    qtbot.keyClicks(form.sample_rate, "30000")
    assert form.sample_rate.value() == 30000.0
    form.sample_rate.lineEdit().end(False)  # the cursor after " Hz": a digit still lands in the number
    qtbot.keyClicks(form.sample_rate, ".5")
    assert form.sample_rate.text() == "30000.5 Hz"
    form.channels.setFocus()
    qtbot.keyClicks(form.channels, "32")
    assert form.channels.value() == 32
    window.close()

    again = MainWindow()  # the next day: the same recording comes back with what was typed for it
    qtbot.addWidget(again)
    drop_path(again.form.drop_zone, recording.folder)
    assert again.form.channels.value() == 32 and again.form.sample_rate.value() == 30000.5


def wheel_over(widget, steps: int = -1) -> None:
    """Turn the mouse wheel with the pointer over `widget` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_mouse_wheel_scrolls_the_form_and_never_changes_its_boxes(qtbot, window: MainWindow, tmp_path):
    form = window.form
    window.resize(1000, 500)  # short: the form scrolls
    drop_path(form.drop_zone, write_recording(tmp_path / "rec").folder)
    qtbot.waitUntil(lambda: form.scroll.verticalScrollBar().maximum() > 0)
    sorter, channels = form.sorter_choice.combo.currentText(), form.channels.value()
    bar = form.scroll.verticalScrollBar()
    before = bar.value()
    for box in (form.sorter_choice.combo, form.channels, form.sample_rate, form.gpu):
        wheel_over(box)
    assert form.sorter_choice.combo.currentText() == sorter and form.channels.value() == channels
    assert bar.value() > before  # the wheel scrolled the form instead

    form.channels.setFocus()  # clicked into: now the wheel is meant for it
    wheel_over(form.channels, steps=1)
    assert form.channels.value() == channels + 1
