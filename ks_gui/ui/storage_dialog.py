"""The Storage view: what ks-gui keeps on the disk, with sizes, and a Remove button for each."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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
from ks_gui.ui.threads import run_in_background

if TYPE_CHECKING:
    from ks_gui.core.doors.engine import Engine


class StorageDialog(QDialog):
    """Lists what ks-gui keeps, read off the GUI thread (a Docker engine that hangs never freezes the window).
    `engine`: core's Engine, or None without Docker; `look_for_engine`: connect to this computer's engine first."""

    def __init__(self, engine: Engine | None = None, parent: QWidget | None = None, look_for_engine: bool = False):
        super().__init__(parent)
        self.setWindowTitle("Storage used by ks-gui")
        self._engine = engine
        self._look_for_engine = look_for_engine
        self.loaded = False  # the list shows what was found (False while it is read)
        self.items: list[StoredItem] = []
        self.note = QLabel()
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

    def reload(self, note: str = "") -> None:
        """Read the list again off the GUI thread; `note` stays shown above it (why something was not removed)."""
        self.loaded = False
        self.note.setText(note or ("Looking for Docker…" if self._look_for_engine else "Reading…"))
        run_in_background(self._read, lambda found: self._show(found, note), self)

    def _read(self) -> tuple[Engine | None, list[StoredItem]]:
        engine = self._engine
        if self._look_for_engine:
            from ks_gui.core.doors.engine import EngineError, connect  # Docker is looked up only when asked for

            try:
                engine = connect(timeout=10)
            except EngineError:
                engine = None
        return engine, storage.stored_items(engine)

    def _show(self, found: object, note: str) -> None:
        if isinstance(found, Exception):
            self.note.setText(f"The list could not be read: {getattr(found, 'message', found)}")
            self.loaded = True
            return
        assert isinstance(found, tuple)
        self._engine, self.items = found
        self._look_for_engine = False
        self.note.setText(note or ("" if self._engine else "Docker is not reachable: sorter images are not listed."))
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
        self.loaded = True

    def _remove(self, item: StoredItem) -> None:
        if dialogs.confirm(self, "Remove", f"Remove {item.name} ({human_bytes(item.size_bytes)})?"):
            self.loaded = False
            self.note.setText(f"Removing {item.name}…")
            run_in_background(lambda: storage.remove(item, self._engine), lambda done: self._removed(item, done), self)

    def _removed(self, item: StoredItem, done: object) -> None:
        from ks_gui.core.doors.engine import EngineError

        # e.g. a sort still uses the image or the sign-in volume
        failed = isinstance(done, (EngineError, ValueError))
        if isinstance(done, Exception) and not failed:
            raise done
        message = getattr(done, "message", done)
        self.reload(f"{item.name} was not removed: {message}" if failed else "")
