"""Run a short blocking call (a Docker query) off the GUI thread and hand its result back on the GUI thread."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Result(QObject):
    ready = Signal(object)


class _Call(QRunnable):
    def __init__(self, function: Callable[[], Any], result: _Result) -> None:
        super().__init__()
        self._function = function
        self._result = result

    def run(self) -> None:
        try:
            value = self._function()
        except Exception as err:  # handed to the receiver, which says what went wrong
            value = err
        with contextlib.suppress(RuntimeError):  # its owner is gone (the window closed first): nobody waits for it
            self._result.ready.emit(value)


def run_in_background(function: Callable[[], Any], receiver: Callable[[object], None], owner: QObject) -> None:
    """Call `function` on a pool thread; `receiver` (a method of a GUI-thread object) gets its value or exception."""
    result = _Result(owner)
    result.ready.connect(receiver)
    result.ready.connect(result.deleteLater)
    QThreadPool.globalInstance().start(_Call(function, result))
