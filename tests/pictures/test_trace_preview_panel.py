"""The trace preview in the main window, as a user meets it: open a recording and its traces appear below its card
(no button to find); type its channel count and the picture follows (a planted unit on its own rows; a wrong count
gives stripes); seek, change the window's length, fold it away; at 1366x768 the Sort button stays in sight."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from ks_gui.core.recordings.preview import stripe_score
from ks_gui.ui.pictures import MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP
from tests.helpers.layouts import NP1_META, spikeglx_run
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, UNITS, write_recording
from tests.ui.conftest import drop_path, window  # noqa: F401 (the window fixture)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    return write_recording(tmp_path_factory.mktemp("planted") / "rec", duration_s=3.0)


def _open(qtbot, window, folder: Path) -> None:  # noqa: F811
    drop_path(window.form.drop_zone, folder)
    qtbot.waitUntil(lambda: window.recording is not None and window.form.trace_panel is not None)


def _typed(qtbot, window, channels: int) -> None:  # noqa: F811
    """The user types the channel count and sample rate a raw binary does not say; the picture follows."""
    panel = window.form.trace_panel
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        window.form.channels.setValue(channels)
        window.form.sample_rate.setValue(SAMPLE_RATE)


def _reddest_or_bluest_row(image: QImage, x: int, n_rows: int) -> int:
    """The picture's row (0 = top) whose colour is furthest from white near pixel column `x`."""
    top, height = MARGIN_TOP, image.height() - MARGIN_TOP - MARGIN_BOTTOM
    best, found = -1, 0
    for px in range(x - 2, x + 3):
        for py in range(top + 1, top + height - 1):
            colour = image.pixelColor(px, py)
            strength = abs(colour.red() - colour.blue())
            if strength > best:
                best, found = strength, py
    return int((found - top) / height * n_rows)


def test_opening_a_recording_shows_its_traces_with_the_planted_unit_on_its_rows(qtbot, window, planted):  # noqa: F811
    unit, times = UNITS[1], planted.spike_times[1]
    _open(qtbot, window, planted.binary.parent)
    panel = window.form.trace_panel
    assert panel.isVisible()
    assert "channel count" in panel.picture.text()  # a raw binary: nothing to read until the count is known

    _typed(qtbot, window, N_CHANNELS)
    assert not panel.picture.pixmap().isNull() and panel.preview.image.shape == (N_CHANNELS, 3000)
    assert panel.position.text().startswith("0.00 to 0.10 s of 3.0 s")

    spike_s = float(times[len(times) // 2]) / SAMPLE_RATE  # seek to a window holding one of unit 1's spikes
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.seek.setValue(round((spike_s - 0.05) / (3.0 - 0.1) * 1000))
    preview = panel.preview
    assert preview.start_s < spike_s < preview.start_s + preview.duration_s
    image = panel.picture.pixmap().toImage()
    width = image.width() - MARGIN_LEFT - MARGIN_RIGHT
    x = MARGIN_LEFT + round((spike_s - preview.start_s) / preview.duration_s * width)
    row = _reddest_or_bluest_row(image, x, N_CHANNELS)
    channel = int(preview.channels[::-1][row])  # the deepest channel at the top, as on the probe
    assert abs(channel - unit.channel) <= 2, (channel, unit.channel)


def test_a_wrong_channel_count_typed_gives_stripes(qtbot, window, planted):  # noqa: F811
    _open(qtbot, window, planted.binary.parent)
    panel = window.form.trace_panel
    panel.length.setCurrentIndex(panel.length.findData(0.5))
    _typed(qtbot, window, N_CHANNELS)
    right = stripe_score(panel.preview)
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        window.form.channels.setValue(N_CHANNELS - 1)
    wrong = stripe_score(panel.preview)

    assert panel.preview.image.shape[0] == N_CHANNELS - 1 and "31 channels" in panel.note.text()
    assert wrong > max(3 * right, 0.02), (wrong, right)


def test_a_neuropixels_recording_at_a_laptop_size(qtbot, window, tmp_path: Path):  # noqa: F811
    """385 channels with the sync channel left out; 0.1 s by default, up to 1 s; folding keeps Sort in sight."""
    run = spikeglx_run(tmp_path, metas=(NP1_META,))
    binary = next(run.rglob("*.ap.bin"))
    noise = np.random.default_rng(0).normal(0, 20, (30_000, 385)).astype(np.int16)
    with binary.open("r+b") as handle:
        handle.write(noise.tobytes())
    window.resize(1366, 768)
    qtbot.waitExposed(window)
    _open(qtbot, window, run)
    panel = window.form.trace_panel
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=10_000)

    assert panel.preview.image.shape == (384, 3000)  # the sync channel is not a row
    assert panel.shown_after_s is not None and panel.shown_after_s < 3  # the bench measures it for real
    assert [panel.length.itemData(i) for i in range(panel.length.count())] == [0.1, 0.25, 0.5, 1.0]
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.length.setCurrentIndex(3)
    assert panel.preview.image.shape == (384, 30_000)
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.mode.setCurrentIndex(panel.mode.findData("raw"))
    assert panel.preview.mode == "raw"

    sort_button = window.form.sort_button
    bottom = sort_button.mapTo(window, QPoint(0, sort_button.height())).y()
    assert sort_button.isVisible() and bottom <= window.height()
    picture_height = panel.height()
    qtbot.mouseClick(panel.toggle, Qt.MouseButton.LeftButton)  # fold it away
    assert not panel.picture.isVisible()
    qtbot.waitUntil(lambda: panel.height() < picture_height / 3)  # one line: the form below moves up
    qtbot.mouseClick(panel.toggle, Qt.MouseButton.LeftButton)
    assert panel.picture.isVisible()


def test_the_larger_window(qtbot, window, planted):  # noqa: F811
    _open(qtbot, window, planted.binary.parent)
    _typed(qtbot, window, N_CHANNELS)
    qtbot.mouseClick(window.form.trace_panel.larger_button, Qt.MouseButton.LeftButton)
    dialog = window.form.trace_panel.larger
    qtbot.waitUntil(lambda: not dialog.picture.pixmap().isNull(), timeout=10_000)

    assert dialog.picture.pixmap().width() >= 640
    dialog.seek.setValue(500)  # the middle of the recording
    qtbot.waitUntil(lambda: dialog.position.text().startswith("1.4"), timeout=10_000)
    dialog.close()


def test_the_next_recording_shows_its_own_traces_and_a_vanished_file_says_so(qtbot, window, planted, tmp_path):  # noqa: F811
    run = spikeglx_run(tmp_path, metas=(NP1_META,))
    _open(qtbot, window, planted.binary.parent)
    panel = window.form.trace_panel
    window.form.channels.setValue(N_CHANNELS)
    window.form.sample_rate.setValue(SAMPLE_RATE)
    panel.refresh()  # a read of the first recording in flight…
    window.open_recording(run)  # …when the next one is opened
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview.image.shape[0] == 384, timeout=10_000)
    qtbot.wait(200)
    assert panel.preview.image.shape == (384, 3000) and "385 channels" in panel.note.text()

    next(run.rglob("*.ap.bin")).unlink()  # the network share went away
    panel.mode.setCurrentIndex(panel.mode.findData("raw"))
    qtbot.waitUntil(lambda: panel.picture.text().startswith("The traces cannot be read this way"), timeout=10_000)
