"""The Check setup view: each check of core.doctor with a mark, what was found and how to fix it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ks_gui.core.setup.doctor import Check, run_checks
from ks_gui.ui import icons


def checks_for(place: str) -> list[Check]:
    """This computer's checks, a GPU server's or a SLURM cluster's (the place the form sorts on)."""
    if place.startswith("slurm"):
        from ks_gui.core.setup.cluster_checks import cluster_checks

        return cluster_checks(place)
    if place.startswith("ssh://"):
        from ks_gui.core.doors.servers import remembered_path_map
        from ks_gui.core.setup.server_checks import server_checks

        return server_checks(place, remembered_path_map(place))
    return run_checks()


class SetupView(QDialog):
    def __init__(self, parent: QWidget | None = None, checks: list[Check] | None = None, place: str = "") -> None:
        super().__init__(parent)
        elsewhere = place.startswith(("ssh://", "slurm"))
        self.setWindowTitle(f"Check setup: {place.removeprefix('ssh://')}" if elsewhere else "Check setup")
        self.summary = QLabel()
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["", "Item", "What was found", "How to fix"])
        self.table.setRootIsDecorated(False)
        self.table.setWordWrap(True)  # a long fix wraps instead of being cut at the window's edge
        self.table.setUniformRowHeights(False)
        self.recheck = QPushButton("Check again")
        self.recheck.clicked.connect(lambda: self.show_checks(checks_for(place)))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.recheck)
        self.resize(900, 420)
        self.show_checks(checks if checks is not None else checks_for(place))

    def show_checks(self, checks: list[Check]) -> None:
        self.table.clear()
        for check in checks:
            item = QTreeWidgetItem(["", check.name, check.detail, check.fix])
            item.setToolTip(2, check.detail)
            item.setToolTip(3, check.fix)
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
