"""The Install Kilosort 4 dialog, for real: it creates the environment, shows pip's output, and Cancel stops pip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.places import kilosort4_env
from ks_gui.ui.kilosort4_install import Kilosort4InstallDialog


def test_install_shows_progress_and_cancel_stops_it(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "kilosort4-env"
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(folder))
    monkeypatch.setenv(kilosort4_env.TORCH_INDEX_VARIABLE, "")  # pip's own sources here (no PyTorch index)
    dialog = Kilosort4InstallDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert str(folder) in dialog.intro.text()

    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Installing torch" in dialog.step.text(), timeout=120_000)
    assert (folder / "bin" / "python").exists()  # step 1 made the environment
    qtbot.waitUntil(lambda: dialog.output.toPlainText().strip() != "", timeout=120_000)
    dialog.reject()  # the Cancel button while installing
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)

    assert dialog.step.text() == "Cancelled"
    assert not dialog.succeeded
    assert dialog.install_button.isEnabled() and dialog.install_button.text() == "Install again"
    assert "install again" in dialog.intro.text().lower()
