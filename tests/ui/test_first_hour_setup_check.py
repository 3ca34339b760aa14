"""Check setup for Kilosort 4 on this computer (issue 29): only what such a sort needs is listed and counted (no
Docker, no image, no MATLAB keyring), a missing GPU is no fault, and How to fix is not cut off."""

from __future__ import annotations

import pytest

from ks_gui.core.places import kilosort4_env
from ks_gui.ui.setup_view import SetupView
from tests.helpers.kilosort4_environment import test_environment


def rows(view: SetupView) -> list[list[str]]:
    return [[view.table.topLevelItem(i).text(c) for c in range(4)] for i in range(view.table.topLevelItemCount())]


def test_the_local_kilosort4_check_lists_what_it_needs(qtbot, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(test_environment()))
    view = SetupView(place="local")
    qtbot.addWidget(view)
    assert view.windowTitle() == "Check setup: Kilosort 4 on this computer"
    found = rows(view)
    assert [row[1] for row in found] == ["Kilosort 4 environment", "GPUs", "Free disk", "phy", "Display libraries"]
    assert found[0][0] == "ok" and found[0][2].startswith("Kilosort 4.")
    assert found[1][0] == "optional" and "Kilosort 4 sorts on the CPU" in found[1][2]  # no GPU here: not a fault
    assert found[3][0] in ("ok", "optional")  # phy is for curating, not for sorting
    failing = sum(row[0] == "to fix" for row in found)
    assert view.summary.text() == (
        "Everything a sort needs is ready." if not failing else f"{failing} of 5 items need attention."
    )


def test_a_missing_environment_is_the_one_item_to_fix(qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(tmp_path / "none"))
    view = SetupView(place="local")
    qtbot.addWidget(view)
    view.show()
    first = rows(view)[0]
    assert first[:3] == ["to fix", "Kilosort 4 environment", "Kilosort 4 is not installed"]
    assert first[3].startswith("install it from the window or with `ks-gui install kilosort4`")
    header = view.table.header()
    assert header.sectionPosition(3) + 200 <= view.table.viewport().width()  # How to fix has room on screen
