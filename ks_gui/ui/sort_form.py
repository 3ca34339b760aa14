"""The setup form: the recording, the sorter and where it runs, the license, the GPU, the output folder and the
advanced choices; it builds the SortJob they describe, says why that job may not start, and marks the field a
problem names."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.license import LicenseError
from ks_gui.core.settings import Settings, load_settings
from ks_gui.core.sorters import SORTERS, Sorter, sorter_named
from ks_gui.core.sorters.params import ParamError
from ks_gui.core.sorting import DEFAULT_PLACE, places_for
from ks_gui.ui import dialogs, icons
from ks_gui.ui.drop_zone import DropZone
from ks_gui.ui.field_marks import MARK_STYLE, set_marked
from ks_gui.ui.form_parts import AdvancedSection, GpuSection, form_layout, narrowable
from ks_gui.ui.image_presence import ImagePresence
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.recording_fields import RecordingFields
from ks_gui.ui.replace_results import ReplaceButton, next_free_folder
from ks_gui.ui.sorter_choice import LOCAL, PlaceChoice, SorterChoice, first_choice
from ks_gui.ui.wheel_guard import WheelGuard, guard_wheel

if TYPE_CHECKING:
    from ks_gui.core.job import Problem, SortJob
    from ks_gui.core.recordings.recording import Recording
    from ks_gui.ui.trace_preview_panel import TracePreviewPanel

# A widget marked as the one a problem names: a red frame, the message as its tooltip (issue 15).


class RefusedError(ValueError):
    """The form describes no job (yet): `problem` says why and which field."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _refused(field: str, message: str) -> RefusedError:
    from ks_gui.core.job import Problem

    return RefusedError(Problem(field, message))


def _browse_row(field: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field, stretch=1)
    row.addWidget(button)
    return row


