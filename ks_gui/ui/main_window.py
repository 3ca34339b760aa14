"""The main window: the recording and the few choices a sort needs on the left, the sort's progress on the right,
the run history in its own tab, everything else in the menus."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QMargins, QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ks_gui import __version__
from ks_gui.core.contract import holds_earlier_sort
from ks_gui.core.license import LicenseError
from ks_gui.core.places.gpus import GpuRequest
from ks_gui.core.queue import CPU, JobQueue, QueuedJob
from ks_gui.core.readable import recording_title
from ks_gui.core.settings import Settings, load_settings, save_settings, settings_file
from ks_gui.core.sorters import SORTERS, Sorter
from ks_gui.core.sorters.params import ParamError
from ks_gui.ui import dialogs, icons
from ks_gui.ui.drop_zone import DropZone, WindowDrops
from ks_gui.ui.forward_compat_choice import ForwardCompatChoice
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.param_form import ParamForm
from ks_gui.ui.queue_view import QueueRow, QueueView, RowState
from ks_gui.ui.run_panel import RunPanel
from ks_gui.ui.sorter_choice import SorterChoice
from ks_gui.ui.threads import run_in_background

if TYPE_CHECKING:
    from ks_gui.core.job import SortJob
    from ks_gui.core.recordings.recording import Recording
    from ks_gui.core.results.history import RunRecord
    from ks_gui.core.run import Outcome
    from ks_gui.ui.history_view import HistoryView

# What a just-opened window does not show (recording inspection, jobs, the sort machinery, dialogs) is imported where
# it is used: the window opens faster (issue #8; tests/ui/test_window_start.py keeps numpy and docker out).


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
    """Signals: completed() once the parts the first frame does not show are built (after that frame is on screen):
    the History tab's table, the menus' shortcuts; the GPUs are being read from then on."""

    completed = Signal()

    def __init__(self, recording_path: Path | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ks-gui — Kilosort in Docker")
        loaded = load_settings() if settings is None else None
        self.settings = settings or loaded.settings
        self.sorter = SORTERS.get(self.settings.sorter) or next(iter(SORTERS.values()))
        self.recording: Recording | None = None
        self._suggested_output = ""  # the output folder the window proposed (replaced when another recording comes)
        # The sorts of this window: waiting ones in the queue (with their job and GPU request), started ones in
        # their own panel, shown one at a time in the stack on the right.
        self.job_queue = JobQueue(per_gpu=max(1, self.settings.sorts_per_gpu))
        self._waiting: dict[str, tuple[SortJob, GpuRequest]] = {}
        self._panels: dict[str, RunPanel] = {}
        self._followed_gpus: dict[str, tuple[str, ...]] = {}  # sorts an earlier launcher started: their GPUs' UUIDs
        self._shortcuts: list[tuple[QAction, QKeySequence | QKeySequence.StandardKey | str]] = []
        self._complete_scheduled = False
        self.history_view: HistoryView | None = None  # built by _complete(), after the first frame

        self._build_setup_panel()
        self._build_progress_panel()
        self._history_page = QWidget()
        QVBoxLayout(self._history_page).setContentsMargins(0, 0, 0, 0)

        splitter = QSplitter()  # side by side
        splitter.addWidget(self._setup_panel)
        splitter.addWidget(self._progress_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 680])
        self.splitter = splitter
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, icons.icon("fa6s.wave-square"), "Sort")
        self.tabs.addTab(self._history_page, icons.icon("fa6s.clock-rotate-left"), "History")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self._window_drops = WindowDrops(self, self.open_recording)  # a drop anywhere on the window

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
        self.form_message = QLabel()  # what is wrong with a dropped folder, under the drop zone
        self.form_message.setWordWrap(True)
        self.form_message.setStyleSheet("color: #b00020;")
        self.form_message.hide()

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
        self.gpu_picker.scanned.connect(self._gpus_known)
        self.sorts_per_gpu = QSpinBox()
        self.sorts_per_gpu.setRange(1, 8)
        self.sorts_per_gpu.setSuffix(" at a time on each GPU (or the CPU)")
        self.sorts_per_gpu.setToolTip("Queued sorts beyond this wait until a sort on their GPU ends")
        self.sorts_per_gpu.setValue(max(1, self.settings.sorts_per_gpu))
        self.sorts_per_gpu.valueChanged.connect(self._sorts_per_gpu_changed)
        gpu_box = QGroupBox("GPU")
        gpu_layout = QVBoxLayout(gpu_box)
        gpu_layout.addWidget(self.gpu_picker)
        gpu_layout.addWidget(self.sorts_per_gpu)

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
        self._advanced_form = advanced_form = QFormLayout(advanced_content)
        advanced_form.addRow("Environment", self.environment)
        advanced_form.addRow("Extra folders", self.mounts)
        self.forward_compat = ForwardCompatChoice()
        advanced_form.addRow("CUDA forward compatibility", self.forward_compat)
        advanced_form.addRow(self.param_form)
        advanced_layout = QVBoxLayout(self.advanced)
        advanced_layout.addWidget(advanced_content)
        open_margins = advanced_layout.contentsMargins()

        def open_advanced(opened: bool) -> None:
            advanced_content.setVisible(opened)
            self.advanced.setFlat(not opened)  # collapsed: the title alone, no empty frame under it
            advanced_layout.setContentsMargins(open_margins if opened else QMargins())

        open_advanced(False)

        self.advanced.toggled.connect(open_advanced)

        self.check_setup_button = QPushButton(icons.icon("fa6s.stethoscope"), "Check setup")
        self.check_setup_button.clicked.connect(self.open_setup_check)
        self.sort_button = QPushButton(icons.icon("fa6s.play"), "Sort")
        self.sort_button.setDefault(True)
        self.sort_button.setMinimumHeight(36)
        self.sort_button.setStyleSheet("font-weight: 600; padding: 0 24px;")
        self.sort_button.clicked.connect(self.start_sort)
        self.sort_reason = QLabel()
        self.sort_reason.setWordWrap(True)
        self.sort_reason.setStyleSheet("color: #8a5a00;")
        # Shown while the output folder holds an earlier sort: replacing it takes a click and a yes.
        self.replace_button = QPushButton("Replace its results…")
        self.replace_button.setToolTip("Sort into this folder again; the earlier results there are deleted first")
        self.replace_button.clicked.connect(self.confirm_replacing_results)
        self.replace_button.hide()
        self._replace_confirmed: Path | None = None  # the output folder whose earlier results the user gave up
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sort_button)

        form_panel = QWidget()
        layout = QVBoxLayout(form_panel)
        form_parts = (self.drop_zone, self.form_message, sorter_box, recording_box, output_box, gpu_box, self.advanced)
        for widget in form_parts:
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_panel)
        self._form_scroll = scroll
        # Sort and the reason it is disabled stay in sight below the form, however small the screen.
        self._setup_panel = QWidget()
        self._setup_panel.setMinimumWidth(440)
        panel_layout = QVBoxLayout(self._setup_panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(scroll, stretch=1)
        panel_layout.addLayout(buttons)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.sort_reason, stretch=1)
        reason_row.addWidget(self.replace_button)
        panel_layout.addLayout(reason_row)

    def _build_progress_panel(self) -> None:
        self.queue_view = QueueView()
        self.queue_view.show_requested.connect(self.show_run)
        self.queue_view.move_requested.connect(self._move_waiting)
        self.queue_view.remove_requested.connect(self._remove_waiting)
        self.queue_view.hide()  # shown once there is more than one sort to list
        self.run_stack = QStackedWidget()
        self.run_stack.addWidget(RunPanel())  # "Ready", until the first sort
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addWidget(self.queue_view)
        layout.addWidget(self.run_stack, stretch=1)
        self._progress_panel = panel

    def _build_menus(self) -> None:
        def action(menu, text: str, slot, shortcut: QKeySequence | str | None = None, icon: str = "") -> QAction:
            item = menu.addAction(icons.icon(icon) if icon else QIcon(), text)
            item.triggered.connect(slot)
            if shortcut:
                self._shortcuts.append((item, shortcut))  # set by _complete()
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

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if not self._complete_scheduled:  # the first frame: the window's own paint comes before its children's
            self._complete_scheduled = True
            QTimer.singleShot(0, self._complete)  # runs once the whole frame is on screen

    def _complete(self) -> None:
        """Build what the first frame does not show (ks_gui/ui/__init__.py says why it waits)."""
        from ks_gui.ui.history_view import HistoryView

        for item, shortcut in self._shortcuts:
            item.setShortcut(QKeySequence(shortcut))
        self._form_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_view = HistoryView()
        self.history_view.run_again.connect(self.run_again)
        self.history_view.open_phy.connect(self.open_phy_for)
        self._history_page.layout().addWidget(self.history_view)
        self.gpu_picker.scan_in_background()
        self.completed.emit()

    # --- settings ----------------------------------------------------------------------------------------------

    def _apply_settings(self) -> None:
        settings = self.settings
        self.sorter_choice.choose(self.sorter.name)
        self._sorter_changed(self.sorter)
        self.license_mode.setCurrentIndex(max(0, self.license_mode.findData(settings.license_mode)))
        self.license_value.setText(settings.license_value)
        self.license_box.keep_signed_in.setChecked(settings.keep_signed_in)
        self.gpu_picker.choose(settings.gpu if settings.gpu in ("auto", "none") else int(settings.gpu))
        self.temp_dir.setText(settings.temp_dir)
        self.environment.setText(settings.environment)
        self.forward_compat.choose(settings.cuda_forward_compat)

    def _remember_choices(self) -> None:
        settings = self.settings
        settings.sorter = self.sorter.name
        settings.license_mode = self.license_box.current_mode()
        settings.license_value = self.license_value.text().strip()
        settings.keep_signed_in = self.license_box.keep_signed_in.isChecked()
        image = self.image.text().strip()
        if image and image != self.sorter.default_image:
            settings.images[self.sorter.name] = image
        else:
            settings.images.pop(self.sorter.name, None)
        settings.gpu = str(self.gpu.currentData())
        settings.sorts_per_gpu = self.sorts_per_gpu.value()
        settings.temp_dir = self.temp_dir.text().strip()
        settings.environment = self.environment.text().strip()
        settings.cuda_forward_compat = self.forward_compat.choice()
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
            # 1200x820 where it fits (a 1366x768 laptop gets less), more of a large screen.
            screen = QGuiApplication.primaryScreen().availableGeometry()
            width = min(screen.width() - 40, max(1200, int(screen.width() * 0.7)))
            self.resize(width, min(screen.height() - 60, max(820, int(screen.height() * 0.8))))
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
        from ks_gui.core.recordings.recording import RecordingError, inspect_all

        try:
            inspection = inspect_all(path)
        except RecordingError as err:
            self.show_message(str(err))
            return
        self.drop_zone.show_inspection(inspection)  # the recording's card, with a stream picker when several
        self.show_message("")
        self.use_recording(inspection.preselected)

    @Slot(object)
    def use_recording(self, recording: Recording) -> None:
        self.recording = recording
        self.setWindowTitle(f"{recording_title(recording.binary)} — ks-gui")  # the task bar names the recording
        if recording.n_channels:
            self.channels.setValue(recording.n_channels)
        if recording.sample_rate:
            self.sample_rate.setValue(recording.sample_rate)
        if self.output.text().strip() in ("", self._suggested_output):  # never replace a folder the user chose
            beside = recording.folder.parent / f"{recording.folder.name}_kilosort"
            self._suggested_output = str(self._free_output(beside))
            self.output.setText(self._suggested_output)
        self.statusBar().showMessage(f"Opened {recording.binary}")
        self.validate()

    @Slot(object)
    def _sorter_changed(self, sorter: Sorter) -> None:
        """Kilosort 4 needs no MATLAB license; the local one no image either."""
        self.sorter = sorter
        self.form.setRowVisible(self.license_box, sorter.needs_matlab_license)
        self.form.setRowVisible(self._image_row, not sorter.runs_locally)
        # A local sorter reads the recording where it is: no folders to mount. Forward compatibility is MATLAB's CUDA's.
        self._advanced_form.setRowVisible(self.mounts, not sorter.runs_locally)
        self._advanced_form.setRowVisible(self.forward_compat, sorter.needs_matlab_license)
        self.image.setText(self.settings.images.get(sorter.name, sorter.default_image))
        self.param_form.set_sorter(sorter)
        self.validate()

    def show_message(self, text: str) -> None:
        """What is wrong with what was dropped or chosen, under the drop zone."""
        self.form_message.setText(text)
        self.form_message.setVisible(bool(text))

    def _free_output(self, folder: Path) -> Path:
        """`folder` or the next free one beside it, also passing over folders that queued sorts will write."""
        taken = self._outputs_in_use()
        candidate, n = _next_free_folder(folder), 1
        while candidate in taken:
            n += 1
            candidate = _next_free_folder(folder.with_name(f"{folder.name}_{n}"))
        return candidate

    def _outputs_in_use(self) -> set[Path]:
        waiting = {job.output for job, _request in self._waiting.values()}
        running = {Path(panel.worker.output) for panel in self._panels.values() if panel.running and panel.worker}
        return waiting | running

    def _job_from_form(self, recording: Recording | None = None, output: Path | None = None) -> SortJob:
        """The job the form describes (for `recording` into `output` where given: one probe of Sort all probes);
        raises ValueError with a message for the user."""
        recording = recording or self.recording
        if recording is None:
            raise ValueError("drop a recording folder first")
        output_text = str(output) if output else self.output.text().strip()
        if not output_text:
            raise ValueError("choose an output folder")
        from ks_gui.core.job import SortJob
        from ks_gui.core.places.container_spec import (
            EnvironmentVariableError,
            MountError,
            parse_environment,
            parse_mount,
        )

        try:
            overrides = self.param_form.overrides()
            license = self.license_box.license(use_keyring=False) if self.sorter.needs_matlab_license else None
            environment = parse_environment(shlex.split(self.environment.text()))
            mounts = tuple(parse_mount(line.strip()) for line in self.mounts.toPlainText().splitlines() if line.strip())
        except (LicenseError, EnvironmentVariableError, MountError, ParamError, ValueError) as err:
            raise ValueError(str(err).replace("--env ", "").replace("--mount ", "")) from err
        detected = recording is not self.recording  # a probe of Sort all probes: its own metadata, not the form's
        channels = recording.n_channels if detected else self.channels.value()
        sample_rate = recording.sample_rate if detected else self.sample_rate.value()
        if channels:
            overrides[self.sorter.channels_param] = channels
        if sample_rate:
            overrides[self.sorter.sample_rate_param] = sample_rate
        job = SortJob(
            recording=recording,
            output=Path(output_text),
            license=license,
            sorter=self.sorter,
            image=self.image.text().strip(),
            temp_dir=Path(self.temp_dir.text().strip()) if self.temp_dir.text().strip() else None,
            environment=environment,
            extra_mounts=mounts,
            param_overrides=overrides,
            cuda_forward_compat=self.forward_compat.choice(),
            overwrite=Path(output_text).expanduser().absolute() == self._replace_confirmed,
        )
        if job.output in self._outputs_in_use():
            raise ValueError(f"{job.output} is the output folder of a sort in the queue: choose another one")
        return job

    def _first_problem(self, recording: Recording | None = None, output: Path | None = None) -> str | None:
        """Why the form's job may not start, found without Docker (the image and GPU are checked at Sort)."""
        try:
            job = self._job_from_form(recording, output)
        except ValueError as err:
            return str(err)
        problems = job.input_problems()
        return problems[0].message if problems else None

    @Slot()
    def validate(self) -> None:
        """Sort is enabled only for a job that may start; otherwise the reason is shown beside it. While sorts run
        or wait, Sort adds to the queue."""
        problem = self._first_problem()
        self.sort_button.setEnabled(problem is None)
        self.sort_action.setEnabled(problem is None)
        self.sort_button.setText("Add to queue" if self.running else "Sort")
        self.sort_button.setToolTip("Starts as soon as its GPU is free" if self.running else "")
        self.sort_reason.setText("" if problem is None else problem[0].upper() + problem[1:])
        self.replace_button.setVisible(problem is not None and self._output_holds_earlier_sort())

    def _output_holds_earlier_sort(self) -> bool:
        """Whether the output folder holds an ended sort's results (one a queued sort writes is not replaceable)."""
        text = self.output.text().strip()
        output = Path(text).expanduser().absolute()
        return bool(text) and holds_earlier_sort(output) and output not in self._outputs_in_use()

    @Slot()
    def confirm_replacing_results(self) -> None:
        output = Path(self.output.text().strip()).expanduser().absolute()
        question = (
            f"{output} holds the results of an earlier sort. Sorting into it again deletes them when the sort starts "
            "(the recording is not touched). Replace them?"
        )
        if dialogs.confirm(self, "Replace the earlier results?", question):
            self._replace_confirmed = output
            self.validate()

    # --- running: the queue and the sorts' panels --------------------------------------------------------------

    @Slot(list)
    def sort_all(self, recordings: list) -> None:
        """Queue each probe, each into a folder of its own in a new `<run>_kilosort` folder beside the run."""
        dropped = self.drop_zone.inspection.path if self.drop_zone.inspection else recordings[0].folder
        parent = self._free_output(dropped.parent / f"{dropped.name}_kilosort")
        outputs = [parent / recording.folder.name for recording in recordings]
        for recording, output in zip(recordings, outputs, strict=True):
            problem = self._first_problem(recording, output)
            if problem is not None:  # say why, and queue none of them
                self.show_message(f"{recording.binary.name}: {problem}")
                return
        for recording, output in zip(recordings, outputs, strict=True):
            self._enqueue(self._job_from_form(recording, output))

    @Slot()
    def start_sort(self) -> None:
        """Queue the form's job; it starts at once when its GPU is free."""
        try:
            job = self._job_from_form()
        except ValueError as err:
            self.show_message(str(err))
            return
        self._enqueue(job)

    def _enqueue(self, job: SortJob) -> None:
        if self.sorter.needs_matlab_license:
            job.license = self.license_box.license()  # now the token may come from the keyring
        gpu_request: GpuRequest = self.gpu.currentData()
        self._remember_choices()
        self._waiting[job.job_id] = (job, gpu_request)
        self._replace_confirmed = None  # a yes to replacing results was for this sort only
        self.job_queue.add(QueuedJob(job.job_id, gpu_request, recording_title(job.recording.binary)))
        self.tabs.setCurrentIndex(0)
        self._start_what_may_start()

    def _start_what_may_start(self) -> None:
        from ks_gui.ui.sort_worker import SortWorker

        for placement in self.job_queue.start_next(self.gpu_picker.gpus):
            job, request = self._waiting.pop(placement.job.job_id)
            # "auto" became a GPU of its own in the queue's placement: the sort gets that one.
            gpu_request = placement.device if isinstance(placement.device, int) else request
            panel = self._panel_for(job.job_id, recording_title(job.recording.binary))
            panel.start(SortWorker(job, gpu_request))
            self.statusBar().showMessage(f"Checking {job.recording.binary.name}…")
        self._refresh_queue()
        self.validate()

    def _panel_for(self, job_id: str, title: str) -> RunPanel:
        """A new panel for a sort, shown at once; the blank "Ready" panel is used for the first one."""
        blank = self.run_stack.widget(0)
        if isinstance(blank, RunPanel) and not blank.used and job_id not in self._panels:
            panel = blank
            panel.title = title
        else:
            panel = RunPanel(title)
            self.run_stack.addWidget(panel)
        self._panels[job_id] = panel
        panel.changed.connect(self._refresh_queue)
        panel.ended.connect(lambda outcome, job_id=job_id: self._on_run_ended(job_id, outcome))
        self.run_stack.setCurrentWidget(panel)
        return panel

    @Slot(str)
    def show_run(self, job_id: str) -> None:
        if job_id in self._panels:
            self.run_stack.setCurrentWidget(self._panels[job_id])
            self.cancel_action.setEnabled(self.run_panel.running)

    @property
    def run_panel(self) -> RunPanel:
        """The sort shown on the right."""
        return self.run_stack.currentWidget()

    def _on_run_ended(self, job_id: str, outcome: Outcome | None) -> None:
        self.job_queue.finished(job_id)
        self._reload_history()
        panel = self._panels[job_id]
        self.statusBar().showMessage(f"{panel.title}: {panel.stage.text()}")
        if outcome is not None and (outcome.interrupted or not outcome.cancelled):
            title = (
                "Sort finished" if outcome.succeeded else "Sort interrupted" if outcome.interrupted else "Sort failed"
            )
            from ks_gui.ui.notify import notify

            notify(self, title, outcome.summary())
        QTimer.singleShot(0, self._start_what_may_start)

    @Slot()
    def _gpus_known(self) -> None:
        self._mark_followed_gpus()  # followed before nvidia-smi answered: now their GPUs are known
        if self._waiting:  # queued before nvidia-smi answered: they may start now
            self._start_what_may_start()

    def _mark_followed_gpus(self) -> None:
        """A followed sort's GPU is taken while it runs: new sorts queue behind it (on the CPU's line when it has
        no GPU, or while the GPUs are not known yet)."""
        by_uuid = {gpu.uuid: gpu.index for gpu in self.gpu_picker.gpus}
        for job_id, uuids in self._followed_gpus.items():
            if self._panels[job_id].running:
                device = next((by_uuid[uuid] for uuid in uuids if uuid in by_uuid), CPU)
                self.job_queue.mark_running(job_id, device)

    @Slot(int)
    def _sorts_per_gpu_changed(self, limit: int) -> None:
        self.job_queue.per_gpu = limit
        self._start_what_may_start()  # a higher limit lets waiting sorts start now

    @Slot(str, int)
    def _move_waiting(self, job_id: str, places: int) -> None:
        self.job_queue.move(job_id, places)
        self._refresh_queue()

    @Slot(str)
    def _remove_waiting(self, job_id: str) -> None:
        self.job_queue.remove(job_id)
        self._waiting.pop(job_id, None)
        self._refresh_queue()
        self.validate()

    @Slot()
    def _refresh_queue(self) -> None:
        """The queue list: running sorts, waiting ones in the order they start, then the ended ones."""
        started = [(job_id, panel) for job_id, panel in self._panels.items()]
        rows = [QueueRow(j, p.title, p.state_text(), RowState.RUNNING) for j, p in started if p.running]
        for queued in self.job_queue.waiting:
            request = self._waiting[queued.job_id][1]
            where = "the CPU" if request == "none" else "a GPU" if request == "auto" else f"GPU {request}"
            rows.append(QueueRow(queued.job_id, queued.label, f"waiting for {where}", RowState.WAITING))
        for job_id, panel in started:
            if not panel.running:
                rows.append(QueueRow(job_id, panel.title, panel.state_text(), _ended_state(panel.outcome)))
        shown = next((j for j, p in started if p is self.run_panel), None)
        self.queue_view.set_rows(rows, shown)
        self.queue_view.setVisible(len(rows) > 1)
        self.cancel_action.setEnabled(self.run_panel.running)

    def follow_earlier_runs(self) -> None:
        """Sorts an earlier launcher started: ended ones are recorded, running ones are followed here."""
        run_in_background(_find_earlier_runs, self._on_earlier_runs, self)

    @Slot(object)
    def _on_earlier_runs(self, found: object) -> None:
        if not isinstance(found, list):  # no Docker here: nothing to follow
            self._queue_kept_sorts()
            return
        from ks_gui.ui.sort_worker import SortWorker

        for container in (f for f in found if not f.running):
            run_in_background(lambda c=container: _harvest(c), lambda _result: self._reload_history(), self)
        for container in (f for f in found if f.running and f.job_id not in self._panels):
            self._followed_gpus[container.job_id] = container.gpu_uuids
            panel = self._panel_for(container.job_id, _found_title(container))
            panel.start(
                SortWorker(None, found=container),
                stage="Following a sort started earlier",
                message=f"Following the sort into {container.output}, started before ks-gui last closed.",
            )
        self._mark_followed_gpus()
        self._queue_kept_sorts()  # after the followed ones: they hold their GPUs first
        self._reload_history()

    def _queue_kept_sorts(self) -> None:
        """Queue again the sorts that waited when the last window closed with sorts left running."""
        from ks_gui.core import waiting_sorts

        queued, problems = 0, []
        for kept in waiting_sorts.take():
            if kept.job is None or kept.job.output in self._outputs_in_use():
                problem = kept.problem or f"another sort writes {kept.job.output}"
                problems.append(f"{kept.label}, waiting when ks-gui closed, is not queued again: {problem}")
                continue
            self._waiting[kept.job.job_id] = (kept.job, kept.gpu)
            self.job_queue.add(QueuedJob(kept.job.job_id, kept.gpu, recording_title(kept.job.recording.binary)))
            queued += 1
        if problems:
            self.show_message("\n".join(problems))
        if queued:
            self.statusBar().showMessage(f"Queued again: {_sorts(queued)} waiting when ks-gui closed")
        self._start_what_may_start()  # refreshes the queue list and the form

    @Slot()
    def cancel_sort(self) -> None:
        """Cancel the sort shown (the others, and the queue, go on: the queue list removes waiting ones)."""
        self.run_panel.cancel()

    @property
    def running(self) -> bool:
        """Whether any sort of this window runs or waits."""
        return bool(self._waiting) or any(panel.running for panel in self._panels.values())

    # --- the other views ---------------------------------------------------------------------------------------

    @Slot()
    def show_history(self) -> None:
        self._reload_history()
        self.tabs.setCurrentIndex(1)

    def _reload_history(self) -> None:
        if self.history_view is not None:  # else it reads the history when it is built
            self.history_view.reload()

    @Slot(object)
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
        if self.run_panel.used:  # keep each sort's panel as it is
            self.run_stack.setCurrentWidget(self.run_stack.widget(self.run_stack.addWidget(RunPanel())))
        self.run_panel.results_card.show_results(Path(output))
        self.run_panel.results_card.open_phy()

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
        from ks_gui.core.places.docker_engine import EngineError, connect  # Docker is looked up only when asked for

        try:
            engine = connect(timeout=10)
        except EngineError:
            engine = None
        from ks_gui.ui.storage_dialog import StorageDialog

        StorageDialog(engine, self).exec()

    @Slot()
    def copy_docker_run(self) -> None:
        from ks_gui.ui.sort_worker import docker_run_line

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
        from ks_gui.core import desktop

        files = desktop.install()
        self.statusBar().showMessage(f"Added ks-gui to the application menu ({files.entry})")

    @Slot()
    def show_about(self) -> None:
        dialogs.about(
            self,
            "About ks-gui",
            f"<b>ks-gui {__version__}</b><p>Spike sorting with Kilosort in Docker.</p>"
            f"<p>Settings: {settings_file()}</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        running = [panel for panel in self._panels.values() if panel.running]
        if running:
            can_detach = all(panel.can_detach for panel in running)
            options = ["Keep sorting in the background", "Stop the sorts"] if can_detach else ["Stop the sorts"]
            waiting = ""
            if self._waiting:
                kept = "waits for the next ks-gui window if you keep sorting" if can_detach else "will not start"
                waiting = f" What is waiting ({_sorts(len(self._waiting))}) {kept}."
            choice = dialogs.choose(
                self,
                "Sorts are running" if len(running) > 1 else "A sort is running",
                "Close ks-gui while sorting? A sort left running is found again the next time ks-gui opens." + waiting,
                options,
            )
            if choice is None:
                event.ignore()
                return
            keep = options[choice].startswith("Keep")
            from ks_gui.core import waiting_sorts

            # As the question said: nothing more starts here; kept, the waiting sorts are the next window's.
            waiting_sorts.keep([self._waiting[queued.job_id] for queued in self.job_queue.waiting] if keep else [])
            self.job_queue.waiting.clear()
            self._waiting.clear()
            # The question ran an event loop: a queued sort may have started meanwhile, so look again.
            for panel in (panel for panel in self._panels.values() if panel.running):
                if keep and panel.can_detach:
                    panel.detach()
                else:
                    panel.stop()
        self._remember_choices()
        self._save_geometry()
        super().closeEvent(event)


def _ended_state(outcome: Outcome | None) -> RowState:
    if outcome is None or outcome.cancelled or outcome.interrupted:
        return RowState.STOPPED  # never started, left running, cancelled, or Docker went away
    return RowState.SUCCEEDED if outcome.succeeded else RowState.FAILED


def _sorts(n: int) -> str:
    return "1 sort" if n == 1 else f"{n} sorts"


def _found_title(found) -> str:
    """The queue list's name for a sort an earlier launcher started: its recording's, as on record."""
    from ks_gui.core.results import history

    record = history.find(found.job_id)
    return Path(found.output).name if record is None else recording_title(record.recording)


def _find_earlier_runs() -> list:
    """The launcher's containers (blocking: off the GUI thread); runs on record whose container is gone end as
    interrupted."""
    from ks_gui.core.places.docker_engine import connect
    from ks_gui.core.results import history

    found = connect(timeout=10).launched_containers()
    history.mark_interrupted(history.load_all(), alive_job_ids={f.job_id for f in found})
    return found


def _harvest(found) -> None:
    """A sort that ended while no launcher followed it: read its output, record its result, remove its container."""
    from ks_gui.core.places.docker_engine import connect
    from ks_gui.core.run import SortRun

    for _event in SortRun.reattach(connect(timeout=10), found).events():
        pass
