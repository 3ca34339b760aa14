"""File → Open results… on a folder that is not a sort's output (issue 29): one plain sentence, no empty units
window."""

from __future__ import annotations

import pytest

from ks_gui.ui import dialogs
from tests.conftest import write_recording


def test_open_results_on_a_recordings_folder_says_so_and_opens_nothing(
    qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    from ks_gui.ui.main_window import MainWindow
    from ks_gui.ui.results_dialog import ResultsDialog

    recording = write_recording(tmp_path / "rec")
    told: list[str] = []
    monkeypatch.setattr(dialogs, "choose_folder", lambda *args: recording.folder)
    monkeypatch.setattr(dialogs, "tell", lambda parent, title, text: told.append(f"{title}: {text}"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.browse_results()
    assert told == [
        f"Not a sort's output folder: {recording.folder} holds a recording (recording.bin), not a sort's results: "
        "choose the output folder a sort wrote (by default the recording folder's name with _kilosort), or sort the "
        "recording first."
    ]
    assert not window.findChildren(ResultsDialog)
