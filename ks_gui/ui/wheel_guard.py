"""The mouse wheel scrolls the form; it changes a choice (a combo box, a spin box) only once the user clicked into it.
Qt's own boxes take the wheel whenever the pointer passes over them, so scrolling a long form switched the sorter
unnoticed (issue 29)."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """An event filter: a wheel turned over an unfocused box scrolls the area the box lies in instead."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QApplication.sendEvent(area.viewport(), event)
        return True


def guard_wheel(root: QWidget, guard: WheelGuard) -> None:
    """Every combo box and spin box below `root`: the wheel changes it only while it has the focus, and a wheel
    never gives it the focus. Called after the first frame (it touches the Qt namespace: ks_gui/ui/__init__.py)."""
    for box in root.findChildren(QWidget):
        if isinstance(box, GUARDED):
            box.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
            box.installEventFilter(guard)
