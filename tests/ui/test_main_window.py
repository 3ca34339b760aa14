"""The window, driven as a user drives it: drop, type, click; assertions on what is visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.results import history
from ks_gui.ui import dialogs
from tests.conftest import SIM_IMAGE, GeneratedRecording
from tests.ui.conftest import drop_path, type_into

SORT_TIMEOUT_MS = 90_000


def fill_form(qtbot, window, recording: GeneratedRecording, output: Path, license: str) -> None:
    drop_path(window.form.drop_zone, recording.folder)
    type_into(qtbot, window.form.channels, str(recording.n_channels))
    type_into(qtbot, window.form.sample_rate, str(int(recording.sample_rate)))
    type_into(qtbot, window.form.output, str(output))
    type_into(qtbot, window.form.license_value, license)
    type_into(qtbot, window.form.image, SIM_IMAGE)
    window.form.gpu.setCurrentIndex(window.form.gpu.findData("none"))


def test_dropping_a_folder_shows_the_recording(qtbot, window, recording):
    drop_path(window.form.drop_zone, recording.folder)
    assert window.form.drop_zone.title.text() == "recording.bin"
    assert "Raw int16 binary · 19.2 MB" in window.form.drop_zone.details.text()
    assert window.form.output.text() == str(recording.folder.parent / "rec_kilosort")
    assert window.form.drop_zone.browse_button.text() == "Change…"


def test_dropping_a_folder_without_a_recording(qtbot, window, tmp_path):
    (tmp_path / "empty").mkdir()
    drop_path(window.form.drop_zone, tmp_path / "empty")
    assert window.form.form_message.isVisible()
    assert window.form.form_message.text() == f"no .bin or .dat recording in {tmp_path / 'empty'}"
    assert window.form.drop_zone.title.text().startswith("Drop a recording folder here")


def test_sort_waits_for_a_recording_and_says_why(qtbot, window):
    assert not window.form.sort_button.isEnabled()
    assert window.form.sort_reason.text() == "Drop a recording folder first"
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    assert not window.running


def test_a_malformed_license_keeps_sort_disabled(qtbot, window, recording, tmp_path):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000-licenses")
    qtbot.waitUntil(lambda: "is not PORT@HOST" in window.form.sort_reason.text(), timeout=5_000)
    assert not window.form.sort_button.isEnabled()
    type_into(qtbot, window.form.license_value, "27000@license.example.org")
    qtbot.waitUntil(window.form.sort_button.isEnabled, timeout=5_000)
    assert window.form.sort_reason.text() == ""
    assert not (tmp_path / "out").exists()


def test_a_channel_count_that_does_not_fit_the_file(qtbot, window, recording, tmp_path):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    type_into(qtbot, window.form.channels, "7")
    qtbot.waitUntil(lambda: "not a whole number of 7-channel" in window.form.sort_reason.text(), timeout=5_000)
    assert not window.form.sort_button.isEnabled()


def test_a_bad_advanced_parameter_is_named(qtbot, window, recording, tmp_path):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    window.form.advanced.setChecked(True)
    field = window.form.param_form.fields["NT"]
    qtbot.waitUntil(field.isVisible, timeout=5_000)  # the section's fields are made as it opens
    assert field.placeholderText() == "65472" and "multiple of 1024" in field.toolTip()
    type_into(qtbot, field, "65000")
    qtbot.waitUntil(lambda: "NT" in window.form.sort_reason.text(), timeout=5_000)
    assert not window.form.sort_button.isEnabled()


@pytest.mark.engine
def test_problems_found_by_the_check_are_listed(qtbot, window, recording, tmp_path, sim_image):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    type_into(qtbot, window.form.image, "ks-gui/not-built:latest")
    qtbot.waitUntil(window.form.sort_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.run_panel.stage.text() == "Not started", timeout=10_000)
    assert "ks-gui/not-built:latest is not on this machine" in window.run_panel.message.text()
    # Now the form knows the image is missing: Sort stays disabled, and the reason names the local Kilosort 4.
    qtbot.waitUntil(lambda: "not on this machine" in window.form.sort_reason.text(), timeout=10_000)
    assert not window.form.sort_button.isEnabled() and "Kilosort 4" in window.form.sort_reason.text()
    assert not (tmp_path / "out").exists()


@pytest.mark.engine
def test_sort_from_the_window(qtbot, window, recording, tmp_path, sim_image, monkeypatch):
    before = recording.digest()
    output = tmp_path / "sorted"
    fill_form(qtbot, window, recording, output, "27000@license.example.org")
    window.form.advanced.setChecked(True)  # the Environment field is in Advanced
    type_into(qtbot, window.form.environment, "KS_GUI_SIM_PACE=0.01")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    assert not window.form.sort_button.isEnabled() and window.run_panel.cancel_button.isEnabled()

    stages_seen: set[str] = set()
    window.run_panel.worker.progress.connect(lambda event: stages_seen.add(event.stage))
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)

    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    assert window.run_panel.stage.text() == "Done"
    assert window.run_panel.progress.value() == window.run_panel.progress.maximum()
    assert "Saving results to Phy" in window.run_panel.log.toPlainText()
    saved = tmp_path / "for-the-bug-report.log"
    monkeypatch.setattr(dialogs, "choose_save_path", lambda parent, title, suggested: saved)
    qtbot.mouseClick(window.run_panel.save_log_button, Qt.MouseButton.LeftButton)
    assert "[ks-gui] stage done" in saved.read_text()  # the full log, markers included
    assert {"compile", "preprocess", "drift", "learn", "extract", "merge_split", "export"} <= stages_seen
    assert (output / "params.py").is_file() and (output / ".ks-gui" / "run.json").is_file()
    assert recording.digest() == before
    # The same output folder now holds a result, which is never overwritten: Sort says so until it is changed...
    assert not window.run_panel.cancel_button.isEnabled() and not window.form.sort_button.isEnabled()
    assert "already holds a sort" in window.form.sort_reason.text()
    # ...or until the user says, in so many words, to replace it.
    first_log = json.loads((output / ".ks-gui" / "run.json").read_text())["log_file"]
    assert window.form.replace_button.isVisible()
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: False)
    qtbot.mouseClick(window.form.replace_button, Qt.MouseButton.LeftButton)
    assert not window.form.sort_button.isEnabled()
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: "deletes them" in text)
    qtbot.mouseClick(window.form.replace_button, Qt.MouseButton.LeftButton)
    assert window.form.sort_button.isEnabled() and not window.form.replace_button.isVisible()
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)
    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    assert json.loads((output / ".ks-gui" / "run.json").read_text())["log_file"] != first_log
    assert [record.status for record in history.load_all()] == ["succeeded", "succeeded"]


@pytest.mark.engine
def test_cancel_from_the_window(qtbot, window, recording, tmp_path, sim_image):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    window.form.advanced.setChecked(True)  # the Environment field is in Advanced
    type_into(qtbot, window.form.environment, "KS_GUI_SIM_PACE=0.3")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Running" in window.run_panel.message.text(), timeout=20_000)
    qtbot.mouseClick(window.run_panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.run_panel.stage.text() == "Cancelled"
    assert window.run_panel.message.text().startswith("Cancelled.")


@pytest.mark.engine
def test_mathworks_account_sign_in_asks_for_the_password(qtbot, window, recording, tmp_path, sim_image, monkeypatch):
    asked: list[str] = []

    def ask_secret(parent, title, label):
        asked.append(label)
        return "ks-gui-test-password"  # the stand-in's documented test password

    monkeypatch.setattr(dialogs, "ask_secret", ask_secret)
    fill_form(qtbot, window, recording, tmp_path / "out", "ada@example.org")
    window.form.license_mode.setCurrentIndex(window.form.license_mode.findData("account"))
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)

    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    assert len(asked) == 1 and "password" in asked[0]  # the email came from the form
    log = window.run_panel.log.toPlainText()
    assert "ks-gui-test-password" not in log
    provenance = (tmp_path / "out" / ".ks-gui" / "run.json").read_text()
    assert "ks-gui-test-password" not in provenance
    assert "ks-gui-test-password" not in Path(json.loads(provenance)["log_file"]).read_text()


def test_advanced_shows_what_the_chosen_sorter_uses(qtbot, window):
    window.form.advanced.setChecked(True)
    assert (
        window.form.forward_compat.isVisible() and window.form.mounts.isVisible()
    )  # Kilosort 2.5: MATLAB's CUDA, a container
    window.form.sorter_choice.choose("kilosort4")
    assert not window.form.forward_compat.isVisible() and window.form.mounts.isVisible()
    window.form.place_choice.choose("local")
    assert not window.form.forward_compat.isVisible() and not window.form.mounts.isVisible()
    assert window.form.environment.isVisible()  # passed to the local environment's python too
