"""Adding a GPU server in the window and sorting on it, as a user does: the real sshd on loopback, the real engine
behind it, the stand-in image, real widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ks_gui.core.doors.servers import remembered_servers
from ks_gui.core.results import history
from ks_gui.ui.server_dialog import ServerDialog
from tests.conftest import write_recording
from tests.helpers.loopback_sshd import REFUSED, LoopbackSshd
from tests.server.conftest import SERVER_URL
from tests.ui.conftest import type_into, window  # noqa: F401 (the window fixture)
from tests.ui.test_main_window import SORT_TIMEOUT_MS, fill_form

pytestmark = [pytest.mark.engine, pytest.mark.sshd]


def _add(qtbot, address: str) -> ServerDialog:
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(qtbot, dialog.address, address)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.add_button.isEnabled(), timeout=30_000)
    return dialog


def test_a_refused_key_is_said_in_the_dialog_and_nothing_is_remembered(qtbot, sshd: LoopbackSshd):
    sshd.drop_connections()  # the test hosts are one server: no shared connection may let this one in
    dialog = _add(qtbot, f"ssh://{REFUSED}")
    assert "refused the login" in dialog.status.text() and not dialog.added
    assert remembered_servers() == {}


def test_add_a_server_then_sort_on_it_from_the_window(qtbot, window, sim_image, shared: Path, sshd):  # noqa: F811
    dialog = _add(qtbot, SERVER_URL)
    assert dialog.added == SERVER_URL and "Docker" in dialog.status.text()
    window.form.offer_places(dialog.added)
    assert window.form.place_choice.place == SERVER_URL
    assert window.form.place_choice.combo.currentText() == "ks-gui-test-server (server)"

    recording = write_recording(shared / "rec", seconds=2.0)
    output = shared / "sorted"
    fill_form(qtbot, window, recording, output, "27000@license.example.org")
    qtbot.waitUntil(lambda: window.form.sort_button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=SORT_TIMEOUT_MS)

    assert window.run_panel.message.text().startswith("Sorted: "), window.run_panel.message.text()
    assert (output / "spike_times.npy").stat().st_uid == sshd.uid  # the server's account owns the results
    (record,) = history.load_all()
    assert record.place == SERVER_URL and record.status == "succeeded"
    window.show_history()
    window.history_view.reload()
    assert window.history_view.table.item(0, 5).text() == "ks-gui-test-server (server)"  # History says where it ran


def test_check_setup_checks_the_server_the_form_sorts_on(qtbot, sim_image):
    from ks_gui.ui.setup_view import SetupView

    view = SetupView(place=SERVER_URL)
    qtbot.addWidget(view)
    rows = {
        view.table.topLevelItem(i).text(1): view.table.topLevelItem(i) for i in range(view.table.topLevelItemCount())
    }
    assert view.windowTitle() == "Check setup: ks-gui-test-server"
    assert rows["SSH and Docker"].text(0) == "ok" and "logged in to ks-gui-test-server" in rows["SSH and Docker"].text(
        2
    )
    assert {"NVIDIA container runtime", "GPUs", "Free disk", "Path map"} <= set(rows)


def test_a_bad_path_map_line_is_said_in_the_dialog_and_nothing_is_asked(qtbot):
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(qtbot, dialog.address, SERVER_URL)
    dialog.path_map.setPlainText("/mnt/lab=/data/lab\ndata=/srv/data")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text().startswith("Path map: 'data=/srv/data'")
    assert dialog.add_button.isEnabled() and not dialog.added  # nothing was started
    assert SERVER_URL not in remembered_servers()
