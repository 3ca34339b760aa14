"""Dropping real recording layouts on the window: the card shows what detection found."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.helpers.layouts import NP1_META, oebin_streams, openephys_recording, spikeglx_run
from tests.ui.conftest import drop_path, type_into


def test_dropping_a_spikeglx_run_shows_its_card(qtbot, window, tmp_path):
    run = spikeglx_run(tmp_path)
    drop_path(window.form.drop_zone, run)
    card = window.form.drop_zone
    assert card.title.text() == "mouse42_g0_t0.imec0.ap.bin"
    assert card.details.text() == "SpikeGLX · 121.6 MB · in mouse42_g0_imec0"
    assert card.details.toolTip() == str(run / "mouse42_g0_imec0" / "mouse42_g0_t0.imec0.ap.bin")
    assert card.facts.text().splitlines() == [
        "Channels: 385 (384 connected)",
        "Sample rate: 30000 Hz",
        "Duration: 5.3 s (157,955 samples)",
        "Probe: PRB_1_4_0480_1 (Neuropixels 1.0 probe)",
    ]
    assert window.form.channels.value() == 385 and window.form.sample_rate.value() == 30000.0  # never typed by hand
    assert window.recording.stream == "imec0.ap"
    assert card.stream_picker.isVisible()
    assert [card.stream_picker.itemText(i) for i in range(card.stream_picker.count())] == [
        "imec0.ap (385 ch, 30 kHz)",
        "imec1.ap (385 ch, 30 kHz)",
    ]
    assert card.probe_picture.isVisible()
    assert card.probe_picture.toolTip() == "PRB_1_4_0480_1: 384 connected channels, 3820 µm from first to last"
    assert not card.warnings.isVisible()
    assert window.form.output.text() == str(run / "mouse42_g0_imec0_kilosort")


def test_picking_the_other_probe(qtbot, window, tmp_path):
    drop_path(window.form.drop_zone, spikeglx_run(tmp_path))
    window.form.drop_zone.stream_picker.setCurrentIndex(1)
    assert window.recording.stream == "imec1.ap" and window.recording.probe == "NP2010"
    assert window.form.drop_zone.title.text() == "mouse42_g0_t0.imec1.ap.bin"
    assert "Probe: NP2010 (4-shank probe)" in window.form.drop_zone.facts.text()
    assert "on 4 shanks" in window.form.drop_zone.probe_picture.toolTip()


def test_a_single_probe_has_no_picker_and_a_drop_anywhere_on_the_window_works(qtbot, window, tmp_path):
    run = spikeglx_run(tmp_path, metas=(NP1_META,))
    drop_path(window.run_panel.progress, run)  # not the drop zone: the progress bar, far below it
    assert window.form.drop_zone.title.text() == "mouse42_g0_t0.imec0.ap.bin"
    assert not window.form.drop_zone.stream_picker.isVisible()


def test_open_ephys_without_probe_info_warns_on_the_card(qtbot, window, tmp_path):
    openephys_recording(
        tmp_path / "Record Node 101" / "experiment1" / "recording1", oebin_streams()[:1], settings=False
    )
    drop_path(window.form.drop_zone, tmp_path)
    assert window.form.drop_zone.details.text().startswith("Open Ephys · 23.0 MB")
    assert window.form.drop_zone.warnings.isVisible()
    assert "a linear channel map is used" in window.form.drop_zone.warnings.text()
    assert window.form.channels.value() == 384


@pytest.mark.engine
def test_sort_all_probes_from_the_window(qtbot, window, tmp_path, sim_image):
    """A run folder with two probes: Sort all probes sorts both in turn, each into its own folder."""
    from tests.e2e.test_sort_spikeglx import N_SAMPLES, small_np1_meta

    run = tmp_path / "mouse7_g0"
    for probe in ("imec0", "imec1"):
        folder = run / f"mouse7_g0_{probe}"
        folder.mkdir(parents=True)
        (folder / f"mouse7_g0_t0.{probe}.ap.meta").write_text(small_np1_meta(N_SAMPLES))
        np.zeros((N_SAMPLES, 385), dtype=np.int16).tofile(folder / f"mouse7_g0_t0.{probe}.ap.bin")
    drop_path(window.form.drop_zone, run)
    type_into(qtbot, window.form.license_value, "27000@license.example.org")
    type_into(qtbot, window.form.image, "ks-gui-sim:latest")
    window.form.gpu.setCurrentIndex(window.form.gpu.findData("none"))
    assert window.form.drop_zone.sort_all_button.isVisible()
    qtbot.mouseClick(window.form.drop_zone.sort_all_button, Qt.MouseButton.LeftButton)
    sorted_root = tmp_path / "mouse7_g0_kilosort"
    record = sorted_root / "mouse7_g0_imec1" / ".ks-gui" / "run.json"  # "running" from the start, then its end
    qtbot.waitUntil(lambda: record.exists() and '"outcome": "running"' not in record.read_text(), timeout=120_000)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert (sorted_root / "mouse7_g0_imec0" / "params.py").is_file()
    assert (sorted_root / "mouse7_g0_imec1" / "params.py").is_file()
    message = window.run_panel.message.text()
    assert message.startswith("Sorted: ") and "mouse7_g0_imec1" in message
