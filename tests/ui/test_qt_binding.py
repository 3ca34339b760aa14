"""The installed Qt binding keeps Python's reference counts right where the app leans on it hardest: a sort's worker
emits a signal for every batch of log lines. PySide6 6.12.0 did not (each emit() dropped a reference to True, and
the app died in bool_dealloc after enough output, or at exit); pyproject.toml excludes it."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    value = Signal(object)


def test_emitting_signals_leaves_true_false_and_none_alone(qtbot):
    emitter = _Emitter()
    received = []
    emitter.value.connect(received.append)
    counts = [sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)]
    for _ in range(1000):
        emitter.plain.emit()
        emitter.value.emit(None)
    del received[:]
    assert [sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)] == counts