class SortForm(QWidget):
    """Signals: recording_opened(Recording); status(str) for the window's status line; validated(bool) after each
    check; sort_requested() (Sort); sort_all_requested(list) (Sort all probes); check_setup_requested();
    image_dialog_requested(); sorter_chosen(Sorter).
    `outputs_in_use` and `busy` are asked, not kept: the sorts controller knows which folders queued and running
    sorts write and whether any sort runs or waits."""

    recording_opened = Signal(object)
    status = Signal(str)
    validated = Signal(bool)  # whether the form's job may start
    sort_requested = Signal()
    sort_all_requested = Signal(list)
    check_setup_requested = Signal()
    image_dialog_requested = Signal()
    scroll: QScrollArea  # type: ignore[assignment]  # hides QWidget.scroll(dx, dy), which the form never calls
    sorter_chosen = Signal(object)  # the Sorter now chosen (the idle panel lists its stages)

    def __init__(
        self,
        settings: Settings,
        outputs_in_use: Callable[[], set[Path]] = set,
        busy: Callable[[], bool] = bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.outputs_in_use = outputs_in_use
        self.busy = busy
        if settings.sorter not in SORTERS:  # never chosen: start on what this computer can run
            settings.sorter, settings.place = first_choice()
        self.sorter: Sorter = SORTERS[settings.sorter]
        self.place = DEFAULT_PLACE
        self.recording: Recording | None = None
        self._suggested_output = ""  # the output folder the form proposed (replaced when another recording comes)
        self._marked: QWidget | None = None
        # What the check at Sort found (the image, the GPU, a server's folders): marked until the user edits.
        self._found_at_sort: Problem | None = None
        self._build()
        self.setStyleSheet(MARK_STYLE)

    # --- building ----------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.drop_zone = DropZone()
        self.drop_zone.recording_chosen.connect(self.use_recording)
        self.drop_zone.sort_all_requested.connect(self.sort_all_requested)
        self.form_message = QLabel()  # what is wrong with a dropped folder, under the drop zone
        self.form_message.setWordWrap(True)
        self.form_message.setStyleSheet("color: #b00020;")
        self.form_message.hide()

        self.sorter_choice = SorterChoice()
        self.sorter_choice.changed.connect(self._sorter_changed)
        self.place_choice = PlaceChoice()
        self.place_choice.changed.connect(self._place_changed)
        self.image = narrowable(QLineEdit(self.sorter.default_image))
        self.image_button = QPushButton("Build image…")
        self.image_button.setToolTip("Build the Kilosort image, or clear its compiled files")
        self.image_button.clicked.connect(self.image_dialog_requested)
        self.image_button.clicked.connect(lambda: self.check_image(again=True))  # after the dialog: built now?
        self.image_presence = ImagePresence(self)
        self.image_presence.changed.connect(self.validate)
        self.image.editingFinished.connect(self.check_image)
        self._image_row = _browse_row(self.image, self.image_button)
        self.license_box = LicenseBox()
        self.license_mode = self.license_box.mode
        self.license_value = self.license_box.value
        sorter_box = QGroupBox("Sorter")
        self.form = form_layout(sorter_box)
        self.form.addRow("Sorter", self.sorter_choice)
        self.form.addRow("Runs on", self.place_choice)
        self.form.addRow("Image", self._image_row)
        self.form.addRow("MATLAB license", self.license_box)

        recording_box = RecordingFields()
        self.recording_fields, self.channels, self.sample_rate = (
            recording_box,
            recording_box.channels,
            recording_box.sample_rate,
        )

        self.output = narrowable(QLineEdit())
        self.output.setPlaceholderText("a new folder for the results")
        output_browse = QPushButton("Browse…")
        output_browse.clicked.connect(lambda: self._browse_into(self.output, "Choose the output folder"))
        self.temp_dir = narrowable(QLineEdit())
        self.temp_dir.setPlaceholderText("the output folder")
        self.temp_dir.setToolTip("Kilosort's temp file is as large as the recording: a fast disk with room helps")
        temp_browse = QPushButton("Browse…")
        temp_browse.clicked.connect(lambda: self._browse_into(self.temp_dir, "Choose a folder for the temp file"))
        output_box = QGroupBox("Results")
        output_form = form_layout(output_box)
        output_form.addRow("Output folder", _browse_row(self.output, output_browse))
        output_form.addRow("Temp file in", _browse_row(self.temp_dir, temp_browse))

        gpu_box = GpuSection(self.settings.sorts_per_gpu)
        self.gpu_picker, self.gpu, self.sorts_per_gpu = gpu_box.picker, gpu_box.picker.combo, gpu_box.sorts_per_gpu

        self.advanced = AdvancedSection(self.sorter)
        self._advanced_form = self.advanced.form
        self.environment, self.mounts = self.advanced.environment, self.advanced.mounts
        self.param_form, self.forward_compat = self.advanced.param_form, self.advanced.forward_compat

        self.check_setup_button = QPushButton(icons.icon("fa6s.stethoscope"), "Check setup")
        self.check_setup_button.clicked.connect(self.check_setup_requested)
        self.sort_button = QPushButton(icons.icon("fa6s.play"), "Sort")
        self.sort_button.setDefault(True)
        self.sort_button.setMinimumHeight(36)
        self.sort_button.setStyleSheet("font-weight: 600; padding: 0 24px;")
        self.sort_button.clicked.connect(self.sort_requested)
        self.sort_reason = QLabel()
        self.sort_reason.setWordWrap(True)
        self.sort_reason.setStyleSheet("color: #8a5a00;")
        # Shown while the output folder holds an earlier sort: replacing it takes a click and a yes.
        self.replace_button = ReplaceButton(lambda: self.output.text(), lambda: self.outputs_in_use())
        self.replace_button.confirmed.connect(self.validate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sort_button)

        form_panel = QWidget()
        layout = QVBoxLayout(form_panel)
        self._form_layout = layout
        self.trace_panel: TracePreviewPanel | None = None  # made when the first recording opens, not at start
        form_parts = (self.drop_zone, self.form_message, sorter_box, recording_box, output_box, gpu_box, self.advanced)
        for widget in form_parts:
            layout.addWidget(widget)
        layout.addStretch(1)
        # The form scrolls up and down, never sideways: every part of it gives up width (elided, wrapped, scaled)
        # down to the panel's minimum width (issue 15: a 1540-channel NP2.0 recording clipped it at 1366 px).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_panel)
        self.scroll = scroll
        # Sort and the reason it is disabled stay in sight below the form, however small the screen.
        self.setMinimumWidth(440)
        panel_layout = QVBoxLayout(self)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(scroll, stretch=1)
        panel_layout.addLayout(buttons)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.sort_reason, stretch=1)
        reason_row.addWidget(self.replace_button)
        panel_layout.addLayout(reason_row)

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
            signal.connect(self._edited)  # cheap: metadata and folder checks only, so at every keystroke
        self._wheel_guard = WheelGuard(self)
        self._form_panel = form_panel

    # --- settings ----------------------------------------------------------------------------------------------

    def apply_settings(self) -> None:
        settings = self.settings
        self.choose(self.sorter.name, settings.place)
        self.license_mode.setCurrentIndex(max(0, self.license_mode.findData(settings.license_mode)))
        self.license_value.setText(settings.license_value)
        self.license_box.keep_signed_in.setChecked(settings.keep_signed_in)
        self.gpu_picker.choose(settings.gpu if settings.gpu in ("auto", "none") else int(settings.gpu))
        self.temp_dir.setText(settings.temp_dir)
        self.environment.setText(settings.environment)
        self.forward_compat.choose(settings.cuda_forward_compat)

    def remember_choices(self) -> None:
        """Write the form's choices into the settings (the window saves them)."""
        settings = self.settings
        settings.sorter = self.sorter.name
        settings.place = self.place
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
            self.recording_fields.remember(self.recording, settings)
        # Servers and clusters are written by their own dialogs (core/doors/servers.py, clusters.py): as on disk.
        stored = load_settings().settings
        settings.servers, settings.clusters = stored.servers, stored.clusters

    # --- what the user chooses ---------------------------------------------------------------------------------

    def choose(self, name: str, place: str | None = None) -> None:
        """Pick a sorter by name (a shorthand such as "kilosort4-local" names its place too) and where it runs."""
        sorter, implied = sorter_named(name)
        self.sorter_choice.choose(sorter.name)
        self._sorter_changed(sorter, place or implied)

    def _browse_into(self, field: QLineEdit, title: str) -> None:
        folder = dialogs.choose_folder(self, title, field.text())
        if folder is not None:
            field.setText(str(folder))

    @Slot(object)
    def use_recording(self, recording: Recording) -> None:
        self.recording = recording
        self.recording_fields.fill(recording, self.settings)
        if self.output.text().strip() in ("", self._suggested_output):  # never replace a folder the user chose
            beside = recording.folder.parent / f"{recording.folder.name}_kilosort"
            self._suggested_output = str(self.free_output(beside))
            self.output.setText(self._suggested_output)
        self.recording_opened.emit(recording)
        self.status.emit(f"Opened {recording.binary}")
        self.validate()
        if self.trace_panel is None:
            from ks_gui.ui.trace_preview_panel import TracePreviewPanel

            self.trace_panel = TracePreviewPanel(self.channels, self.sample_rate)
            self._form_layout.insertWidget(self._form_layout.indexOf(self.form_message) + 1, self.trace_panel)
            self.trace_panel.show()
            guard_wheel(self.trace_panel, self._wheel_guard)
        self.trace_panel.set_recording(recording)  # the traces below its card, read as the form says

    @Slot(object)
    def _sorter_changed(self, sorter: Sorter, place: str | None = None) -> None:
        """Kilosort 4 needs no MATLAB license; the places offered are those that can run the sorter."""
        self.sorter = sorter
        self.sorter_chosen.emit(sorter)
        self.gpu_picker.for_sorter(not sorter.needs_matlab_license)  # Kilosort 4 sorts on the CPU too
        self.form.setRowVisible(self.license_box, sorter.needs_matlab_license)
        # Forward compatibility is MATLAB's CUDA's.
        self._advanced_form.setRowVisible(self.forward_compat, sorter.needs_matlab_license)
        self.image.setText(self.settings.images.get(sorter.name, sorter.default_image))
        self.param_form.set_sorter(sorter)
        self.form.setRowVisible(self.place_choice, len(places_for(sorter)) > 1)
        self.place_choice.offer(sorter, place)  # calls _place_changed, which validates

    def offer_places(self, place: str | None = None) -> None:
        """List the places again (a server was added), choosing `place`."""
        self._sorter_changed(self.sorter, place)

    @Slot(str)
    def _place_changed(self, place: str) -> None:
        """The local environment reads the recording where it is: no image, no folders to mount."""
        self.place = place
        self._found_at_sort = None  # what the check at Sort found was about the place left behind
        self.show_message("")
        in_container = place != LOCAL
        self.form.setRowVisible(self._image_row, in_container)
        self._advanced_form.setRowVisible(self.mounts, in_container)
        if self.isVisible():  # at start, the window asks once its first frame is on screen
            self.check_image()
        self.validate()

    def show_message(self, text: str) -> None:
        """What is wrong with what was dropped or chosen, under the drop zone."""
        self.form_message.setText(text)
        self.form_message.setVisible(bool(text))

    def free_output(self, folder: Path) -> Path:
        """`folder` or the next free one beside it, also passing over folders that queued sorts will write."""
        taken = self.outputs_in_use()
        candidate, n = next_free_folder(folder), 1
        while candidate in taken:
            n += 1
            candidate = next_free_folder(folder.with_name(f"{folder.name}_{n}"))
        return candidate

    # --- the job -----------------------------------------------------------------------------------------------

    def job(self, recording: Recording | None = None, output: Path | None = None) -> SortJob:
        """The job the form describes (for `recording` into `output` where given: one probe of Sort all probes);
        raises RefusedError, whose problem names the field at fault."""
        recording = recording or self.recording
        if recording is None:
            raise _refused("recording", "drop a recording folder first")
        output_text = str(output) if output else self.output.text().strip()
        if not output_text:
            raise _refused("output", "choose an output folder")
        from ks_gui.core.job import SortJob
        from ks_gui.core.mounts import EnvironmentVariableError, MountError, parse_environment, parse_mount

        try:
            overrides = self.param_form.overrides()
        except (ParamError, ValueError) as err:
            raise _refused("params", str(err)) from err
        try:
            license = self.license_box.license(use_keyring=False) if self.sorter.needs_matlab_license else None
        except (LicenseError, ValueError) as err:
            raise _refused("license", str(err)) from err
        try:
            environment = parse_environment(shlex.split(self.environment.text()))
        except (EnvironmentVariableError, ValueError) as err:
            raise _refused("environment", str(err)) from err
        try:
            lines = self.mounts.toPlainText().splitlines()
            mounts = tuple(parse_mount(line.strip()) for line in lines if line.strip())
        except (MountError, ValueError) as err:
            raise _refused("mounts", str(err)) from err
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
            place=self.place,
            image=self.image.text().strip(),
            temp_dir=Path(self.temp_dir.text().strip()) if self.temp_dir.text().strip() else None,
            environment=environment,
            extra_mounts=mounts,
            param_overrides=overrides,
            cuda_forward_compat=self.forward_compat.choice(),
            overwrite=Path(output_text).expanduser().absolute() == self.replace_button.confirmed_folder,
        )
        if job.output in self.outputs_in_use():
            raise _refused("output", f"{job.output} is the output folder of a sort in the queue: choose another one")
        return job

    def first_problem(self, recording: Recording | None = None, output: Path | None = None) -> Problem | None:
        """Why the form's job may not start, found without Docker (the image and GPU are checked at Sort)."""
        try:
            job = self.job(recording, output)
        except RefusedError as refused:
            return refused.problem
        problems = job.input_problems()
        if not problems and (missing := self.image_presence.problem_text(job.place, job.image)):
            return _refused("image", missing).problem  # asked of Docker in the background (check_image)
        return problems[0] if problems else None

    def after_first_frame(self) -> None:
        """What the first frame does not need: the wheel guard on the form's boxes, and asking Docker for the image."""
        guard_wheel(self._form_panel, self._wheel_guard)
        self.check_image()

    def check_image(self, again: bool = False) -> None:
        """Ask, off the GUI thread, whether the named image is on this computer's Docker; Sort follows the answer."""
        self.image_presence.ask(self.place, self.image.text().strip(), again)

    def confirmed_job_started(self) -> None:
        """A yes to replacing results was for the sort just queued only."""
        self.replace_button.confirmed_folder = None

    def found_at_sort(self, problem: Problem) -> None:
        """A problem only the check at Sort could find (it asks the engine): its field stays marked until an edit."""
        self._found_at_sort = problem
        self.mark(problem)
        self.show_message(problem.message[:1].upper() + problem.message[1:])

    @Slot()
    def _edited(self) -> None:
        self._found_at_sort = None
        self.validate()

    @Slot()
    def validate(self) -> None:
        """Sort is enabled only for a job that may start; otherwise the reason is shown beside it and its field is
        marked. While sorts run or wait, Sort adds to the queue."""
        if not hasattr(self, "replace_button"):  # a signal while the form is still being built
            return
        problem = self.first_problem()
        self.sort_button.setEnabled(problem is None)
        self.validated.emit(problem is None)
        busy = self.busy()
        self.sort_button.setText("Add to queue" if busy else "Sort")
        self.sort_button.setToolTip("Starts as soon as its GPU is free" if busy else "")
        message = "" if problem is None else problem.message
        self.sort_reason.setText(message[:1].upper() + message[1:])
        self.recording_fields.show_reason(problem if self.recording is not None else None)
        shown = problem if problem is not None and self.recording is not None else self._found_at_sort
        self.mark(shown)
        self.replace_button.setVisible(problem is not None and self.replace_button.output_holds_earlier_sort())

    # --- marking the field a problem names ---------------------------------------------------------------------

    def field_widget(self, field: str) -> QWidget | None:
        """The widget a Problem's `field` names (None for one the form does not show, e.g. the GPU's check at Sort
        names the GPU picker)."""
        return {
            "recording": self.drop_zone,
            "output": self.output,
            "temp": self.temp_dir,
            "n_channels": self.channels,
            "sample_rate": self.sample_rate,
            "params": self.param_form,
            "license": self.license_value,  # the field typed into: a frame around the whole box hides behind it
            "image": self.image,
            "gpu": self.gpu,
            "sorter": self.sorter_choice,
            "place": self.place_choice,
            "environment": self.environment,
            "mounts": self.mounts,
        }.get(field)

    def mark(self, problem: Problem | None) -> None:
        """Frame the field `problem` names in red, with its message as the tooltip; unmark the one marked before."""
        widget = None if problem is None else self.field_widget(problem.field)
        if self._marked is not None and self._marked is not widget:
            set_marked(self._marked, False, "")
        self._marked = widget
        if widget is not None and problem is not None:
            set_marked(widget, True, problem.message)

    def show_refusal(self, problem: Problem) -> None:
        """A job refused at Sort: its field marked, shown (opening Advanced when it is there) and focused."""
        self.mark(problem)
        widget = self.field_widget(problem.field)
        if widget is not None and self.advanced.isAncestorOf(widget):
            self.advanced.setChecked(True)
        if widget is not None:
            self.scroll.ensureWidgetVisible(widget)
            widget.setFocus()
        self.show_message(problem.message[:1].upper() + problem.message[1:])
