"""The GUI thread never waits on a socket: with a Docker engine that accepts connections and never answers, the
window and its Docker dialogs stay responsive (issue 27: three connect() calls ran on the GUI thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ks_gui.ui.image_dialog import ImageDialog
from ks_gui.ui.storage_dialog import StorageDialog


@pytest.fixture
def hung_engine(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A Unix socket that accepts every connection and never says a word; closed (so the callers end) at teardown."""
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    yield path
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _ticks_while(qtbot, seconds: float) -> int:
    """How many 50 ms timer ticks the GUI thread delivers in `seconds` (about 20 a second when it is free)."""
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    qtbot.wait(int(seconds * 1000))
    timer.stop()
    return len(ticks)


def test_the_image_dialog_opens_at_once_and_stays_responsive(qtbot, hung_engine: Path) -> None:
    started = time.monotonic()
    dialog = ImageDialog("ks-gui-hung:test", context=hung_engine.parent, base_image=None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert time.monotonic() - started < 2  # connect(timeout=60) ran on the GUI thread: a minute of frozen window
    assert dialog.space.text() == "Checking the free space for the image…"
    assert not dialog.build_button.isEnabled()  # Build waits for the free space

    dialog.clear_button.click()
    assert dialog.status.text() == "Clearing the compiled files…"
    assert _ticks_while(qtbot, 1.0) >= 10


def test_storage_opens_at_once_from_the_window_and_stays_responsive(qtbot, hung_engine: Path, window) -> None:
    """The window itself started with the hung engine too (its reattach and GPU scan are off the GUI thread)."""
    seen: dict[str, object] = {}

    def look_then_close() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, StorageDialog):
            seen.update(note=dialog.note.text(), loaded=dialog.loaded, ticks=_ticks_while(qtbot, 1.0))
            dialog.reject()

    QTimer.singleShot(300, look_then_close)
    started = time.monotonic()
    window.open_storage()  # exec(): returns when the dialog is closed
    assert time.monotonic() - started < 5  # the connect (timeout 10 s) no longer runs before the dialog shows
    assert seen["note"] == "Looking for Docker…" and seen["loaded"] is False
    assert isinstance(seen["ticks"], int) and seen["ticks"] >= 10
