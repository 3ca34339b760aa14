"""Finding phy (settings, $KS_GUI_PHY, the app's own environment, PATH), "phy not found", and the installer."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from ks_gui.core.results.phy import (
    INSTALLED_MARKER,
    InstallOutcome,
    InstallProgress,
    PhyInstaller,
    PhyNotFoundError,
    find_phy,
    phy_env_dir,
)
from tests.conftest import run_cli
from tests.phy.conftest import write_kilosort_folder


@pytest.fixture
def bare_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PATH with no phy on it, and no $KS_GUI_PHY."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("KS_GUI_PHY", raising=False)
    return empty


def make_program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_phy_not_found_says_how_to_install_it(bare_path: Path):
    with pytest.raises(PhyNotFoundError) as caught:
        find_phy()
    assert caught.value.message == "phy is not installed."
    assert "ks-gui install phy" in caught.value.hint


def test_cli_phy_not_found(bare_path: Path, tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    done = run_cli("phy", str(folder), env={**os.environ, "PATH": str(bare_path)})
    assert done.returncode == 1
    assert done.stderr.splitlines()[-2:] == [
        "ks-gui: phy is not installed.",
        "ks-gui: Install it into ks-gui's own environment (about 750 MB): ks-gui install phy",
    ]


def test_the_order_settings_variable_own_environment_path(bare_path: Path, tmp_path: Path, monkeypatch):
    on_path = make_program(bare_path / "phy")
    assert find_phy().path == on_path and find_phy().source == "PATH"

    own = make_program(phy_env_dir() / "bin" / "phy")
    assert find_phy().source == "PATH"  # a half-done install (no marker) is never used
    (phy_env_dir() / INSTALLED_MARKER).write_text("phy\n")
    assert find_phy().path == own and find_phy().source == "app environment"

    from_variable = make_program(tmp_path / "variable" / "bin" / "phy")
    monkeypatch.setenv("KS_GUI_PHY", str(from_variable.parent.parent))  # an environment's folder works too
    assert find_phy().path == from_variable and find_phy().source == "environment variable"

    configured = make_program(tmp_path / "configured" / "phy")
    assert find_phy(configured).path == configured and find_phy(configured).source == "settings"


def test_a_named_phy_that_is_missing_is_an_error_not_skipped(bare_path: Path, tmp_path: Path, monkeypatch):
    make_program(bare_path / "phy")
    monkeypatch.setenv("KS_GUI_PHY", str(tmp_path / "nowhere" / "phy"))
    with pytest.raises(PhyNotFoundError) as caught:
        find_phy()
    assert caught.value.message == f"phy was not found at {tmp_path / 'nowhere' / 'phy'} (from $KS_GUI_PHY)."


def test_install_with_a_python_that_cannot_run_fails_and_leaves_nothing(tmp_path: Path):
    installer = PhyInstaller(tmp_path / "phy-env", python=str(tmp_path / "no-python"))
    events = list(installer.events())
    outcome = events[-1]
    assert isinstance(outcome, InstallOutcome) and not outcome.succeeded and not outcome.cancelled
    assert outcome.message.startswith(f"Installing phy failed: cannot run {tmp_path / 'no-python'}")
    assert not (tmp_path / "phy-env").exists()
    assert installer.log_file.is_file()


def test_cancelling_the_install_stops_pip_and_removes_the_environment(tmp_path: Path):
    """The real `python -m venv` and pip, cancelled once pip has begun collecting phy."""
    target = tmp_path / "phy-env"
    installer = PhyInstaller(target)
    seen: list[str] = []
    outcome = None
    for event in installer.events():
        if isinstance(event, InstallProgress):
            seen.append(event.text)
            if event.text.startswith("Collecting phy"):
                threading.Thread(target=installer.cancel).start()
        else:
            outcome = event
    assert any(text.startswith("Collecting phy") for text in seen), seen
    assert outcome is not None and outcome.cancelled and not outcome.succeeded
    assert outcome.message == "Installing phy was cancelled."
    assert not target.exists()
    assert "Successfully installed" not in installer.log_file.read_text()
