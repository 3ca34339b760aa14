"""Runs one sort on a worker thread and turns core's events into typed Qt signals."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot

from ks_gui.core.engine import EngineError, connect
from ks_gui.core.gpu import GpuChoiceError, GpuRequest, detect_gpus
from ks_gui.core.job import SortJob
from ks_gui.core.progress import ProgressEvent
from ks_gui.core.run import LogLine, Outcome, SignInPrompt, SortRun, preflight


class SortWorker(QObject):
    """Lives on a QThread; `run()` checks, starts and follows one job.

    Signals:
        refused(list): messages saying why the job may not start (nothing was started).
        started(str): the run's log file.
        log_line(str): one line of the sorter's output.
        progress(ProgressEvent): the sort moved forward.
        sign_in_requested(str, str): MATLAB asks for (kind, prompt text); answer with `answer()`.
        finished(Outcome): the run ended.
    """

    refused = Signal(list)
    started = Signal(str)
    log_line = Signal(str)
    progress = Signal(ProgressEvent)
    sign_in_requested = Signal(str, str)
    finished = Signal(Outcome)

    def __init__(self, job: SortJob, gpu_request: GpuRequest) -> None:
        super().__init__()
        self._job = job
        self._gpu_request = gpu_request
        self._run: SortRun | None = None
        self._cancel_requested = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            engine = connect()
            checked = preflight(self._job, engine, self._gpu_request, detect_gpus())
        except EngineError as err:
            self.refused.emit([err.message])
            return
        except GpuChoiceError as err:
            self.refused.emit([str(err)])
            return
        if checked.problems or checked.image is None:
            self.refused.emit([p.message for p in checked.problems])
            return
        self._run = SortRun(self._job, engine, checked.image)
        try:
            self._run.start()
        except EngineError as err:
            self.refused.emit([err.message])
            return
        self.started.emit(str(self._run.log_file))
        if self._cancel_requested.is_set():
            self._run.cancel()
        for event in self._run.events():
            if isinstance(event, LogLine):
                self.log_line.emit(event.text)
            elif isinstance(event, ProgressEvent):
                self.progress.emit(event)
            elif isinstance(event, SignInPrompt):
                self.sign_in_requested.emit(event.kind, event.text)
            elif isinstance(event, Outcome):
                self.finished.emit(event)

    def answer(self, text: str) -> None:
        """Called from the GUI thread with the user's answer to a sign-in prompt."""
        if self._run is not None:
            self._run.answer(text)

    def cancel(self) -> None:
        """Called from the GUI thread; stopping a container can take seconds, so it happens off that thread."""
        self._cancel_requested.set()
        if self._run is not None:
            threading.Thread(target=self._run.cancel, daemon=True).start()
