"""The setup panel never clips (issue 15, Found): with a Neuropixels 2.0 quad-base recording (NP2020, 1540 channels,
four shanks) open in a 1366x768 window, every field, the GPU line and the probe picture fit the panel's width: the
panel scrolls up and down, and nothing is cut off at its right edge."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from tests.helpers.layouts import RECORDINGS, spikeglx_run
from tests.ui.conftest import drop_path

NP2020_META = RECORDINGS / "NP2020_sample_g0_t0.imec0.ap.meta"


def clipped(form) -> list[str]:
    """The visible parts of the form whose right edge lies past the right edge of the scroll area's viewport."""
    viewport = form.scroll.viewport()
    right = viewport.width()
    found = []
    for widget in form.scroll.widget().findChildren(QWidget):
        if not widget.isVisibleTo(form) or widget.width() <= 0:
            continue
        edge = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
        if edge > right + 1:
            found.append(
                f"{type(widget).__name__} {widget.objectName() or widget.text() if hasattr(widget, 'text') else ''}"
                f" ends at {edge} > {right}"
            )
    return found


def test_a_quad_base_recording_fits_a_laptop_screen(qtbot, window, tmp_path):
    run = spikeglx_run(tmp_path, metas=(NP2020_META,), run="mouse_quad_base")
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    drop_path(window.form.drop_zone, run)
    qtbot.waitUntil(lambda: window.recording is not None)
    assert window.recording.n_channels == 1540
    window.form.advanced.setChecked(True)
    QApplication.processEvents()
    form = window.form
    assert form.scroll.widget().width() <= form.scroll.viewport().width()
    assert clipped(form) == []
    assert form.drop_zone.probe_picture.isVisible()
