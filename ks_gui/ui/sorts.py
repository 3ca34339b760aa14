"""The sorts controller: the queue (which holds the jobs), one panel per started sort shown one at a time with the
queue list above them, the sorts an earlier launcher left (followed again, or recorded), the waiting sorts kept for
the next window, and what closing the window does to all of them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from ks_gui.core.ground.eta_text import starts_at_text, still_running_text
from ks_gui.core.ground.readable import recording_title
from ks_gui.core.queue import CPU, HERE, JobQueue, machine_of
from ks_gui.ui import dialogs
from ks_gui.ui.queue_view import QueueRow, QueueView, RowState
from ks_gui.ui.run_panel import RunPanel
from ks_gui.ui.threads import run_in_background

if TYPE_CHECKING:
    from ks_gui.core.events import Outcome
    from ks_gui.core.gpu_choice import Gpu, GpuRequest
    from ks_gui.core.job import Problem, SortJob
    from ks_gui.core.sorters import Sorter


class Sorts(QWidget):
    """The right-hand side of the Sort tab. `gpus` says which GPUs the queue may place sorts on (known once
    nvidia-smi answered). Signals: changed() when a sort was queued, started, removed or ended (the form's Sort
    button reads `running`); ended() when a sort ended (the history has a new record); shown_changed() when another
    sort is shown (Cancel follows it)."""

    changed = Signal()
    ended = Signal()
    check_refused = Signal(object)  # the first Problem a sort's check found at Sort (the form marks its field)
    shown_changed = Signal()

    def __init__(self, window: QMainWindow, gpus: Callable[[], list[Gpu]], per_gpu: int) -> None:
        super().__init__()
        self._window = window
        self._gpus = gpus
        self.job_queue = JobQueue(per_gpu=max(1, per_gpu))  # the waiting sorts: their jobs and GPU requests
        self._panels: dict[str, RunPanel] = {}  # the started sorts
        self._server_gpus: dict[str, list[Gpu]] = {}  # each GPU server's GPUs, asked when a sort first queues for it
        self._asking: set[str] = set()
        # Sorts an earlier launcher started: their place and their GPUs' UUIDs.
        self._followed_gpus: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.queue_view = QueueView()
        self.queue_view.show_requested.connect(self.show_run)
        self.queue_view.move_requested.connect(self._move_waiting)
        self.queue_view.remove_requested.connect(self._remove_waiting)
        self.queue_view.hide()  # shown once there is more than one sort to list
        self.run_stack = QStackedWidget()
        self.run_stack.addWidget(RunPanel())  # "Ready", until the first sort
        layout = QVBoxLayout(self)
        layout.addWidget(self.queue_view)
        layout.addWidget(self.run_stack, stretch=1)

    def _status(self, text: str) -> None:
        self._window.statusBar().showMessage(text)

    # --- what runs ---------------------------------------------------------------------------------------------

    @property
    def run_panel(self) -> RunPanel:
        """The sort shown."""
        return cast(RunPanel, self.run_stack.currentWidget())  # the stack holds run panels only, never none

    @property
    def running(self) -> bool:
        """Whether any sort runs or waits."""
        return bool(self.job_queue.waiting) or any(panel.running for panel in self._panels.values())

    def outputs_in_use(self) -> set[Path]:
        """The output folders of waiting and running sorts: no other sort may write there."""
        waiting = {queued.job.output for queued in self.job_queue.waiting}
        running = {Path(panel.worker.output) for panel in self._panels.values() if panel.running and panel.worker}
        return waiting | running

    # --- the queue ---------------------------------------------------------------------------------------------

    def enqueue(self, job: SortJob, gpu_request: GpuRequest) -> None:
        self.job_queue.add(job, gpu_request)
        server = machine_of(job.place)
        if server != HERE and server not in self._server_gpus and server not in self._asking:
            self._asking.add(server)  # its sorts wait until its GPUs are known (none, when it does not answer)
            run_in_background(lambda: _server_gpus(server), lambda gpus: self._server_gpus_known(server, gpus), self)
        self.start_what_may_start()

    def _server_gpus_known(self, server: str, gpus: object) -> None:
        self._asking.discard(server)
        self._server_gpus[server] = gpus if isinstance(gpus, list) else []
        self.start_what_may_start()

    def start_what_may_start(self) -> None:
        from ks_gui.ui.sort_worker import SortWorker

        for placement in self.job_queue.start_next(self._gpus(), self._server_gpus):
            job = placement.job
            panel = self._panel_for(job.job_id, placement.queued.label)
            worker = SortWorker(job, placement.gpu_request)  # the GPU was chosen here, once
            worker.refused.connect(self._on_check_refused)
            panel.start(worker)
            self._status(f"Checking {job.recording.binary.name}…")
        self._refresh_queue()
        self.changed.emit()

    @Slot(list)
    def _on_check_refused(self, reasons: list[Problem]) -> None:
        problems = [reason for reason in reasons if reason.field]
        if problems:
            self.check_refused.emit(problems[0])

    def set_per_gpu(self, limit: int) -> None:
        self.job_queue.per_gpu = limit
        self.start_what_may_start()  # a higher limit lets waiting sorts start now

    @Slot()
    def gpus_known(self) -> None:
        self._mark_followed_gpus()  # followed before nvidia-smi answered: now their GPUs are known
        if self.job_queue.waiting:  # queued before nvidia-smi answered: they may start now
            self.start_what_may_start()

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

    def show_stages_of(self, sorter: Sorter) -> None:
        """The idle "Ready" panel lists the stages of the sorter the form has chosen (Kilosort 4 has no MATLAB)."""
        blank = self.run_stack.widget(0)
        if isinstance(blank, RunPanel) and not blank.used:
            blank.stage_list.reset(sorter.stage_names)

    def blank_panel(self) -> RunPanel:
        """A panel of its own for results opened from the history (each sort's panel is kept as it is)."""
        if self.run_panel.used:
            self.run_stack.setCurrentWidget(cast(RunPanel, self.run_stack.widget(self.run_stack.addWidget(RunPanel()))))
        return self.run_panel

    @Slot(str)
    def show_run(self, job_id: str) -> None:
        if job_id in self._panels:
            self.run_stack.setCurrentWidget(self._panels[job_id])
            self.shown_changed.emit()

    def _on_run_ended(self, job_id: str, outcome: Outcome | None) -> None:
        if job_id not in self._panels:  # a refused sort's panel, used again for the next sort: that one reports
            return
        self.job_queue.finished(job_id)
        self.changed.emit()  # the form says at once what the ended sort left (its output now holds a sort)
        self.ended.emit()
        panel = self._panels[job_id]
        self._status(f"{panel.title}: {panel.stage.text()}")
        if panel.refused:  # it never started: no row in the queue (the form says why); its panel shows it until reused
            del self._panels[job_id]
            panel.title = ""
            self._refresh_queue()
        if outcome is not None and (outcome.interrupted or not outcome.cancelled):
            title = (
                "Sort finished" if outcome.succeeded else "Sort interrupted" if outcome.interrupted else "Sort failed"
            )
            from ks_gui.ui.notify import notify

            notify(self._window, title, " ".join(filter(None, [outcome.summary(), self._still_running(job_id)])))
        QTimer.singleShot(0, self.start_what_may_start)

    def _still_running(self, ended_job_id: str) -> str:
        """For the notification of a sort that ended: the others running and when each will be done (the words
        of the queue list), and how many wait."""
        running = [
            (panel.title, panel.seconds_left())
            for job_id, panel in self._panels.items()
            if job_id != ended_job_id and panel.running
        ]
        return still_running_text(running, len(self.job_queue.waiting))

    def _mark_followed_gpus(self) -> None:
        """A followed sort's GPU is taken while it runs: new sorts queue behind it (on the CPU's line when it has
        no GPU, or while the GPUs are not known yet)."""
        by_uuid = {gpu.uuid: gpu.index for gpu in self._gpus()}
        for job_id, (place, uuids) in self._followed_gpus.items():
            if self._panels[job_id].running:
                # A server's GPUs are not listed here: its followed sort holds the server's CPU line.
                device = next((by_uuid[uuid] for uuid in uuids if uuid in by_uuid and place == "docker"), CPU)
                self.job_queue.mark_running(job_id, device, place)

    @Slot(str, int)
    def _move_waiting(self, job_id: str, places: int) -> None:
        self.job_queue.move(job_id, places)
        self._refresh_queue()

    @Slot(str)
    def _remove_waiting(self, job_id: str) -> None:
        self.job_queue.remove(job_id)
        self._refresh_queue()
        self.changed.emit()

    @Slot()
    def _refresh_queue(self) -> None:
        """The queue list: running sorts, waiting ones in the order they start, then the ended ones."""
        started = list(self._panels.items())
        rows = [QueueRow(j, p.title, p.state_text(), RowState.RUNNING) for j, p in started if p.running]
        left = {job_id: panel.seconds_left() for job_id, panel in started if panel.running}
        starts = self.job_queue.expected_starts(left, self._gpus(), self._server_gpus)
        for queued in self.job_queue.waiting:
            request = queued.gpu_request
            where = "the CPU" if request == "none" else "a GPU" if request == "auto" else f"GPU {request}"
            start = f" · {starts_at_text(starts[queued.job_id])}" if queued.job_id in starts else ""
            rows.append(QueueRow(queued.job_id, queued.label, f"waiting for {where}{start}", RowState.WAITING))
        for job_id, panel in started:
            if not panel.running:
                rows.append(QueueRow(job_id, panel.title, panel.state_text(), _ended_state(panel.outcome)))
        shown = next((j for j, p in started if p is self.run_panel), None)
        self.queue_view.set_rows(rows, shown)
        self.queue_view.setVisible(len(rows) > 1)
        shown_panel = self.run_panel
        if shown_panel.running and shown_panel.stage.text() not in ("Starting", ""):  # past "Checking …": its stage
            self._status(f"{shown_panel.title}: {shown_panel.stage.text()}")
        self.shown_changed.emit()

    def cancel_shown(self) -> None:
        """Cancel the sort shown (the others, and the queue, go on: the queue list removes waiting ones)."""
        self.run_panel.cancel()

    # --- sorts from before this window -------------------------------------------------------------------------

    def follow_earlier_runs(self, show_message: Callable[[str], None]) -> None:
        """Sorts an earlier launcher started: ended ones are recorded, running ones are followed here; then the
        sorts that waited when the last window closed are queued again (problems go to `show_message`)."""
        self._show_message = show_message
        run_in_background(_find_earlier_runs, self._on_earlier_runs, self)

    @Slot(object)
    def _on_earlier_runs(self, found: object) -> None:
        if not isinstance(found, list):  # no Docker here: nothing to follow
            self._queue_kept_sorts()
            return
        from ks_gui.ui.sort_worker import SortWorker

        for container in (f for f in found if not f.running):
            run_in_background(partial(_harvest, container), lambda _result: self.ended.emit(), self)
        for container in (f for f in found if f.running and f.job_id not in self._panels):
            self._followed_gpus[container.job_id] = (container.place, container.gpu_uuids)
            panel = self._panel_for(container.job_id, _found_title(container))
            panel.start(
                SortWorker(None, found=container),
                stage="Following a sort started earlier",
                message=f"Following the sort into {container.output}, started before ks-gui last closed.",
            )
        self._mark_followed_gpus()
        self._queue_kept_sorts()  # after the followed ones: they hold their GPUs first
        self.ended.emit()

    def _queue_kept_sorts(self) -> None:
        """Queue again the sorts that waited when the last window closed with sorts left running."""
        from ks_gui.core import waiting_sorts

        queued, problems = 0, []
        for kept in waiting_sorts.take():
            if kept.job is None or kept.job.output in self.outputs_in_use():
                problem = kept.problem if kept.job is None else kept.problem or f"another sort writes {kept.job.output}"
                problems.append(f"{kept.label}, waiting when ks-gui closed, is not queued again: {problem}")
                continue
            self.job_queue.add(kept.job, kept.gpu)
            queued += 1
        if problems:
            self._show_message("\n".join(problems))
        self.start_what_may_start()  # refreshes the queue list and the form (and the status line: a running stage)
        if queued:  # after the refresh, so the followed sort's stage does not hide it at once
            self._status(f"Queued again: {_sorts(queued)} waiting when ks-gui closed")

    # --- closing -----------------------------------------------------------------------------------------------

    def may_close(self) -> bool:
        """Ask what becomes of running sorts (kept running in the background, or stopped) and of waiting ones (kept
        for the next window, or dropped); False when the user would rather not close."""
        running = [panel for panel in self._panels.values() if panel.running]
        if not running:
            return True
        can_detach = all(panel.can_detach for panel in running)
        options = ["Keep sorting in the background", "Stop the sorts"] if can_detach else ["Stop the sorts"]
        waiting = ""
        if self.job_queue.waiting:
            kept = "waits for the next ks-gui window if you keep sorting" if can_detach else "will not start"
            waiting = f" What is waiting ({_sorts(len(self.job_queue.waiting))}) {kept}."
        choice = dialogs.choose(
            self._window,
            "Sorts are running" if len(running) > 1 else "A sort is running",
            "Close ks-gui while sorting? A sort left running is found again the next time ks-gui opens." + waiting,
            options,
        )
        if choice is None:
            return False
        keep = options[choice].startswith("Keep")
        from ks_gui.core import waiting_sorts

        # As the question said: nothing more starts here; kept, the waiting sorts are the next window's.
        waiting_sorts.keep([(queued.job, queued.gpu_request) for queued in self.job_queue.waiting] if keep else [])
        self.job_queue.waiting.clear()
        # The question ran an event loop: a queued sort may have started meanwhile, so look again.
        for panel in (panel for panel in self._panels.values() if panel.running):
            if keep and panel.can_detach:
                panel.detach()
            else:
                panel.stop()
        return True


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


def _server_gpus(server: str) -> list:
    """A server's GPUs (blocking: off the GUI thread); none when it cannot be reached (its sorts then say why)."""
    from ks_gui.core import sorting

    try:
        return sorting.open_place(server, timeout=10).gpus()
    except sorting.PlaceError:
        return []


def _find_earlier_runs() -> list:
    """The launcher's containers (blocking: off the GUI thread); runs on record whose container is gone end as
    interrupted."""
    from ks_gui.core import sorting

    return sorting.earlier_runs_everywhere(timeout=10)[0]


def _harvest(found) -> None:
    """A sort that ended while no launcher followed it: read its output, record its result, remove its container."""
    from ks_gui.core import sorting

    for _event in sorting.follow_found(sorting.open_place(found.place, timeout=10), found).events():
        pass
