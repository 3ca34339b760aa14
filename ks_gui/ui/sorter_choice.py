"""The two axes of a sort: the Sorter row (Kilosort 2.5, Kilosort 4) and the Runs on row (the places that can run
the chosen sorter), with, for the app's own Kilosort 4 environment, a button that installs or repairs it."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from ks_gui.core.sorters import DEFAULT_SORTER, SORTERS, Sorter
from ks_gui.core.sorting import DEFAULT_PLACE, place_title, places_for

LOCAL = "local"  # the place whose environment the app installs itself


def _shrinkable(combo: QComboBox) -> QComboBox:
    """A combo that may be narrower than its longest entry (a narrow panel elides it instead of clipping the row)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def first_choice() -> tuple[str, str]:
    """The sorter and place a window starts on before the user ever chose: the app's own Kilosort 4 where it is
    installed (it needs no MATLAB, no Docker, no GPU), else the default (Kilosort 2.5 in this computer's Docker)."""
    from ks_gui.core.doors import kilosort4_install as kilosort4_env  # only on a first start: a file is looked at

    if kilosort4_env.env_python(kilosort4_env.env_dir()).exists():
        return "kilosort4", LOCAL
    return DEFAULT_SORTER, DEFAULT_PLACE


class SorterChoice(QWidget):
    """Signals: changed(Sorter) when the user picks another sorter."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = _shrinkable(QComboBox())
        for sorter in SORTERS.values():
            self.combo.addItem(sorter.title, sorter.name)
        self.combo.setCurrentIndex(self.combo.findData(DEFAULT_SORTER))
        self.combo.currentIndexChanged.connect(self._picked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, stretch=1)

    @property
    def sorter(self) -> Sorter:
        return SORTERS[self.combo.currentData()]

    def choose(self, name: str) -> None:
        self.combo.setCurrentIndex(self.combo.findData(name))

    @Slot()
    def _picked(self) -> None:
        self.changed.emit(self.sorter)


class PlaceChoice(QWidget):
    """Where the sort runs, among the places that can run the chosen sorter. Signals: changed(str) with the place's
    name when another place is picked (by the user, or because the sorter changed)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = _shrinkable(QComboBox())
        self.combo.currentIndexChanged.connect(self._picked)
        self.install_button = QPushButton()
        self.install_button.clicked.connect(self.open_installer)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, stretch=1)
        row.addWidget(self.install_button)
        self.install_button.hide()
        self._filling = False

    @property
    def place(self) -> str:
        return self.combo.currentData() or DEFAULT_PLACE

    def offer(self, sorter: Sorter, keep: str | None = None) -> None:
        """List the places that can run `sorter`, keeping `keep` (else the current place) where it is one of them."""
        wanted = keep or self.place
        self._filling = True
        self.combo.clear()
        for name in places_for(sorter):
            self.combo.addItem(place_title(name), name)
        self.combo.setCurrentIndex(max(0, self.combo.findData(wanted)))
        self._filling = False
        self._picked()

    def choose(self, name: str) -> None:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    @Slot()
    def _picked(self) -> None:
        if self._filling:
            return
        self._show_install_button()
        self.changed.emit(self.place)

    def _show_install_button(self) -> None:
        local = self.place == LOCAL
        self.install_button.setVisible(local)
        if local:
            # Only for the local place: it is not needed to open the window.
            from ks_gui.core.doors import kilosort4_install as kilosort4_env

            # Only the python file is looked at here: importing torch to check the environment takes seconds.
            installed = kilosort4_env.env_python(kilosort4_env.env_dir()).exists()
            self.install_button.setText("Reinstall…" if installed else "Install Kilosort 4…")
            where = f"The app's Kilosort 4 environment: {kilosort4_env.env_dir()}"
            again = "Installed. Reinstall it only if a sort says the environment is broken."
            self.install_button.setToolTip(f"{where}\n{again}" if installed else where)

    @Slot()
    def open_installer(self) -> None:
        from ks_gui.ui.kilosort4_install import Kilosort4InstallDialog

        Kilosort4InstallDialog(self).exec()
        self._show_install_button()
