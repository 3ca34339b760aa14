"""Runs one sort on a worker thread and turns core's events into typed Qt signals."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from ks_gui.core import sorting
from ks_gui.core.events import LogLine, Notice, Outcome, SignInPrompt
from ks_gui.core.job import Problem, SortJob
from ks_gui.core.sorters.progress import ProgressEvent

if TYPE_CHECKING:
    from ks_gui.core.gpu_choice import GpuRequest
    from ks_gui.core.run import SortRun
    from ks_gui.core.sorting import FoundRun


class SortWorker(QObject):
    """Lives on a QThread; `run()` checks, starts and follows one job, or follows again a container sort an earlier
    launcher started (`found`).

    Signals:
        refused(list): Problems saying why the job may not start or be followed (nothing was started); each names
            the form field at fault, or none ("").
        started(str): the run's log file.
        log_available(): new output lines wait in `take_log_lines()`. Sent once until they are taken, so a flood of
            output costs the window one call per event-loop pass instead of one per line.
        progress(ProgressEvent): the sort moved forward.
        sign_in_requested(str, str): MATLAB asks for (kind, prompt text); answer with `answer()`.
        notice(str): the launcher's own word on the run (Docker stopped answering, came back); it also reaches the
            log view as a line.
        finished(Outcome): the run ended.
        detached(): the window let the sort go on in its container without following it.
    """

    refused = Signal(list)
    started = Signal(str)
    log_available = Signal()
    progress = Signal(ProgressEvent)
    sign_in_requested = Signal(str, str)
    notice = Signal(str)
    finished = Signal(Outcome)
    detached = Signal()

    def __init__(self, job: SortJob | None, gpu_request: GpuRequest = "auto", found: FoundRun | None = None) -> None:
        super().__init__()
        self._job = job
        self._gpu_request = gpu_request
        self._found = found
        self._run: SortRun | None = None
        self._cancel_requested = threading.Event()
        self._log_lock = threading.Lock()
        self._log_lines: list[str] = []
        self._log_signalled = False

    @Slot()
    def run(self) -> None:
        """Whatever goes wrong, the window hears that the sort ended: a bug becomes `refused` (the panel stops
        waiting, the queue frees the GPU) and then the bug dialog."""
        try:
            self._check_start_and_follow()
        except Exception as err:
            where = f" The log is in {self._run.log_file}." if self._run is not None else ""
            self.refused.emit([Problem("", f"ks-gui stopped following this sort because of a bug: {err}.{where}")])
            raise

    def _check_start_and_follow(self) -> None:
        if self._found is not None:
            try:
                self._run = sorting.follow_found(sorting.open_place(self._found.place), self._found)
            except (sorting.PlaceError, OSError, ValueError, KeyError) as err:
                self.refused.emit([Problem("", f"The sort in {self._found.output} cannot be followed: {err}")])
                return
            self._follow()
            return
        assert self._job is not None
        try:
            checked = sorting.check(self._job, sorting.open_place(self._job.place), self._gpu_request)
        except sorting.PlaceError as err:
            self.refused.emit([Problem("place", err.message)])
            return
        if checked.problems:
            self.refused.emit(list(checked.problems))  # each names its field: the form marks the first it shows
            return
        try:
            self._run = sorting.start(checked)
        except (sorting.PlaceError, OSError) as err:  # OSError: the local environment's python could not start
            self.refused.emit([Problem("", getattr(err, "message", str(err)))])
            return
        self._follow()

    def _follow(self) -> None:
        assert self._run is not None
        self.started.emit(str(self._run.log_file))
        if self._cancel_requested.is_set():
            self._run.cancel()
        for event in self._run.events():
            if isinstance(event, LogLine):
                self._add_log_line(event.text)
            elif isinstance(event, ProgressEvent):
                self.progress.emit(event)
            elif isinstance(event, SignInPrompt):
                self.sign_in_requested.emit(event.kind, event.text)
            elif isinstance(event, Notice):
                self._add_log_line(f"ks-gui: {event.text}")  # as in the log file
                self.notice.emit(event.text)
            elif isinstance(event, Outcome):
                self.finished.emit(event)
                return
        self.detached.emit()  # events() ended without an Outcome: detach() was called

    def _add_log_line(self, text: str) -> None:
        with self._log_lock:
            self._log_lines.append(text)
            if self._log_signalled:
                return
            self._log_signalled = True
        self.log_available.emit()

    def take_log_lines(self) -> list[str]:
        """Called from the GUI thread: every line that arrived since the last call."""
        with self._log_lock:
            lines, self._log_lines, self._log_signalled = self._log_lines, [], False
        return lines

    def answer(self, text: str) -> None:
        """Called from the GUI thread with the user's answer to a sign-in prompt."""
        if self._run is not None:
            self._run.answer(text)

    @property
    def output(self) -> str:
        """The output folder of the sort this worker runs or follows."""
        return str(self._job.output) if self._job is not None else self._found.output if self._found else ""

    @property
    def stage_names(self) -> dict[str, str] | None:
        """The stages of the sorter this worker runs, as the stage list calls them (None: not known yet)."""
        if self._job is not None:
            return self._job.sorter.stage_names
        if self._found is not None and "kilosort4" in self._found.image:  # a run followed again: its image says
            from ks_gui.core.sorters import sorter_named

            return sorter_named("kilosort4")[0].stage_names
        return None

    @property
    def can_detach(self) -> bool:
        return self._run is not None and self._run.can_detach

    def detach(self) -> None:
        """Called from the GUI thread: leave the container sorting; a later launcher follows it again."""
        if self._run is not None:
            self._run.detach()

    def cancel(self) -> None:
        """Called from the GUI thread; stopping a container can take seconds, so it happens off that thread."""
        self._cancel_requested.set()
        if self._run is not None:
            threading.Thread(target=self._run.cancel, daemon=True).start()


def docker_run_line(job: SortJob, gpu_request: GpuRequest) -> str:
    """The command line equivalent to the job on its place (blocking: call it off the GUI thread)."""
    checked = sorting.check(job, sorting.open_place(job.place, timeout=10), gpu_request)
    return sorting.plan(checked)["command_line"]
