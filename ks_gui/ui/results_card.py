"""The card a finished sort shows: units, good units, spikes, **Open in phy** and **Open folder**."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ks_gui.ui import icons
from ks_gui.ui.threads import run_detached

if TYPE_CHECKING:
    from ks_gui.core.results.phy import PhyNotFoundError, PhyProcess, PhyProgram
    from ks_gui.core.sorters.progress import Result

# The phy modules load when a result is shown or opened, not with the window (issue #8).

_POLL_MS = 250


def open_in_file_manager(folder: Path) -> bool:
    """Show `folder` in the desktop's file manager (one seam, so tests need no file manager)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def counts_text(result: Result) -> str:
    return f"{result.units} units · {result.good} good · {result.spikes:,} spikes"


class _ContainerPhy(QObject):
    """phy in the Kilosort image, started and followed on a detached thread (starting a container takes a while)."""

    ended = Signal(str, bool)  # message, error

    def start(self, folder: Path) -> None:
        run_detached(lambda: self._run(folder), "phy in a container")

    def _run(self, folder: Path) -> None:
        from ks_gui.core.doors.engine import EngineError, connect  # docker loads only for in-container phy
        from ks_gui.core.doors.phy_container import DisplayError, plan_phy_container
        from ks_gui.core.results.phy import diagnose_launch
        from ks_gui.core.results.phy_folder import PhyFolderError

        try:
            plan = plan_phy_container(folder)
            engine = connect()
            if engine.image(plan.spec.image) is None:
                self.ended.emit(f"The image {plan.spec.image} is not on this computer.", True)
                return
            container = engine.start(plan.spec)
        except (DisplayError, EngineError, PhyFolderError) as err:
            self.ended.emit(getattr(err, "message", str(err)), True)
            return
        tail = [line.text for line in container.lines()][-20:]
        code = container.wait()
        container.remove()
        if code in (0, 143):
            self.ended.emit("phy (in the Kilosort image) closed.", False)
        else:
            self.ended.emit(str(diagnose_launch("\n".join(tail), code)), True)


def keep_pictures(folder: Path) -> None:
    """A finished sort's drift map and unit table as PNG under `<output>/.ks-gui/` (drawn from the numbers the run
    kept there), as `ks-gui sort` leaves them: the folder says what it holds without ks-gui."""
    from ks_gui.ui.pictures import write_kept_pictures

    with contextlib.suppress(OSError):  # a read-only or full disk: the card and the dialog show them anyway
        write_kept_pictures(folder)


def show_units_of(folder: Path, parent: QWidget) -> None:
    """The sort's units and drift map, in a window of their own (kept open beside the main one)."""
    from ks_gui.ui.results_dialog import ResultsDialog

    dialog = ResultsDialog(folder, parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()


class ResultsCard(QFrame):
    """Shown after a successful sort. `phy_started(pid)` is emitted once phy has survived its first seconds."""

    phy_started = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.folder: Path | None = None
        self.processes: list[PhyProcess] = []
        self._watched: PhyProcess | None = None
        self._watch_ticks = 0

        self.counts = QLabel()
        self.counts.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.location = QLabel()
        self.location.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.open_phy_button = QPushButton(icons.icon("fa6s.chart-line"), "Open in phy")
        self.open_phy_button.clicked.connect(self.open_phy)
        self.open_folder_button = QPushButton(icons.icon("fa6s.folder-open"), "Open folder")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.units_button = QPushButton(icons.icon("fa6s.table"), "Units and drift…")
        self.units_button.setToolTip("The sort's drift map, unit table and templates")
        self.units_button.clicked.connect(self.show_units)
        buttons = QHBoxLayout()
        buttons.addWidget(self.counts, stretch=1)
        buttons.addWidget(self.units_button)
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(self.open_phy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.location)
        layout.addWidget(self.status)

        self._container = _ContainerPhy(self)
        self._container.ended.connect(self.show_status)
        self._watch = QTimer(self)
        self._watch.setInterval(_POLL_MS)
        self._watch.timeout.connect(self._check_startup)
        self.hide()

    def show_results(self, folder: Path, result: Result | None = None) -> None:
        """Show the card for `folder`; counts from the run's result marker, else from the output files."""
        from ks_gui.core.results.phy_folder import read_counts

        self.folder = folder
        result = result or read_counts(folder)
        self.counts.setText(counts_text(result) if result else "Results")
        self.location.setText(str(folder))
        self.show_status("")
        self.show()

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if error else "")
        self.status.setText(text)

    @Slot()
    def show_units(self) -> None:
        if self.folder is not None:
            show_units_of(self.folder, self)

    @Slot()
    def open_folder(self) -> None:
        if self.folder is not None and not open_in_file_manager(self.folder):
            self.show_status(f"No file manager opened {self.folder}.", error=True)

    @Slot()
    def open_phy(self) -> None:
        from ks_gui.core.results.phy import PhyNotFoundError, find_phy
        from ks_gui.core.results.phy_folder import PhyFolderError, folder_problems, plan_dat_path, repair_dat_path
        from ks_gui.core.settings import load_settings

        folder = self.folder
        if folder is None:
            return
        if problems := folder_problems(folder):
            self.show_status("\n".join(problems), error=True)
            return
        try:
            plan = plan_dat_path(folder)
            repair = repair_dat_path(plan)
        except (PhyFolderError, OSError) as err:
            self.show_status(str(err), error=True)
            return
        note = plan.message + (f" (original params.py kept as {repair.backup.name})" if repair else "")
        try:
            program = find_phy(load_settings().settings.phy_path or None)
        except PhyNotFoundError as err:
            self._offer(folder, err)
            return
        self._launch(program, folder, note)

    def _offer(self, folder: Path, err: PhyNotFoundError) -> None:
        from ks_gui.ui import phy_install_dialog

        choice = phy_install_dialog.offer_phy(self, err.message)
        if choice == "container":
            self.show_status("Starting phy in the Kilosort image…")
            self._container.start(folder)
            return
        if choice == "install":
            dialog = phy_install_dialog.PhyInstallDialog(self)
            dialog.exec()
            if dialog.outcome is not None and dialog.outcome.succeeded:
                self.open_phy()
                return
            self.show_status(dialog.outcome.message if dialog.outcome else "phy was not installed.", error=True)
            return
        self.show_status(f"{err.message} {err.hint}", error=True)

    def _launch(self, program: PhyProgram, folder: Path, note: str) -> None:
        from ks_gui.core.results.phy import launch_phy

        process = launch_phy(program, folder)
        self.processes.append(process)
        self._watched = process
        self._watch_ticks = 0
        self._watch.start()
        self.show_status(f"Opening phy… {note}".strip())

    def _check_startup(self) -> None:
        """Watch a fresh phy for its first seconds: an early exit is explained, survival reported."""
        from ks_gui.core.results.phy import STARTUP_WATCH_SECONDS, diagnose_launch

        process = self._watched
        if process is None:
            self._watch.stop()
            return
        self._watch_ticks += 1
        if process.poll() is not None:
            self._watch.stop()
            failure = process.failure() or diagnose_launch(process.read_log(), process.poll())
            self.show_status(f"{failure.message} {failure.hint} (log: {process.log_file})", error=True)
            return
        if self._watch_ticks * _POLL_MS >= STARTUP_WATCH_SECONDS * 1000:
            self._watch.stop()
            self.show_status(f"phy is open. Its output goes to {process.log_file}")
            self.phy_started.emit(process.pid)
