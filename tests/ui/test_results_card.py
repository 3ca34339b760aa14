"""The results card: counts, Open folder, Open in phy (real phy, real failures), the install offer and progress."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.results.phy import PhyInstaller
from ks_gui.ui import phy_install_dialog, results_card
from ks_gui.ui.phy_install_dialog import PhyInstallDialog
from ks_gui.ui.results_card import ResultsCard
from tests.conftest import running_xvfb
from tests.phy.conftest import write_kilosort_folder
from tests.ui.test_main_window import SORT_TIMEOUT_MS, fill_form, type_into


@pytest.fixture
def card(qtbot) -> ResultsCard:
    card = ResultsCard()
    qtbot.addWidget(card)
    return card


@pytest.fixture
def no_phy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("KS_GUI_PHY", raising=False)


@pytest.fixture
def offers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The install offer is a modal question: the user's answer is "Cancel"; what was asked is recorded."""
    asked: list[str] = []
    monkeypatch.setattr(phy_install_dialog, "offer_phy", lambda _parent, reason: asked.append(reason))
    return asked


@pytest.mark.engine
def test_the_card_appears_after_a_sort(qtbot, window, recording, tmp_path, sim_image):
    output = tmp_path / "sorted"
    fill_form(qtbot, window, recording, output, "27000@license.example.org")
    assert not window.run_panel.results_card.isVisible()
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)
    assert window.run_panel.results_card.isVisible(), window.run_panel.message.text()
    assert window.run_panel.results_card.counts.text() == "16 units · 11 good · 736 spikes"
    assert window.run_panel.results_card.location.text() == str(output)
    assert window.run_panel.results_card.open_phy_button.isEnabled()
    # the finished sort's pictures, as `ks-gui sort` leaves them
    qtbot.waitUntil(lambda: (output / ".ks-gui" / "units.png").exists(), timeout=10_000)
    assert (output / ".ks-gui" / "drift_map.png").stat().st_size > 1000


@pytest.mark.engine
def test_a_failed_sort_shows_no_card(qtbot, window, recording, tmp_path, sim_image):
    fill_form(qtbot, window, recording, tmp_path / "out", "27000@license.example.org")
    window.form.advanced.setChecked(True)  # the Environment field is in Advanced
    type_into(qtbot, window.form.environment, "KS_GUI_SIM_FAIL=too_few_spikes")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)
    assert window.run_panel.stage.text() == "Failed"
    assert not window.run_panel.results_card.isVisible()


def test_counts_from_the_files_and_open_folder(qtbot, card, tmp_path, monkeypatch):
    folder = write_kilosort_folder(tmp_path / "out")
    opened: list[Path] = []
    # No file manager exists on a test machine: the one call that would start it is recorded instead.
    monkeypatch.setattr(results_card, "open_in_file_manager", lambda path: opened.append(path) or True)
    card.show_results(folder)
    assert card.counts.text() == "5 units · 3 good · 200 spikes"
    qtbot.mouseClick(card.open_folder_button, Qt.MouseButton.LeftButton)
    assert opened == [folder]


def test_open_in_phy_without_phy_offers_to_install(qtbot, card, tmp_path, no_phy, offers):
    card.show_results(write_kilosort_folder(tmp_path / "out"))
    qtbot.mouseClick(card.open_phy_button, Qt.MouseButton.LeftButton)
    assert offers == ["phy is not installed."]
    assert card.status.text() == (
        "phy is not installed. Install it into ks-gui's own environment (about 750 MB): ks-gui install phy"
    )


def test_open_in_phy_on_a_folder_without_spike_times(qtbot, card, tmp_path, no_phy, offers):
    folder = write_kilosort_folder(tmp_path / "out")
    (folder / "spike_times.npy").unlink()
    card.show_results(folder)
    qtbot.mouseClick(card.open_phy_button, Qt.MouseButton.LeftButton)
    assert card.status.text() == f"{folder} is not a finished Kilosort output folder: spike_times.npy missing"
    assert offers == []


def test_phy_that_finds_no_screen_says_so(qtbot, card, tmp_path, monkeypatch):
    """The real phy, started with no display: its own failure text becomes a message and a hint."""
    from tests.phy.conftest import PHY_ENV

    monkeypatch.setenv("KS_GUI_PHY", str(PHY_ENV / "bin" / "phy"))
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")  # for phy; our own QApplication already runs offscreen
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    card.show_results(write_kilosort_folder(tmp_path / "out"))
    qtbot.mouseClick(card.open_phy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no screen" in card.status.text(), timeout=20_000)
    assert card.status.text().startswith("phy found no screen to open on. Start it from a desktop session")


@pytest.mark.engine
def test_open_in_phy_opens_the_real_phy(qtbot, window, recording, tmp_path, sim_image, monkeypatch):
    from tests.phy.conftest import PHY_ENV

    output = tmp_path / "sorted"
    fill_form(qtbot, window, recording, output, "27000@license.example.org")
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)
    with running_xvfb("1920x1200x24") as display:
        for name, value in {
            "KS_GUI_PHY": str(PHY_ENV / "bin" / "phy"),
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "HOME": str(tmp_path / "home"),
        }.items():
            monkeypatch.setenv(name, value)
        card = window.run_panel.results_card
        with qtbot.waitSignal(card.phy_started, timeout=30_000) as started:
            qtbot.mouseClick(card.open_phy_button, Qt.MouseButton.LeftButton)
        pid = started.args[0]
        try:
            assert card.status.text().startswith("phy is open."), card.status.text()
            tree = subprocess.run(
                ["xwininfo", "-root", "-tree"], env={**os.environ}, capture_output=True, text=True
            ).stdout
            assert f'"TemplateGUI - {output}"' in tree
        finally:
            os.kill(pid, signal.SIGTERM)
        assert card.processes[0].wait(timeout=20) == -signal.SIGTERM


def test_cancelling_the_install_from_the_window(qtbot, tmp_path):
    """The real venv + pip, cancelled with the dialog's button once pip is collecting phy."""
    dialog = PhyInstallDialog(installer=PhyInstaller(tmp_path / "phy-env"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: "Collecting phy" in dialog.lines.toPlainText(), timeout=60_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30_000)
    assert dialog.outcome.cancelled
    assert dialog.status.text() == "Installing phy was cancelled."
    assert dialog.cancel_button.text() == "Close"
    assert not (tmp_path / "phy-env").exists()
