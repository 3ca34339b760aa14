"""The History view: every run — recording, date, duration, status, units — with its log and results at hand."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.ground.readable import clock_text, recording_title
from ks_gui.core.results import history
from ks_gui.core.results.history import RunRecord
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorting import place_title

COLUMNS = ("Recording", "Started", "Duration", "Status", "Sorter", "Ran on", "Units (good)", "Output")


def sorter_title(name: str) -> str:
    """What the sorter is called ("Kilosort 4"); an unknown name as it was recorded."""
    return SORTERS[name].title if name in SORTERS else name


class HistoryView(QWidget):
    """Signals:
    run_again(RunRecord): the user wants a new run with this record's recording and settings.
    open_phy(str): the user wants phy on this record's output folder.
    """

    run_again = Signal(RunRecord)
    open_phy = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.open_log_button = QPushButton("Open log")
        self.open_log_button.clicked.connect(lambda: self._open(self.selected.log_file if self.selected else None))
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.clicked.connect(lambda: self._open(self.selected.output if self.selected else None))
        self.open_phy_button = QPushButton("Open in phy")
        self.open_phy_button.clicked.connect(
            lambda: self.open_phy.emit(self.selected.output) if self.selected else None
        )
        self.units_button = QPushButton("Units and drift…")
        self.units_button.clicked.connect(self._show_units)
        self.run_again_button = QPushButton("Run again…")
        self.run_again_button.clicked.connect(self._run_again)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons_in_order = (
            self.open_log_button,
            self.open_folder_button,
            self.units_button,
            self.open_phy_button,
            self.run_again_button,
        )
        for button in buttons_in_order:
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._loaded = False  # the runs are read when the view is first shown: the window opens without them
        # Sorts another ks-gui (a terminal's ks-gui sort, a second window) starts or ends appear while this is open.
        folder = history.history_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._watcher = QFileSystemWatcher([str(folder)], self)
        self._watcher.directoryChanged.connect(self._records_changed)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._loaded:
            self.reload()
        super().showEvent(event)

    @property
    def selected(self) -> RunRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.records[rows[0].row()] if rows else None

    def _records_changed(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._loaded = False  # read again when next shown

    def reload(self) -> None:
        chosen = self.selected.job_id if self.selected is not None else None
        self._loaded = True
        self.records = history.load_all()
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            duration = record.duration_seconds
            units = "" if record.units is None else f"{record.units} ({record.good})"
            cells = (
                recording_title(record.recording),
                record.started.replace("T", " "),
                "" if duration is None else clock_text(duration),
                record.status,
                sorter_title(record.sorter),
                place_title(record.place),
                units,
                record.output,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(record.summary or record.recording)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        again = next((row for row, record in enumerate(self.records) if record.job_id == chosen), None)
        if again is not None:
            self.table.selectRow(again)
        self._selection_changed()

    def _selection_changed(self) -> None:
        record = self.selected
        self.open_log_button.setEnabled(record is not None and Path(record.log_file).exists())
        self.open_folder_button.setEnabled(record is not None and Path(record.output).exists())
        # Only a finished sort is a result: a cancelled or failed one may leave a params.py behind.
        self.open_phy_button.setEnabled(
            record is not None and record.status == "succeeded" and (Path(record.output) / "params.py").exists()
        )
        self.run_again_button.setEnabled(record is not None and Path(record.recording).exists())
        self.units_button.setEnabled(self.open_phy_button.isEnabled())

    def _show_units(self) -> None:
        if self.selected is not None:
            from ks_gui.ui.results_card import show_units_of

            show_units_of(Path(self.selected.output), self)

    def _run_again(self) -> None:
        if self.selected is not None:
            self.run_again.emit(self.selected)

    @staticmethod
    def _open(path: str | None) -> None:
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))
