"""The main window: a recording, the few fields a sort needs, Sort, and the sort's progress and log."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import qtawesome
from PySide6.QtCore import QThread, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.container import EnvironmentVariableError, parse_environment
from ks_gui.core.contract import MARKER
from ks_gui.core.gpu import GpuRequest
from ks_gui.core.job import SortJob
from ks_gui.core.license import LicenseError
from ks_gui.core.progress import ProgressEvent
from ks_gui.core.readable import clock_text
from ks_gui.core.recording import Recording, RecordingError, inspect_all
from ks_gui.core.run import Outcome
from ks_gui.core.sorters import DEFAULT_SORTER, SORTERS, Sorter
from ks_gui.ui import dialogs
from ks_gui.ui.drop_zone import DropZone, WindowDrops
from ks_gui.ui.failure_panel import FailurePanel
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.image_dialog import ImageDialog
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.results_card import ResultsCard
from ks_gui.ui.setup_view import SetupView
from ks_gui.ui.sort_worker import SortWorker
from ks_gui.ui.sorter_choice import SorterChoice
from ks_gui.ui.stage_list import StageList

LOG_LINES_KEPT = 20_000


class MainWindow(QMainWindow):
    def __init__(self, recording_path: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ks-gui — Kilosort in Docker")
        self.sorter = SORTERS[DEFAULT_SORTER]
        self.recording: Recording | None = None
        self._thread: QThread | None = None
        self._worker: SortWorker | None = None
        self._started_at = 0.0
        self._eta: float | None = None

        self.drop_zone = DropZone()
        self.drop_zone.path_chosen.connect(self.open_recording)
        self.drop_zone.recording_chosen.connect(self.use_recording)
        self._window_drops = WindowDrops(self, self.open_recording)  # a drop anywhere on the window

        self.channels = QSpinBox()
        self.channels.setRange(0, 4096)
        self.channels.setSpecialValueText("enter the channel count")
        self.sample_rate = QDoubleSpinBox()
        self.sample_rate.setRange(0, 200_000)
        self.sample_rate.setDecimals(1)
        self.sample_rate.setSuffix(" Hz")
        self.sample_rate.setSpecialValueText("enter the sample rate")
        self.output = QLineEdit()
        self.output.setPlaceholderText("a new folder for the results")
        output_browse = QPushButton("Browse…")
        output_browse.clicked.connect(self._browse_output)
        self.license_box = LicenseBox()
        self.license_mode = self.license_box.mode
        self.license_value = self.license_box.value
        self.image = QLineEdit(self.sorter.default_image)
        self.environment = QLineEdit()
        self.environment.setPlaceholderText(
            "optional KEY=VALUE pairs for the container, e.g. HTTPS_PROXY=http://proxy:3128"
        )
        self.gpu_picker = GpuPicker()
        self.gpu = self.gpu_picker.combo

        output_row = QHBoxLayout()
        output_row.addWidget(self.output, stretch=1)
        output_row.addWidget(output_browse)
        form = QFormLayout()
        self.form = form
        self.sorter_choice = SorterChoice()
        self.sorter_choice.changed.connect(self._sorter_changed)
        form.addRow("Sorter", self.sorter_choice)
        form.addRow("Channels", self.channels)
        form.addRow("Sample rate", self.sample_rate)
        form.addRow("Output folder", output_row)
        form.addRow("MATLAB license", self.license_box)
        self.image_button = QPushButton("Build image…")
        self.image_button.setToolTip("Build the Kilosort image, or clear its compiled files")
        self.image_button.clicked.connect(self.open_image_dialog)
        image_row = QHBoxLayout()
        image_row.addWidget(self.image, stretch=1)
        image_row.addWidget(self.image_button)
        form.addRow("Image", image_row)
        self._image_row = image_row
        form.addRow("Environment", self.environment)
        form.addRow("GPU", self.gpu_picker)

        self.sort_button = QPushButton(qtawesome.icon("fa6s.play"), "Sort")
        self.sort_button.setDefault(True)
        self.sort_button.clicked.connect(self.start_sort)
        self.cancel_button = QPushButton(qtawesome.icon("fa6s.stop"), "Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_sort)
        buttons = QHBoxLayout()
        self.check_setup_button = QPushButton(qtawesome.icon("fa6s.stethoscope"), "Check setup")
        self.check_setup_button.clicked.connect(lambda: SetupView(self).exec())
        buttons.addWidget(self.check_setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sort_button)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.stage = QLabel("Ready")
        self.stage.setStyleSheet("font-weight: 600;")
        self.timing = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        stage_row = QHBoxLayout()
        stage_row.addWidget(self.stage, stretch=1)
        stage_row.addWidget(self.timing)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES_KEPT)
        self.log.setFont(QFont("monospace", 9))
        self.log.setPlaceholderText("The sorter's output appears here.")

        layout = QVBoxLayout()
        layout.addWidget(self.drop_zone)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.results_card = ResultsCard()
        layout.addWidget(self.results_card)
        layout.addLayout(stage_row)
        layout.addWidget(self.progress)
        self.failure_panel = FailurePanel()
        layout.addWidget(self.failure_panel)
        self.stage_list = StageList()  # beside the log: the stages tick off as the sort advances
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.stage_list)
        progress_row.addWidget(self.log, stretch=1)
        layout.addLayout(progress_row, stretch=1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.resize(900, 760)

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        if recording_path is not None:
            self.open_recording(recording_path)

    # --- the form ----------------------------------------------------------------------------------------------

    def _browse_output(self) -> None:
        folder = dialogs.choose_folder(self, "Choose the output folder")
        if folder is not None:
            self.output.setText(str(folder))

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
            self.output.setText(str(recording.folder.parent / f"{recording.folder.name}_kilosort"))
        self.show_message("")

    @Slot(object)
    def _sorter_changed(self, sorter: Sorter) -> None:
        """Kilosort 4 needs no MATLAB license; the local one no image either."""
        self.sorter = sorter
        self.form.setRowVisible(self.license_box, sorter.needs_matlab_license)
        self.form.setRowVisible(self._image_row, not sorter.runs_locally)
        self.image.setText(sorter.default_image)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    def _job_from_form(self) -> SortJob:
        """The job the form describes; raises ValueError with a message for the user."""
        if self.recording is None:
            raise ValueError("drop a recording folder first")
        if not self.output.text().strip():
            raise ValueError("choose an output folder")
        overrides: dict = {}
        if self.channels.value():
            overrides[self.sorter.channels_param] = self.channels.value()
        if self.sample_rate.value():
            overrides[self.sorter.sample_rate_param] = self.sample_rate.value()
        try:
            license = self.license_box.license()
            environment = parse_environment(shlex.split(self.environment.text()))
        except (LicenseError, EnvironmentVariableError) as err:
            raise ValueError(str(err).replace("--env ", "")) from err
        return SortJob(
            recording=self.recording,
            output=Path(self.output.text().strip()),
            license=license,
            sorter=self.sorter,
            image=self.image.text().strip(),
            environment=environment,
            param_overrides=overrides,
        )

    # --- running -----------------------------------------------------------------------------------------------

    @Slot()
    def start_sort(self) -> None:
        try:
            job = self._job_from_form()
        except ValueError as err:
            self.show_message(str(err), error=True)
            return
        gpu_request: GpuRequest = self.gpu.currentData()
        self._set_running(True)
        self.show_message("Checking…")
        self.log.clear()
        self.results_card.hide()
        self.progress.setValue(0)
        self.stage.setText("Starting")
        self.stage_list.reset()
        self.failure_panel.clear()

        self._thread = QThread(self)
        self._worker = SortWorker(job, gpu_request)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.refused.connect(self._on_refused)
        self._worker.started.connect(self._on_started)
        self._worker.log_available.connect(self._on_log_available)
        self._worker.progress.connect(self._on_progress)
        self._worker.sign_in_requested.connect(self._on_sign_in)
        self._worker.finished.connect(self._on_finished)
        self._thread.start()

    @Slot()
    def cancel_sort(self) -> None:
        if self._worker is not None:
            self.cancel_button.setEnabled(False)
            self.stage.setText("Stopping…")
            self._worker.cancel()

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.sorter_choice,
            self.drop_zone,
            self.channels,
            self.sample_rate,
            self.output,
            self.license_mode,
            self.license_value,
            self.image,
            self.image_button,
            self.gpu,
            self.sort_button,
        ):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _end_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None
        self._clock.stop()
        self._set_running(False)

    @Slot(list)
    def _on_refused(self, messages: list) -> None:
        self._end_thread()
        self.stage.setText("Not started")
        self.show_message("\n".join(messages), error=True)

    @Slot(str)
    def _on_started(self, log_file: str) -> None:
        self._started_at = time.monotonic()
        self._eta = None
        self._clock.start()
        self._tick()
        self.show_message(f"Running. The full log is saved in {log_file}")

    @Slot()
    def _on_log_available(self) -> None:
        if self._worker is None:
            return
        # The driver's markers drive the stage display; the log view shows what the sorter itself says.
        shown = [line for line in self._worker.take_log_lines() if not line.startswith(MARKER)]
        if shown:
            self.log.appendPlainText("\n".join(shown))

    @Slot(ProgressEvent)
    def _on_progress(self, event: ProgressEvent) -> None:
        self.progress.setValue(round(event.fraction * 1000))
        self.stage.setText(event.detail if event.detail != event.stage_title else event.stage_title)
        self.stage_list.show_progress(event)
        self._eta = event.eta_seconds
        self._tick()

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
        self._end_thread()
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

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def open_image_dialog(self) -> None:
        """Build image… / Clear compiled files, for the image named in the form."""
        ImageDialog(self.image.text().strip() or self.sorter.default_image, self).exec()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._worker is not None:
            self._worker.cancel()
            self._end_thread()
        super().closeEvent(event)
