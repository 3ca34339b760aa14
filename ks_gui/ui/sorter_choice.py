"""The Sorter row: Kilosort 2.5 (MATLAB container), Kilosort 4 (container) or Kilosort 4 (local), and for the local
one a button that installs or repairs the app's Kilosort 4 environment."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from ks_gui.core.sorters import DEFAULT_SORTER, SORTERS, Sorter


class SorterChoice(QWidget):
    """Signals: changed(Sorter) when the user picks another sorter."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        for sorter in SORTERS.values():
            self.combo.addItem(sorter.title, sorter.name)
        self.combo.setCurrentIndex(self.combo.findData(DEFAULT_SORTER))
        self.combo.currentIndexChanged.connect(self._picked)
        self.install_button = QPushButton()
        self.install_button.clicked.connect(self.open_installer)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, stretch=1)
        row.addWidget(self.install_button)
        self._show_install_button()

    @property
    def sorter(self) -> Sorter:
        return SORTERS[self.combo.currentData()]

    def choose(self, name: str) -> None:
        self.combo.setCurrentIndex(self.combo.findData(name))

    @Slot()
    def _picked(self) -> None:
        self._show_install_button()
        self.changed.emit(self.sorter)

    def _show_install_button(self) -> None:
        local = self.sorter.runs_locally
        self.install_button.setVisible(local)
        if local:
            from ks_gui.core.places import (
                kilosort4_env,  # only for the local sorter: it is not needed to open the window
            )

            # Only the python file is looked at here: importing torch to check the environment takes seconds.
            installed = kilosort4_env.env_python(kilosort4_env.env_dir()).exists()
            self.install_button.setText("Repair Kilosort 4…" if installed else "Install Kilosort 4…")
            self.install_button.setToolTip(f"The app's Kilosort 4 environment: {kilosort4_env.env_dir()}")

    @Slot()
    def open_installer(self) -> None:
        from ks_gui.ui.kilosort4_install import Kilosort4InstallDialog

        Kilosort4InstallDialog(self).exec()
        self._show_install_button()
