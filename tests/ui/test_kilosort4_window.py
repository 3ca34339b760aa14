"""The window sorts with local Kilosort 4, as a user would: pick the sorter (the License row goes), drop a recording,
press Sort, wait for Done. A real sort on the CPU, on a recording with planted units."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.places import kilosort4_env
from ks_gui.ui.main_window import MainWindow
from tests.e2e.test_kilosort4_sort import check_phy_folder
from tests.helpers.kilosort4_environment import test_environment
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, write_recording

pytestmark = pytest.mark.timeout(600)


def test_window_sorts_with_local_kilosort4(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(test_environment()))
    planted = write_recording(tmp_path / "rec", duration_s=30.0, seed=11)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()

    # A first start where the app's Kilosort 4 is installed starts on it (issue 29), not on MATLAB's Kilosort 2.5.
    place = window.form.place_choice
    assert window.form.sorter_choice.combo.currentText() == "Kilosort 4" and place.place == "local"
    assert not window.form.license_box.isVisible()
    window.form.sorter_choice.combo.setCurrentIndex(window.form.sorter_choice.combo.findData("kilosort2.5"))
    assert window.form.license_box.isVisible()
    window.form.sorter_choice.combo.setCurrentIndex(window.form.sorter_choice.combo.findText("Kilosort 4"))
    assert not window.form.license_box.isVisible()
    place.combo.setCurrentIndex(place.combo.findData("local"))
    assert not window.form.image.isVisible()
    assert place.install_button.isVisible()
    assert place.install_button.text() == "Reinstall…"  # installed, and nothing says it is broken

    window.open_recording(planted.binary.parent)
    window.form.channels.setValue(N_CHANNELS)
    window.form.sample_rate.setValue(SAMPLE_RATE)
    window.form.output.setText(str(tmp_path / "sorted"))
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    # Kilosort 4's own stages tick by (issue 29), and the status line follows them, not "Checking planted.bin…".
    stages = window.run_panel.stage_list
    assert stages.row("start").text().endswith("Start Kilosort 4") and stages.row("compile").isHidden()
    qtbot.waitUntil(lambda: "planted.bin: Drift correction" in window.statusBar().currentMessage(), timeout=300_000)
    qtbot.waitUntil(lambda: not window.running, timeout=540_000)

    assert window.run_panel.stage.text() == "Done", window.run_panel.message.text()
    assert window.run_panel.message.text().startswith("Sorted:")
    assert window.run_panel.progress.value() == 1000
    check_phy_folder(tmp_path / "sorted", planted)
