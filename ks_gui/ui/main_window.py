"""The main window: the recording and the few choices a sort needs on the left, the sort's progress on the right,
the run history in its own tab, everything else in the menus."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import qtawesome
from PySide6.QtCore import QSettings, Qt, QThread, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ks_gui import __version__
from ks_gui.core import desktop, history
from ks_gui.core.container import (
    EnvironmentVariableError,
    MountError,
    parse_environment,
    parse_mount,
)
from ks_gui.core.contract import MARKER
from ks_gui.core.gpu import GpuRequest
from ks_gui.core.history import RunRecord
from ks_gui.core.job import SortJob
from ks_gui.core.license import LicenseError
from ks_gui.core.params import ParamError
from ks_gui.core.progress import ProgressEvent
from ks_gui.core.readable import clock_text
from ks_gui.core.recording import Recording, RecordingError, inspect_all
from ks_gui.core.run import Outcome
from ks_gui.core.settings import Settings, load_settings, save_settings, settings_file
from ks_gui.core.sorters import SORTERS, Sorter
from ks_gui.ui import dialogs
from ks_gui.ui.background import run_in_background
from ks_gui.ui.drop_zone import DropZone, WindowDrops
from ks_gui.ui.failure_panel import FailurePanel
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.history_view import HistoryView
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.log_view import LogView
from ks_gui.ui.notify import notify
from ks_gui.ui.param_form import ParamForm
from ks_gui.ui.results_card import ResultsCard
from ks_gui.ui.sort_worker import SortWorker, docker_run_line
from ks_gui.ui.sorter_choice import SorterChoice
from ks_gui.ui.stage_list import StageList
from ks_gui.ui.storage_dialog import StorageDialog


def _browse_row(field: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field, stretch=1)
    row.addWidget(button)
    return row


def _next_free_folder(folder: Path) -> Path:
    """`folder`, or folder_2, folder_3…: a new output folder never lands on an earlier result."""
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}_{n}")
    return candidate


class MainWindow(QMainWindow):
    def __init__(self, recording_path: Path | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ks-gui — Kilosort in Docker")
        loaded = load_settings() if settings is None else None
        self.settings = settings or loaded.settings
        self.sorter = SORTERS.get(self.settings.sorter) or next(iter(SORTERS.values()))
        self.recording: Recording | None = None
        self._thread: QThread | None = None
        self._worker: SortWorker | None = None
        self._started_at = 0.0
        self._eta: float | None = None

        self._build_setup_panel()
        self._build_progress_panel()
        self.history_view = HistoryView()
        self.history_view.run_again.connect(self.run_again)
        self.history_view.open_phy.connect(self.open_phy_for)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._setup_panel)
        splitter.addWidget(self._progress_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 680])
        self.splitter = splitter
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, qtawesome.icon("fa6s.wave-square"), "Sort")
        self.tabs.addTab(self.history_view, qtawesome.icon("fa6s.clock-rotate-left"), "History")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self._window_drops = WindowDrops(self, self.open_recording)  # a drop anywhere on the window

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

        self._apply_settings()
        self._restore_geometry()
        for signal in (
            self.channels.valueChanged,
            self.sample_rate.valueChanged,
            self.output.textChanged,
            self.temp_dir.textChanged,
            self.license_box.changed,
            self.image.textChanged,
            self.environment.textChanged,
            self.mounts.textChanged,
            self.param_form.changed,
        ):
            signal.connect(self.validate)  # cheap: metadata and folder checks only, so at every keystroke
        self.statusBar().showMessage(loaded.warning if loaded and loaded.warning else "Ready")
        if recording_path is not None:
            self.open_recording(recording_path)
        self.validate()

    # --- building the window -----------------------------------------------------------------------------------

    def _build_setup_panel(self) -> None:
        self.drop_zone = DropZone()
        self.drop_zone.path_chosen.connect(self.open_recording)
        self.drop_zone.recording_chosen.connect(self.use_recording)
        self.drop_zone.sort_all_requested.connect(self.sort_all)
        self._queue: list[Recording] = []  # recordings waiting to be sorted after the current one
        self._queue_output: Path | None = None

        self.sorter_choice = SorterChoice()
        self.sorter_choice.changed.connect(self._sorter_changed)
        self.image = QLineEdit(self.sorter.default_image)
        self.image_button = QPushButton("Build image…")
        self.image_button.setToolTip("Build the Kilosort image, or clear its compiled files")
        self.image_button.clicked.connect(self.open_image_dialog)
        self._image_row = _browse_row(self.image, self.image_button)
        self.license_box = LicenseBox()
        self.license_mode = self.license_box.mode
        self.license_value = self.license_box.value
        sorter_box = QGroupBox("Sorter")
        self.form = QFormLayout(sorter_box)
        self.form.addRow("Sorter", self.sorter_choice)
        self.form.addRow("Image", self._image_row)
        self.form.addRow("MATLAB license", self.license_box)

        self.channels = QSpinBox()
        self.channels.setRange(0, 4096)
        self.channels.setSpecialValueText("enter the channel count")
        self.sample_rate = QDoubleSpinBox()
        self.sample_rate.setRange(0, 200_000)
        self.sample_rate.setDecimals(1)
        self.sample_rate.setSuffix(" Hz")
        self.sample_rate.setSpecialValueText("enter the sample rate")
        recording_box = QGroupBox("Recording")
        recording_form = QFormLayout(recording_box)
        recording_form.addRow("Channels", self.channels)
        recording_form.addRow("Sample rate", self.sample_rate)

        self.output = QLineEdit()
        self.output.setPlaceholderText("a new folder for the results")
        output_browse = QPushButton("Browse…")
        output_browse.clicked.connect(lambda: self._browse_into(self.output, "Choose the output folder"))
        self.temp_dir = QLineEdit()
        self.temp_dir.setPlaceholderText("the output folder")
        self.temp_dir.setToolTip("Kilosort's temp file is as large as the recording: a fast disk with room helps")
        temp_browse = QPushButton("Browse…")
        temp_browse.clicked.connect(lambda: self._browse_into(self.temp_dir, "Choose a folder for the temp file"))
        output_box = QGroupBox("Results")
        output_form = QFormLayout(output_box)
        output_form.addRow("Output folder", _browse_row(self.output, output_browse))
        output_form.addRow("Temp file in", _browse_row(self.temp_dir, temp_browse))

        self.gpu_picker = GpuPicker()
        self.gpu = self.gpu_picker.combo
        gpu_box = QGroupBox("GPU")
        QVBoxLayout(gpu_box).addWidget(self.gpu_picker)

        self.environment = QLineEdit()
        self.environment.setPlaceholderText("KEY=VALUE pairs, e.g. HTTPS_PROXY=http://proxy:3128")
        self.mounts = QPlainTextEdit()
        self.mounts.setPlaceholderText("one folder per line: SRC[:DST][:ro]")
        self.mounts.setFixedHeight(52)
        self.param_form = ParamForm(self.sorter)
        self.advanced = QGroupBox("Advanced: container and Kilosort parameters (empty = default)")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        advanced_content = QWidget()
        advanced_form = QFormLayout(advanced_content)
        advanced_form.addRow("Environment", self.environment)
        advanced_form.addRow("Extra folders", self.mounts)
        advanced_form.addRow(self.param_form)
        QVBoxLayout(self.advanced).addWidget(advanced_content)
        self.advanced.toggled.connect(advanced_content.setVisible)
        advanced_content.setVisible(False)

        self.check_setup_button = QPushButton(qtawesome.icon("fa6s.stethoscope"), "Check setup")
        self.check_setup_button.clicked.connect(self.open_setup_check)
        self.sort_button = QPushButton(qtawesome.icon("fa6s.play"), "Sort")
        self.sort_button.setDefault(True)
        self.sort_button.setMinimumHeight(36)
        self.sort_button.setStyleSheet("font-weight: 600; padding: 0 24px;")
        self.sort_button.clicked.connect(self.start_sort)
        self.sort_reason = QLabel()
        self.sort_reason.setWordWrap(True)
        self.sort_reason.setStyleSheet("color: #8a5a00;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sort_button)

        form_panel = QWidget()
        layout = QVBoxLayout(form_panel)
        for widget in (self.drop_zone, sorter_box, recording_box, output_box, gpu_box, self.advanced):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(form_panel)
        # Sort and the reason it is disabled stay in sight below the form, however small the screen.
        self._setup_panel = QWidget()
        self._setup_panel.setMinimumWidth(440)
        panel_layout = QVBoxLayout(self._setup_panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(scroll, stretch=1)
        panel_layout.addLayout(buttons)
        panel_layout.addWidget(self.sort_reason)

    def _build_progress_panel(self) -> None:
        self.stage = QLabel("Ready")
        self.stage.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.timing = QLabel()
        self.cancel_button = QPushButton(qtawesome.icon("fa6s.stop"), "Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_sort)
        stage_row = QHBoxLayout()
        stage_row.addWidget(self.stage, stretch=1)
        stage_row.addWidget(self.timing)
        stage_row.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure_panel = FailurePanel()
        self.results_card = ResultsCard()
        self.stage_list = StageList()

        self.log_view = LogView()
        self.log = self.log_view.text
        self.save_log_button = self.log_view.save_button
        log_row = QHBoxLayout()
        log_row.addWidget(self.stage_list)
        log_row.addWidget(self.log_view, stretch=1)

        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addLayout(stage_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.failure_panel)
        layout.addWidget(self.results_card)
        layout.addLayout(log_row, stretch=1)
        self._progress_panel = panel

    def _build_menus(self) -> None:
        def action(menu, text: str, slot, shortcut: QKeySequence | str | None = None, icon: str = "") -> QAction:
            item = menu.addAction(qtawesome.icon(icon) if icon else QIcon(), text)
            item.triggered.connect(slot)
            if shortcut:
                item.setShortcut(QKeySequence(shortcut))
            return item

        file_menu = self.menuBar().addMenu("&File")
        action(file_menu, "Open recording…", self.drop_zone.browse, QKeySequence.StandardKey.Open, "fa6s.folder-open")
        file_menu.addSeparator()
        action(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)
        sort_menu = self.menuBar().addMenu("&Sort")
        self.sort_action = action(sort_menu, "Sort", self.start_sort, "Ctrl+Return", "fa6s.play")
        self.cancel_action = action(sort_menu, "Cancel", self.cancel_sort, "Ctrl+.", "fa6s.stop")
        self.cancel_action.setEnabled(False)
        action(sort_menu, "Copy docker run command", self.copy_docker_run, "Ctrl+Shift+C", "fa6s.terminal")
        view_menu = self.menuBar().addMenu("&View")
        action(view_menu, "Sort", lambda: self.tabs.setCurrentIndex(0), "Ctrl+1")
        action(view_menu, "History", self.show_history, "Ctrl+2")
        action(view_menu, "Storage…", self.open_storage, None, "fa6s.hard-drive")
        action(view_menu, "Check setup…", self.open_setup_check, None, "fa6s.stethoscope")
        tools_menu = self.menuBar().addMenu("&Tools")
        action(tools_menu, "Build image…", self.open_image_dialog, None, "fa6s.hammer")
        action(tools_menu, "Add ks-gui to the application menu", self.install_desktop_entry)
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "About ks-gui", self.show_about)

    # --- settings ----------------------------------------------------------------------------------------------

    def _apply_settings(self) -> None:
        settings = self.settings
        self.sorter_choice.choose(self.sorter.name)
        self._sorter_changed(self.sorter)
        self.license_mode.setCurrentIndex(max(0, self.license_mode.findData(settings.license_mode)))
        self.license_value.setText(settings.license_value)
        gpu_index = self.gpu.findData(settings.gpu if settings.gpu in ("auto", "none") else int(settings.gpu))
        if gpu_index >= 0:
            self.gpu.setCurrentIndex(gpu_index)
        self.temp_dir.setText(settings.temp_dir)
        self.environment.setText(settings.environment)

    def _remember_choices(self) -> None:
        settings = self.settings
        settings.sorter = self.sorter.name
        settings.license_mode = self.license_box.current_mode()
        settings.license_value = self.license_value.text().strip()
        image = self.image.text().strip()
        if image and image != self.sorter.default_image:
            settings.images[self.sorter.name] = image
        else:
            settings.images.pop(self.sorter.name, None)
        settings.gpu = str(self.gpu.currentData())
        settings.temp_dir = self.temp_dir.text().strip()
        settings.environment = self.environment.text().strip()
        if self.recording is not None:
            settings.last_recording_folder = str(self.recording.folder)
        try:
            save_settings(settings)
        except OSError as err:
            self.statusBar().showMessage(f"Your choices could not be saved in {settings_file()}: {err}")

    def _geometry_store(self) -> QSettings:
        # Window geometry is kept apart from the settings: it is Qt's own binary state.
        return QSettings(str(settings_file().with_name("window.ini")), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        store = self._geometry_store()
        if not self.restoreGeometry(store.value("geometry", b"")):
            screen = QGuiApplication.primaryScreen().availableGeometry()
            self.resize(min(1200, screen.width() - 40), min(820, screen.height() - 60))
        self.splitter.restoreState(store.value("splitter", b""))

    def _save_geometry(self) -> None:
        store = self._geometry_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("splitter", self.splitter.saveState())

    # --- the form ----------------------------------------------------------------------------------------------

    def _browse_into(self, field: QLineEdit, title: str) -> None:
        folder = dialogs.choose_folder(self, title, field.text())
        if folder is not None:
            field.setText(str(folder))

    @Slot(Path)
    def open_recording(self, path: Path) -> None:
        try:
            inspection = inspect_all(path)
        except RecordingError as err:
            self.show_message(str(err), error=True)
            return
        self.drop_zone.show_inspection(inspection)  # the recording's card, with a stream picker when several
        self.use_recording(inspection.preselected)

    @Slot(object)
    def use_recording(self, recording: Recording) -> None:
        self.recording = recording
        if recording.n_channels:
            self.channels.setValue(recording.n_channels)
        if recording.sample_rate:
            self.sample_rate.setValue(recording.sample_rate)
        if not self.output.text():
            self.output.setText(str(_next_free_folder(recording.folder.parent / f"{recording.folder.name}_kilosort")))
        self.show_message("")
        self.statusBar().showMessage(f"Opened {recording.binary}")
        self.validate()

    @Slot(object)
    def _sorter_changed(self, sorter: Sorter) -> None:
        """Kilosort 4 needs no MATLAB license; the local one no image either."""
        self.sorter = sorter
        self.form.setRowVisible(self.license_box, sorter.needs_matlab_license)
        self.form.setRowVisible(self._image_row, not sorter.runs_locally)
        self.image.setText(self.settings.images.get(sorter.name, sorter.default_image))
        self.param_form.set_sorter(sorter)
        self.validate()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    def _job_from_form(self) -> SortJob:
        """The job the form describes; raises ValueError with a message for the user."""
        if self.recording is None:
            raise ValueError("drop a recording folder first")
        if not self.output.text().strip():
            raise ValueError("choose an output folder")
        try:
            overrides = self.param_form.overrides()
            license = self.license_box.license(use_keyring=False) if self.sorter.needs_matlab_license else None
            environment = parse_environment(shlex.split(self.environment.text()))
            mounts = tuple(parse_mount(line.strip()) for line in self.mounts.toPlainText().splitlines() if line.strip())
        except (LicenseError, EnvironmentVariableError, MountError, ParamError, ValueError) as err:
            raise ValueError(str(err).replace("--env ", "").replace("--mount ", "")) from err
        if self.channels.value():
            overrides[self.sorter.channels_param] = self.channels.value()
        if self.sample_rate.value():
            overrides[self.sorter.sample_rate_param] = self.sample_rate.value()
        return SortJob(
            recording=self.recording,
            output=Path(self.output.text().strip()),
            license=license,
            sorter=self.sorter,
            image=self.image.text().strip(),
            temp_dir=Path(self.temp_dir.text().strip()) if self.temp_dir.text().strip() else None,
            environment=environment,
            extra_mounts=mounts,
            param_overrides=overrides,
        )

    def _first_problem(self) -> str | None:
        """Why the form's job may not start, found without Docker (the image and GPU are checked at Sort)."""
        try:
            job = self._job_from_form()
        except ValueError as err:
            return str(err)
        problems = job.input_problems()
        return problems[0].message if problems else None

    @Slot()
    def validate(self) -> None:
        """Sort is enabled only for a job that may start; otherwise the reason is shown beside it."""
        if self.running:
            return
        problem = self._first_problem()
        self.sort_button.setEnabled(problem is None)
        self.sort_action.setEnabled(problem is None)
        self.sort_reason.setText("" if problem is None else problem[0].upper() + problem[1:])

    # --- running -----------------------------------------------------------------------------------------------

    @Slot(list)
    def sort_all(self, recordings: list) -> None:
        """Sort each probe in turn, each into a folder of its own in a new `<run>_kilosort` folder beside the run."""
        dropped = self.drop_zone.inspection.path if self.drop_zone.inspection else recordings[0].folder
        self._queue = list(recordings)
        self._queue_output = _next_free_folder(dropped.parent / f"{dropped.name}_kilosort")
        self._start_next_queued()

    def _start_next_queued(self) -> None:
        if not self._queue or self._queue_output is None:
            self._queue_output = None
            return
        recording = self._queue.pop(0)
        self.use_recording(recording)
        self.output.setText(str(_next_free_folder(self._queue_output / recording.folder.name)))
        if self._first_problem() is not None:  # say why, and leave the rest waiting for the user
            self.show_message(f"{recording.binary.name}: {self._first_problem()}", error=True)
            self._queue.clear()
            return
        self.start_sort()
        waiting = len(self._queue)
        self.statusBar().showMessage(f"Sorting {recording.binary.name}; {waiting} more waiting" if waiting else "")

    @Slot()
    def start_sort(self) -> None:
        if self.running:
            return
        try:
            job = self._job_from_form()
        except ValueError as err:
            self.show_message(str(err), error=True)
            return
        if self.sorter.needs_matlab_license:
            job.license = self.license_box.license()  # now the token may come from the keyring
        gpu_request: GpuRequest = self.gpu.currentData()
        self._remember_choices()
        self._set_running(True)
        self.tabs.setCurrentIndex(0)
        self.show_message("Checking…")
        self.log_view.clear()
        self.results_card.hide()
        self.progress.setValue(0)
        self.stage.setText("Starting")
        self.timing.setText("")
        self.stage_list.reset()
        self.failure_panel.clear()
        self.statusBar().showMessage(f"Checking {job.recording.binary.name}…")

        self._start_worker(SortWorker(job, gpu_request))

    def _start_worker(self, worker: SortWorker) -> None:
        self._thread = QThread(self)
        self._worker = worker
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.refused.connect(self._on_refused)
        self._worker.started.connect(self._on_started)
        self._worker.log_available.connect(self._on_log_available)
        self._worker.progress.connect(self._on_progress)
        self._worker.sign_in_requested.connect(self._on_sign_in)
        self._worker.finished.connect(self._on_finished)
        self._worker.detached.connect(self._end_thread)
        self._thread.start()

    def follow_earlier_runs(self) -> None:
        """Sorts an earlier launcher started: ended ones are recorded, a running one is followed here."""
        run_in_background(_find_earlier_runs, self._on_earlier_runs, self)

    @Slot(object)
    def _on_earlier_runs(self, found: object) -> None:
        if not isinstance(found, list):  # no Docker here: nothing to follow
            return
        for container in (f for f in found if not f.running):
            run_in_background(lambda c=container: _harvest(c), lambda _result: self.history_view.reload(), self)
        running = [f for f in found if f.running]
        if running and not self.running:
            self._set_running(True)
            self.stage.setText("Following a sort started earlier")
            self.show_message(f"Following the sort into {running[0].output}, started before ks-gui last closed.")
            self._start_worker(SortWorker(None, found=running[0]))
        if len(running) > 1:
            self.statusBar().showMessage(
                f"{len(running) - 1} more sorts run in the background: `ks-gui status --attach` follows them"
            )
        self.history_view.reload()

    @Slot()
    def cancel_sort(self) -> None:
        self._queue.clear()  # Cancel stops the queue too: nothing starts behind the user's back
        if self._worker is not None:
            self.cancel_button.setEnabled(False)
            self.cancel_action.setEnabled(False)
            self.stage.setText("Stopping…")
            self._worker.cancel()

    def _set_running(self, running: bool) -> None:
        self._setup_panel.setEnabled(not running)
        self.sort_action.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.cancel_action.setEnabled(running)

    def _end_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None
        self._clock.stop()
        self._set_running(False)
        self.validate()

    @Slot(list)
    def _on_refused(self, messages: list) -> None:
        self._end_thread()
        self.stage.setText("Not started")
        self.show_message("\n".join(messages), error=True)
        self.statusBar().showMessage("The sort did not start")

    @Slot(str)
    def _on_started(self, log_file: str) -> None:
        self.log_view.start(Path(log_file))
        self._started_at = time.monotonic()
        self._eta = None
        self._clock.start()
        self._tick()
        self.show_message(f"Running. The full log is saved in {log_file}")
        self.statusBar().showMessage("Sorting…")

    @Slot()
    def _on_log_available(self) -> None:
        if self._worker is None:
            return
        # The driver's markers drive the stage display; the log view shows what the sorter itself says.
        shown = [line for line in self._worker.take_log_lines() if not line.startswith(MARKER)]
        self.log_view.append(shown)

    @Slot(ProgressEvent)
    def _on_progress(self, event: ProgressEvent) -> None:
        self.progress.setValue(round(event.fraction * 1000))
        self.stage.setText(event.detail if event.detail != event.stage_title else event.stage_title)
        self.stage_list.show_progress(event)
        self._eta = event.eta_seconds
        self._tick()
        self.statusBar().showMessage(f"Sorting: {event.stage_title}, {event.fraction:.0%}")

    def _tick(self) -> None:
        elapsed = clock_text(time.monotonic() - self._started_at)
        eta = f" · about {clock_text(self._eta)} left" if self._eta is not None else ""
        self.timing.setText(f"{elapsed} elapsed{eta}")

    @Slot(str, str)
    def _on_sign_in(self, kind: str, text: str) -> None:
        if self._worker is None:
            return
        if kind == "retry":
            self._worker.answer("n")
            return
        label = {"email": "MathWorks account email", "one_time_password": "One-time password"}.get(
            kind, "MathWorks account password (not stored)"
        )
        answer = dialogs.ask_secret(self, "MATLAB sign-in", f"{text}\n\n{label}:")
        self._worker.answer(answer or "")

    @Slot(Outcome)
    def _on_finished(self, outcome: Outcome) -> None:
        elapsed = time.monotonic() - self._started_at
        self._end_thread()
        self._eta = None
        self.timing.setText(f"{clock_text(elapsed)} in all")
        if outcome.succeeded:
            self.progress.setValue(1000)
            self.stage.setText("Done")
            self.results_card.show_results(outcome.output, outcome.result)
            self.stage_list.show_done()
        else:
            self.stage.setText("Cancelled" if outcome.cancelled else "Failed")
            if not outcome.cancelled:
                self.stage_list.show_failure(outcome.failure.stage if outcome.failure else None)
                self.failure_panel.show_failure(outcome.failure, outcome.log_file, outcome.exit_code)
        self.show_message(outcome.summary(), error=not outcome.succeeded)
        self.statusBar().showMessage(self.stage.text())
        self.history_view.reload()
        if not outcome.cancelled:
            notify(self, "Sort finished" if outcome.succeeded else "Sort failed", outcome.summary())
        if self._queue:
            QTimer.singleShot(0, self._start_next_queued)

    @property
    def running(self) -> bool:
        return self._thread is not None

    # --- the other views ---------------------------------------------------------------------------------------

    @Slot()
    def show_history(self) -> None:
        self.history_view.reload()
        self.tabs.setCurrentIndex(1)

    @Slot(RunRecord)
    def run_again(self, record: RunRecord) -> None:
        """A new run of a recorded one: same recording, sorter and image, a new output folder."""
        self.tabs.setCurrentIndex(0)
        if record.sorter in SORTERS:
            self.sorter_choice.choose(record.sorter)
        self.output.clear()
        self.open_recording(Path(record.recording))
        if not self.sorter.runs_locally and record.image:
            self.image.setText(record.image)
        self.output.setText(str(_next_free_folder(Path(record.output))))

    @Slot(str)
    def open_phy_for(self, output: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.results_card.show_results(Path(output))
        self.results_card.open_phy()

    @Slot()
    def open_image_dialog(self) -> None:
        """Build image… / Clear compiled files, for the image named in the form."""
        from ks_gui.ui.image_dialog import ImageDialog  # loads the engine: only when asked for

        ImageDialog(self.image.text().strip() or self.sorter.default_image, self).exec()

    @Slot()
    def open_setup_check(self) -> None:
        from ks_gui.ui.setup_view import SetupView  # loads the engine: only when asked for

        SetupView(self).exec()

    @Slot()
    def open_storage(self) -> None:
        from ks_gui.core.engine import EngineError, connect  # Docker is looked up only when asked for

        try:
            engine = connect(timeout=10)
        except EngineError:
            engine = None
        StorageDialog(engine, self).exec()

    @Slot()
    def copy_docker_run(self) -> None:
        try:
            job = self._job_from_form()
        except ValueError as err:
            self.statusBar().showMessage(f"No command to copy: {err}")
            return
        self.statusBar().showMessage("Preparing the command…")
        run_in_background(lambda: docker_run_line(job, self.gpu.currentData()), self._on_docker_run_line, self)

    @Slot(object)
    def _on_docker_run_line(self, line: object) -> None:
        if isinstance(line, Exception):
            self.statusBar().showMessage(f"No command to copy: {line}")
            return
        QGuiApplication.clipboard().setText(str(line))
        self.statusBar().showMessage("Copied the docker run command to the clipboard")

    @Slot()
    def install_desktop_entry(self) -> None:
        files = desktop.install()
        self.statusBar().showMessage(f"Added ks-gui to the application menu ({files.entry})")

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About ks-gui",
            f"<b>ks-gui {__version__}</b><p>Spike sorting with Kilosort in Docker.</p>"
            f"<p>Settings: {settings_file()}</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._worker is not None:
            options = (
                ["Keep sorting in the background", "Stop the sort"] if self._worker.can_detach else ["Stop the sort"]
            )
            choice = dialogs.choose(
                self,
                "A sort is running",
                "Close ks-gui while the sort runs? A sort left running is found again the next time ks-gui opens.",
                options,
            )
            if choice is None:
                event.ignore()
                return
            if options[choice].startswith("Keep"):
                self._worker.detach()
            else:
                self._worker.cancel()
            self._end_thread()
        self._remember_choices()
        self._save_geometry()
        super().closeEvent(event)


def _find_earlier_runs() -> list:
    """The launcher's containers (blocking: off the GUI thread); runs on record whose container is gone end as
    interrupted."""
    from ks_gui.core.engine import connect

    found = connect(timeout=10).launched_containers()
    history.mark_interrupted(history.load_all(), alive_job_ids={f.job_id for f in found})
    return found


def _harvest(found) -> None:
    """A sort that ended while no launcher followed it: read its output, record its result, remove its container."""
    from ks_gui.core.engine import connect
    from ks_gui.core.run import SortRun

    for _event in SortRun.reattach(connect(timeout=10), found).events():
        pass
