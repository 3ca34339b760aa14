"""The Check setup view: each check of core.doctor with a mark, what was found and how to fix it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ks_gui.core.doctor import Check, run_checks
from ks_gui.ui import icons


class SetupView(QDialog):
    def __init__(self, parent: QWidget | None = None, checks: list[Check] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check setup")
        self.summary = QLabel()
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["", "Item", "What was found", "How to fix"])
        self.table.setRootIsDecorated(False)
        self.recheck = QPushButton("Check again")
        self.recheck.clicked.connect(lambda: self.show_checks(run_checks()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.recheck)
        self.resize(900, 420)
        self.show_checks(checks if checks is not None else run_checks())

    def show_checks(self, checks: list[Check]) -> None:
        self.table.clear()
        for check in checks:
            item = QTreeWidgetItem(["", check.name, check.detail, check.fix])
            item.setIcon(0, icons.icon("fa6s.check" if check.ok else "fa6s.xmark"))
            item.setText(0, "ok" if check.ok else "to fix")
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        failing = [c for c in checks if not c.ok]
        self.summary.setText(
            "Everything a sort needs is ready."
            if not failing
            else f"{len(failing)} of {len(checks)} items need attention."
        )
