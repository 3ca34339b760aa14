"""A field a problem names, marked: a red frame (the form's style sheet draws it from a property) and the problem
as its tooltip, the tooltip it had before given back once the problem is gone."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtWidgets import QWidget

MARKED = "problem"  # the property the style sheet reads
MARK_STYLE = f'*[{MARKED}="true"] {{ border: 2px solid #b00020; border-radius: 3px; }}'


def set_marked(widget: QWidget, marked: bool, message: str) -> None:
    if bool(widget.property(MARKED)) == marked and widget.toolTip() == message:
        return
    if marked and widget.property("tooltip_before_problem") is None:
        widget.setProperty("tooltip_before_problem", widget.toolTip())
    widget.setProperty(MARKED, marked)
    # A plain container (the license box) draws a style sheet's frame only with a styled background.
    widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_StyledBackground, True)
    widget.setToolTip(message if marked else widget.property("tooltip_before_problem") or "")
    if not marked:
        widget.setProperty("tooltip_before_problem", None)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
