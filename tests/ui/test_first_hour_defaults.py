"""Defaults that point at what can run (issue 29): a first start where the app's Kilosort 4 is installed starts on it;
a sort the check refuses says why in the form and leaves no "Not started" row in the queue; switching place clears
that red line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.places import kilosort4_env
from ks_gui.ui.main_window import MainWindow
from tests.conftest import write_recording
from tests.ui.conftest import drop_path, type_into


def installed_environment(folder: Path) -> Path:
    """What the window looks at to say Kilosort 4 is installed: the environment's python."""
    python = kilosort4_env.env_python(folder)
    python.parent.mkdir(parents=True)
    python.touch()
    return folder


def open_window(qtbot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.completed):
        window.show()
    return window


def test_a_first_start_with_kilosort4_installed_starts_on_it(qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(installed_environment(tmp_path / "env")))
    window = open_window(qtbot)
    form = window.form
    assert form.sorter_choice.combo.currentText() == "Kilosort 4"
    assert form.place_choice.place == "local"
    assert not form.license_box.isVisible() and not form.image.isVisible()
    assert form.place_choice.install_button.text() == "Reinstall…"  # nothing says it is broken


def test_without_it_the_first_start_is_kilosort25_in_docker(qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(tmp_path / "no-env"))
    window = open_window(qtbot)
    assert window.form.sorter_choice.combo.currentData() == "kilosort2.5"
    assert window.form.place_choice.place == "docker"


def test_a_refused_sort_leaves_no_row_in_the_queue_and_its_red_line_goes_with_the_place(
    qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(tmp_path / "no-env"))  # the check at Sort refuses
    window = open_window(qtbot)
    form = window.form
    form.choose("kilosort4", "local")
    drop_path(form.drop_zone, write_recording(tmp_path / "rec").folder)
    type_into(qtbot, form.channels, "32")
    type_into(qtbot, form.sample_rate, "30000")
    for _attempt in range(2):  # the second is refused as the first: still no row
        assert form.sort_button.isEnabled(), form.sort_reason.text()
        qtbot.mouseClick(form.sort_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.run_panel.stage.text() == "Not started" and not window.running, timeout=20_000)
        qtbot.waitUntil(form.form_message.isVisible)
        assert "Kilosort 4" in form.form_message.text()  # the red line under the drop zone says why
        assert window.sorts.queue_view.rows() == [] and not window.sorts.queue_view.isVisible()
    form.place_choice.choose("docker")
    assert not form.form_message.isVisible()


@pytest.mark.engine
def test_a_missing_image_disables_sort_and_names_the_local_kilosort4(
    qtbot, engine, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(installed_environment(tmp_path / "env")))
    window = open_window(qtbot)
    form = window.form
    form.choose("kilosort2.5", "docker")
    drop_path(form.drop_zone, write_recording(tmp_path / "rec").folder)
    type_into(qtbot, form.channels, "32")
    type_into(qtbot, form.sample_rate, "30000")
    type_into(qtbot, form.license_value, "27000@license.example.org")
    type_into(qtbot, form.image, "ks-gui/not-built:latest")
    form.output.setFocus()  # leaving the field: Docker is asked, in the background
    qtbot.waitUntil(lambda: not form.sort_button.isEnabled(), timeout=15_000)
    assert form.sort_reason.text() == (
        "The image ks-gui/not-built:latest is not on this machine: build it (Build image…), or sort with Kilosort 4 "
        "on 'This computer, no Docker' (installed already: no image, no MATLAB)"
    )
    assert form.image.property("problem") is True
    form.choose("kilosort4", "local")  # the hint followed: no image needed
    assert form.sort_button.isEnabled(), form.sort_reason.text()


def test_without_a_gpu_the_note_fits_the_sorter(qtbot, window: MainWindow):
    from ks_gui.core.places.gpus import GpuScan

    form = window.form
    form.gpu_picker.fill(GpuScan([], "no NVIDIA driver found (nvidia-smi is not installed): install the NVIDIA driver"))
    form.choose("kilosort4", "local")
    assert form.gpu_picker.note.text() == "No GPU: Kilosort 4 sorts on the CPU, more slowly."
    form.choose("kilosort2.5", "docker")
    assert form.gpu_picker.note.text().startswith("No GPU: no NVIDIA driver found")
    assert "Kilosort 2.5 needs an NVIDIA GPU" in form.gpu_picker.note.text()
