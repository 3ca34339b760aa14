from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from ks_gui.ui.main_window import MainWindow
from ks_gui.ui.run_panel import RunPanel


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.completed):  # History, shortcuts, the GPU scan: after the first frame
        window.show()
    yield window
    # A test that failed mid-sort: stop its sorts before the window closes (closing would ask, and no one answers).
    for panel in window.findChildren(RunPanel):
        if panel.running:
            panel.stop()


class OnGuiThread(QObject):
    """Calls `function` with each value `signal` carries, on the GUI thread. A lambda connected to a worker's signal
    runs on the worker's thread, where reading widgets races with the GUI; this receiver lives on the GUI thread,
    so Qt queues the calls to it. Keep a reference while it is needed."""

    def __init__(self, signal, function) -> None:
        super().__init__()
        self._function = function
        signal.connect(self.receive)

    @Slot(object)
    def receive(self, value) -> None:
        self._function(value)


def drop_path(target: QWidget, path: Path) -> None:
    """Drag `path` from a file manager and drop it on `target`, as Qt delivers it."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    point = QPointF(target.rect().center())
    enter = QDragEnterEvent(
        point.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the drop zone refused the drag"
    drop = QDropEvent(point, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)


def type_into(qtbot, widget: QWidget, text: str) -> None:
    """Select what the field holds and type over it (as a user can: only into a field that is on screen)."""
    assert widget.isVisible(), "a user cannot type into a hidden field: open its section first"
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)
