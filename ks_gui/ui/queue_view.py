"""The sorts of this window in one list: running ones with their stage, waiting ones in the order they will start
(move up, move down, remove), and the ones that ended. Choosing a row shows that sort's panel below, with its
Cancel button, its log and its results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ks_gui.ui import icons


class RowState(Enum):
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"  # cancelled, never started, interrupted, or left to run in the background


ICONS = {
    RowState.RUNNING: ("fa6s.play", "#1565c0"),
    RowState.WAITING: ("fa6s.hourglass-half", "#555555"),
    RowState.SUCCEEDED: ("fa6s.check", "#2e7d32"),
    RowState.FAILED: ("fa6s.xmark", "#b00020"),
    RowState.STOPPED: ("fa6s.stop", "#555555"),
}
VISIBLE_ROWS = 5  # the list grows with its rows up to this many, then scrolls


@dataclass(frozen=True)
class QueueRow:
    job_id: str
    title: str  # the recording's file name
    detail: str  # the stage and how far, "waiting for GPU 0", or how it ended
    state: RowState


class QueueView(QWidget):
    show_requested = Signal(str)
    move_requested = Signal(str, int)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._selection_changed)
        self.up_button = QPushButton(icons.icon("fa6s.arrow-up"), "")
        self.up_button.setToolTip("Start this sort earlier")
        self.down_button = QPushButton(icons.icon("fa6s.arrow-down"), "")
        self.down_button.setToolTip("Start this sort later")
        self.remove_button = QPushButton(icons.icon("fa6s.xmark"), "Remove")
        self.remove_button.setToolTip("Take this sort out of the queue (nothing was started for it)")
        self.up_button.clicked.connect(lambda: self._emit_for_selected(self.move_requested, -1))
        self.down_button.clicked.connect(lambda: self._emit_for_selected(self.move_requested, 1))
        self.remove_button.clicked.connect(lambda: self._emit_for_selected(self.remove_requested))
        buttons = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, stretch=1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(row)
        self._rows: list[QueueRow] = []
        self._update_buttons()

    def set_rows(self, rows: list[QueueRow], shown_job_id: str | None) -> None:
        """Show these rows (running, then waiting in start order, then ended). The selection is the shown sort's
        row, except while the user has a waiting row selected (they are reordering: progress must not take it)."""
        before = self.selected()
        waiting_ids = {row.job_id for row in rows if row.state is RowState.WAITING}
        selected_id = before.job_id if before is not None and before.job_id in waiting_ids else shown_job_id
        self._rows = rows
        self.list.blockSignals(True)
        self.list.clear()
        for row in rows:
            name, colour = ICONS[row.state]
            item = QListWidgetItem(icons.icon(name, color=colour), f"{row.title} — {row.detail}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, row.job_id)
            self.list.addItem(item)
            if row.job_id == selected_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        shown_rows = max(1, min(len(rows), VISIBLE_ROWS))
        self.list.setFixedHeight(shown_rows * max(self.list.sizeHintForRow(0), 1) + 2 * self.list.frameWidth() + 4)
        running = sum(row.state is RowState.RUNNING for row in rows)
        waiting = sum(row.state is RowState.WAITING for row in rows)
        self.heading.setText(f"Sorts: {running} running, {waiting} waiting")
        self._update_buttons()

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def selected(self) -> QueueRow | None:
        index = self.list.currentRow()
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def _emit_for_selected(self, signal, *args) -> None:
        row = self.selected()
        if row is not None:
            signal.emit(row.job_id, *args)

    @Slot()
    def _selection_changed(self) -> None:
        row = self.selected()
        self._update_buttons()
        if row is not None:
            self.show_requested.emit(row.job_id)

    def _update_buttons(self) -> None:
        row = self.selected()
        waiting = row is not None and row.state is RowState.WAITING
        for button in (self.up_button, self.down_button, self.remove_button):
            button.setEnabled(waiting)
