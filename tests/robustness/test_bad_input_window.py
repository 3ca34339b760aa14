"""Bad input in the window (issue 9, item 6; the CLI's catalogue is in test_bad_input_catalogue.py): a clear message,
Sort stays disabled with its reason, nothing starts, no traceback."""

from __future__ import annotations

from ks_gui.core.settings import Settings, settings_file
from ks_gui.ui.main_window import MainWindow
from tests.ui.conftest import drop_path


def test_a_corrupt_settings_file_opens_the_window_with_defaults_and_says_so(qtbot):
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text('{"sorter": "kilosort2.5", "gpu": ')  # cut off mid-write by a crash
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.statusBar().currentMessage().startswith(f"Your settings file {settings_file()} could not be read")
    assert window.settings == Settings()
    assert not window.form.sort_button.isEnabled()


def test_a_file_dropped_where_a_recording_folder_belongs(qtbot, window, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("session notes")
    drop_path(window.form.drop_zone, notes)
    assert window.form.form_message.isVisible() and "notes.txt is not a recording" in window.form.form_message.text()
    assert not window.form.sort_button.isEnabled() and window.form.sort_reason.text() == "Drop a recording folder first"
    assert not window.running
