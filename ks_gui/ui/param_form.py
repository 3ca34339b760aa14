"""The Advanced section: every parameter of the chosen sorter, empty for its default, with a tooltip that explains
it. Built from the sorter's declarative parameter table, like the CLI's --param. The section starts collapsed, so its
fields (some fifty) are made when they are first shown or asked for, not with the window."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from ks_gui.core.sorters import Sorter
from ks_gui.core.sorters.params import Param, parse_assignment


def _tooltip(param: Param) -> str:
    bounds = []
    if param.minimum is not None:
        bounds.append(f"at least {param.minimum:g}")
    if param.maximum is not None:
        bounds.append(f"at most {param.maximum:g}")
    limits = f" ({', '.join(bounds)})" if bounds else ""
    return f"{param.help}.\nA {param.kind.value}{limits}; default {json.dumps(param.default)}."


class ParamForm(QWidget):
    """Signals: changed() when any value is edited."""

    changed = Signal()

    def __init__(self, sorter: Sorter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._sorter = sorter
        self._fields: dict[str, QLineEdit] | None = None  # made by `fields`, when first needed

    @property
    def fields(self) -> dict[str, QLineEdit]:
        """The sorter's parameters by name, one field each."""
        if self._fields is None:
            self._fields = self._make_fields()
        return self._fields

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.fields  # noqa: B018 (made now, if not yet)
        super().showEvent(event)

    def set_sorter(self, sorter: Sorter) -> None:
        """Empty fields for `sorter`'s parameters (what was typed is cleared)."""
        self._sorter = sorter
        if self._fields is not None:
            while self._layout.rowCount():
                self._layout.removeRow(0)
            self._fields = self._make_fields()

    def _make_fields(self) -> dict[str, QLineEdit]:
        fields = {}
        for name, param in self._sorter.params.items():
            if param.detected:  # channels and sample rate have their own fields above
                continue
            field = QLineEdit()
            field.setPlaceholderText(json.dumps(param.default))
            field.setToolTip(_tooltip(param))
            field.textChanged.connect(self.changed)
            fields[name] = field
            self._layout.addRow(name, field)
        return fields

    def overrides(self) -> dict:
        """The values the user typed; raises ParamError (message for the user) for one that is not valid."""
        values = {}
        for name, field in (self._fields or {}).items():  # no fields yet: nothing was typed
            text = field.text().strip()
            if text:
                key, value = parse_assignment(f"{name}={text}", self._sorter.params)
                values[key] = value
        return values

    def set_values(self, values: dict) -> None:
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].setText(json.dumps(value))
