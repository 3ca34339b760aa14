"""A sort's units and drift map in a window of their own: the drift map (spike depth by time), a sortable unit table
and the chosen unit's template on its best channels. Opened from the results card, History and File → Open results….
The numbers are read off the GUI thread (core/results/units.py); drawing them is quick."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.results.units import AMPLITUDE_NOTE, UNIT_COLUMNS
from ks_gui.ui.threads import run_in_background

if TYPE_CHECKING:
    from ks_gui.core.results.units import DriftMap, SortResults


class _NumberItem(QTableWidgetItem):
    """Sorts by its number, not its text."""

    def __init__(self, value: float | None, text: str) -> None:
        super().__init__(text)
        self.value = float("-inf") if value is None else value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.value < getattr(other, "value", float("-inf"))


class ResultsDialog(QDialog):
    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.results: SortResults | None = None
        self.setWindowTitle(f"Units and drift: {folder.name}")
        self.summary = QLabel(f"Reading {folder}…")
        self.summary.setWordWrap(True)
        self.drift = QLabel()
        self.drift.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drift.setMinimumSize(480, 280)
        self.drift.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # drawn at its size
        self.drift_map: DriftMap | None = None
        self.marked: tuple[str, float] | None = None  # the chosen unit, marked on the drift map at its depth
        self.table = QTableWidget(0, len(UNIT_COLUMNS))
        self.table.setHorizontalHeaderLabels(UNIT_COLUMNS)
        amplitude_header = self.table.horizontalHeaderItem(UNIT_COLUMNS.index("Amplitude (a.u.)"))
        assert amplitude_header is not None  # set with the column labels above
        amplitude_header.setToolTip(AMPLITUDE_NOTE)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._unit_chosen)
        self.good_only = QCheckBox("Good units only (automatic labels)")
        self.good_only.setToolTip(
            "Show only the units the quality stage labelled good (SpikeInterface's metrics, Bombcell's thresholds)"
        )
        self.good_only.setEnabled(False)  # until the sort's units are read and have automatic labels
        self.good_only.toggled.connect(self._filter)
        self.template = QLabel("Choose a unit to see its template.")
        self.template.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.template.setMinimumSize(260, 200)
        self.template.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # drawn at its size
        self.template.setWordWrap(True)
        lower = QSplitter()
        lower.addWidget(self.table)
        lower.addWidget(self.template)
        lower.setStretchFactor(0, 5)  # the table's nine columns first; the template beside them
        lower.setStretchFactor(1, 2)
        lower.setSizes([700, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        upper = QHBoxLayout()
        upper.addWidget(self.drift, stretch=1)
        layout.addLayout(upper, stretch=3)
        layout.addWidget(self.good_only)
        layout.addWidget(lower, stretch=2)
        screen = self.screen().availableGeometry()  # never taller or wider than the screen (1366x768 laptops)
        self.resize(min(1100, screen.width() - 40), min(780, screen.height() - 60))
        run_in_background(lambda: _read(folder), self._shown, self)

    @Slot(object)
    def _shown(self, read: object) -> None:
        if not isinstance(read, tuple):
            self.summary.setText(str(getattr(read, "message", read)))
            return
        self.results, drift = read
        good = sum(unit.label == "good" for unit in self.results.units)
        curated = " (labels from phy's curation)" if self.results.curated else ""
        estimate = (
            ""
            if drift.estimate is None
            else f" Kilosort 4 estimated the probe moved by up to {drift.estimate.largest_um:.1f} µm (below the map)."
        )
        self.summary.setText(
            f"{len(self.results.units)} units ({good} good{curated}), {drift.n_spikes:,} spikes over "
            f"{self.results.duration_s:.1f} s in {self.folder}.{estimate}"
        )
        labelled = [unit for unit in self.results.units if unit.auto_label]
        if labelled:
            auto_good = sum(unit.auto_label == "good" for unit in labelled)
            self.summary.setText(
                f"{self.summary.text()} Automatic labels (Bombcell's thresholds): {auto_good} of {len(labelled)} good."
            )
        self.good_only.setEnabled(bool(labelled))
        self.drift_map = drift
        self._draw_drift()
        self._fill_table()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.drift_map is not None:
            self._draw_drift()

    def _draw_drift(self) -> None:
        """The drift map at the size its place has now, sharp on a scaled screen."""
        from ks_gui.ui.pictures import drift_map_image

        assert self.drift_map is not None  # drawn once read
        size = (max(self.drift.width(), 480), max(self.drift.height(), 280))
        image = drift_map_image(self.drift_map, size, ratio=self.drift.devicePixelRatioF(), marked=self.marked)
        self.drift.setPixmap(QPixmap.fromImage(image))

    def _fill_table(self) -> None:
        assert self.results is not None  # filled once read
        units = self.results.units
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(units))
        for row, unit in enumerate(units):
            for column, (value, text) in enumerate(unit.cells()):
                item = _NumberItem(value, text) if not isinstance(value, str) else QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, unit.id)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
        self._filter()

    @Slot(bool)
    def _filter(self, _checked: bool = False) -> None:
        """Hide the units not labelled good while "Good units only" is ticked."""
        if self.results is None:
            return
        label_of = {unit.id: unit.auto_label for unit in self.results.units}
        only_good = self.good_only.isChecked()
        for row in range(self.table.rowCount()):
            unit_id = cast(QTableWidgetItem, self.table.item(row, 0)).data(Qt.ItemDataRole.UserRole)
            self.table.setRowHidden(row, only_good and label_of.get(unit_id) != "good")

    @Slot()
    def _unit_chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.results is None:
            return
        from ks_gui.core.results.units import template_on_best_channels
        from ks_gui.ui.pictures import template_image

        unit_id = int(cast(QTableWidgetItem, self.table.item(rows[0].row(), 0)).data(Qt.ItemDataRole.UserRole))
        unit = next(unit for unit in self.results.units if unit.id == unit_id)
        self.marked = (f"unit {unit_id}", unit.y_um)
        if self.drift_map is not None:
            self._draw_drift()
        template, channels = template_on_best_channels(self.folder, unit_id)
        size = (max(self.template.width(), 260), max(self.template.height(), 200))
        title = f"Unit {unit_id}: its template on its {len(channels)} largest channels"
        ratio = self.template.devicePixelRatioF()
        image = template_image(template, channels, size, title, ratio=ratio, sample_rate=self.results.sample_rate)
        self.template.setPixmap(QPixmap.fromImage(image))


def _read(folder: Path) -> tuple:
    from ks_gui.core.results.units import units_and_drift

    return units_and_drift(folder)
