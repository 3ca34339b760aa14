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
    if place == "local":  # Kilosort 4 in the app's own environment: no Docker, no image, no license
        from ks_gui.core.setup.doctor import local_kilosort4_checks

        return local_kilosort4_checks()
    return run_checks()


class SetupView(QDialog):
    def __init__(self, parent: QWidget | None = None, checks: list[Check] | None = None, place: str = "") -> None:
        super().__init__(parent)
        elsewhere = place.startswith(("ssh://", "slurm"))
        title = "Check setup: Kilosort 4 on this computer" if place == "local" else "Check setup"
        self.setWindowTitle(f"Check setup: {place.removeprefix('ssh://')}" if elsewhere else title)
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
        screen = self.screen().availableGeometry()  # wide enough for How to fix, never wider than the screen
        self.resize(min(1200, screen.width() - 40), min(480, screen.height() - 60))
        self.show_checks(checks if checks is not None else checks_for(place))

    def show_checks(self, checks: list[Check]) -> None:
        self.table.clear()
        for check in checks:
            item = QTreeWidgetItem(["", check.name, check.detail, check.fix])
            item.setToolTip(2, check.detail)
            item.setToolTip(3, check.fix)
            item.setIcon(
                0, icons.icon("fa6s.check" if check.ok else "fa6s.circle-info" if check.optional else "fa6s.xmark")
            )
            item.setText(0, "ok" if check.ok else "optional" if check.optional else "to fix")
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        # What was found gives up width to How to fix (both wrap): neither is cut at the window's edge.
        room = max(self.table.viewport().width(), self.width() - 40)
        for column, share in ((1, 0.2), (2, 0.4)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), int(room * share)))
        failing = [c for c in checks if not c.ok and not c.optional]
        self.summary.setText(
            "Everything a sort needs is ready."
            if not failing
            else f"{len(failing)} of {len(checks)} items need attention."
        )
