"""An output folder that already holds a sort's results: a new sort goes to the next free folder beside it, or,
after a click and a yes, replaces those results (never those of a sort in the queue)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QPushButton

from ks_gui.core.ground.contract import holds_earlier_sort
from ks_gui.ui import dialogs


def next_free_folder(folder: Path) -> Path:
    """`folder`, or folder_2, folder_3…: a new output folder never lands on an earlier result."""
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}_{n}")
    return candidate


class ReplaceButton(QPushButton):
    """ "Replace its results…", shown while the output folder holds an ended sort's results. Signals: confirmed()
    once the user said yes for the folder now named (`confirmed_folder`)."""

    confirmed = Signal()

    def __init__(self, output_text: Callable[[], str], outputs_in_use: Callable[[], set[Path]]) -> None:
        super().__init__("Replace its results…")
        self._output_text = output_text
        self._outputs_in_use = outputs_in_use
        self.confirmed_folder: Path | None = None  # the output folder whose earlier results the user gave up
        self.setToolTip("Sort into this folder again; the earlier results there are deleted first")
        self.clicked.connect(self.confirm)
        self.hide()

    def _output(self) -> Path:
        return Path(self._output_text().strip()).expanduser().absolute()

    def output_holds_earlier_sort(self) -> bool:
        """Whether the output folder holds an ended sort's results (one a queued sort writes is not replaceable)."""
        output = self._output()
        return bool(self._output_text().strip()) and holds_earlier_sort(output) and output not in self._outputs_in_use()

    @Slot()
    def confirm(self) -> None:
        output = self._output()
        question = (
            f"{output} holds the results of an earlier sort. Sorting into it again deletes them when the sort starts "
            "(the recording is not touched). Replace them?"
        )
        if dialogs.confirm(self, "Replace the earlier results?", question):
            self.confirmed_folder = output
            self.confirmed.emit()
