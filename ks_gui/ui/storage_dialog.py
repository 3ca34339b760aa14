"""The Storage view: what ks-gui keeps on the disk, with sizes, and a Remove button for each."""

from __future__ import annotations

from typing import cast

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.setup import storage
from ks_gui.core.setup.storage import StoredItem
from ks_gui.ui import dialogs


class StorageDialog(QDialog):
    def __init__(self, engine, parent: QWidget | None = None) -> None:  # engine: core Engine, or None without Docker
        super().__init__(parent)
        self.setWindowTitle("Storage used by ks-gui")
        self._engine = engine
        self.items: list[StoredItem] = []
        self.note = QLabel("" if engine else "Docker is not reachable: sorter images are not listed.")
        self.total = QLabel()
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("What", "Kind", "Size", ""))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        layout.addWidget(self.total)
        layout.addWidget(buttons)
        self.resize(760, 360)
        self.reload()

    def reload(self) -> None:
        self.items = storage.stored_items(self._engine)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            self.table.setItem(row, 0, QTableWidgetItem(item.name))
            cast(QTableWidgetItem, self.table.item(row, 0)).setToolTip(item.location)  # the item just set
            self.table.setItem(row, 1, QTableWidgetItem(item.kind))
            self.table.setItem(row, 2, QTableWidgetItem(human_bytes(item.size_bytes)))
            remove = QPushButton("Remove")
            remove.clicked.connect(lambda _checked=False, it=item: self._remove(it))
            self.table.setCellWidget(row, 3, remove)
        self.table.resizeColumnsToContents()
        self.total.setText(f"In all: {human_bytes(sum(item.size_bytes for item in self.items))}")

    def _remove(self, item: StoredItem) -> None:
        from ks_gui.core.doors.engine import EngineError

        if dialogs.confirm(self, "Remove", f"Remove {item.name} ({human_bytes(item.size_bytes)})?"):
            try:
                storage.remove(item, self._engine)
            except (EngineError, ValueError) as err:  # e.g. a sort still uses the image or the sign-in volume
                self.note.setText(f"{item.name} was not removed: {getattr(err, 'message', err)}")
                return
            self.reload()
