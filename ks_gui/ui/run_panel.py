"""One sort as the window shows it: stage and timing, Cancel, the progress bar, what went wrong or the results,
the stage list and the live log. The panel owns the worker thread that runs (or follows) its sort."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ks_gui.core.ground.contract import MARKER
from ks_gui.core.ground.eta_text import done_at_text, left_text
from ks_gui.core.ground.readable import clock_text
from ks_gui.ui import dialogs, icons
from ks_gui.ui.failure_panel import FailurePanel
from ks_gui.ui.log_view import LogView
from ks_gui.ui.results_card import ResultsCard, keep_pictures
from ks_gui.ui.stage_list import StageList
from ks_gui.ui.threads import end_thread, start_on_thread

if TYPE_CHECKING:  # the sort machinery loads with the first sort, not with the window (issue #8)
    from ks_gui.core.events import Outcome
    from ks_gui.core.job import Problem
    from ks_gui.core.sorters.progress import ProgressEvent
    from ks_gui.ui.sort_worker import SortWorker

SIGN_IN_LABELS = {"email": "MathWorks account email", "one_time_password": "One-time password"}


class RunPanel(QWidget):
    """Signals:
    changed(): the stage, the progress or the state changed (the queue list shows it).
    ended(object): the sort is over: its Outcome, or None when it never started or was left running (detached).
    """

    changed = Signal()
    ended = Signal(object)

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title  # what the queue list calls this sort, e.g. the recording's file name
        self.worker: SortWorker | None = None
        self.outcome: Outcome | None = None
        self._thread: QThread | None = None
        self._started_at = 0.0
        self._eta: float | None = None  # the estimated end, on time.monotonic()'s clock
        self.refused = False  # its sort was refused by the check at Sort and never started

        self.stage = QLabel("Ready")
        self.stage.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.timing = QLabel()
        self.cancel_button = QPushButton(icons.icon("fa6s.stop"), "Cancel")
        self.cancel_button.setToolTip("Stop this sort (its partial output is kept and marked)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        stage_row = QHBoxLayout()
        stage_row.addWidget(self.stage, stretch=1)
        stage_row.addWidget(self.timing)
        stage_row.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.failure_panel = FailurePanel()
        self.results_card = ResultsCard()
        self.stage_list = StageList()
        self.log_view = LogView()
        self.log = self.log_view.text
        self.save_log_button = self.log_view.save_button
        log_row = QHBoxLayout()
        log_row.addWidget(self.stage_list)
        log_row.addWidget(self.log_view, stretch=1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(stage_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.failure_panel)
        layout.addWidget(self.results_card)
        layout.addLayout(log_row, stretch=1)

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    # --- what the window asks ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def used(self) -> bool:
        """Whether this panel has shown a sort (an unused one is the window's blank "Ready" panel)."""
        return self.running or self.outcome is not None or bool(self.title)

    @property
    def can_detach(self) -> bool:
        return self.worker is not None and self.worker.can_detach

    def state_text(self) -> str:
        """One line for the queue list: the stage and how far, or how it ended."""
        if self.running:
            return f"{self.stage.text()} · {self.progress.value() / 10:.0f}% · {done_at_text(self.seconds_left())}"
        return self.stage.text()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)
        # Selectable for copying (set here, not at start: see ks_gui/ui/__init__.py).
        self.message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

    def start(self, worker: SortWorker, stage: str = "Starting", message: str = "Checking…") -> None:
        """Run (or follow) the worker's sort in this panel."""
        self.worker = worker
        self.outcome = None
        self.refused = False
        self._started_at = 0.0
        self.log_view.clear()
        self.results_card.hide()
        self.failure_panel.clear()
        self.stage_list.reset(worker.stage_names)
        self.progress.setValue(0)
        self.stage.setText(stage)
        self.timing.setText("")
        self.show_message(message)
        self.cancel_button.setEnabled(True)
        worker.refused.connect(self._on_refused)
        worker.started.connect(self._on_started)
        worker.log_available.connect(self._on_log_available)
        worker.progress.connect(self._on_progress)
        worker.sign_in_requested.connect(self._on_sign_in)
        worker.finished.connect(self._on_finished)
        worker.detached.connect(self._on_detached)
        worker.notice.connect(self.show_message)  # e.g. Docker stopped answering: the run waits for it
        self._thread = start_on_thread(worker, self)
        self.changed.emit()

    @Slot()
    def cancel(self) -> None:
        if self.worker is not None and self.running:
            self.cancel_button.setEnabled(False)
            self.stage.setText("Stopping…")
            self.worker.cancel()
            self.changed.emit()

    def detach(self) -> None:
        """Leave the sort running in its container (the window is closing); a later ks-gui follows it again."""
        if self.worker is not None:
            self.worker.detach()
        self._end_thread()

    def stop(self) -> None:
        """Cancel and wait for the thread (the window is closing)."""
        if self.worker is not None:
            self.worker.cancel()
        self._end_thread()

    # --- the worker's signals ----------------------------------------------------------------------------------

    def _end_thread(self) -> None:
        end_thread(self._thread)
        self._thread = None
        self._clock.stop()
        self.cancel_button.setEnabled(False)

    @Slot(list)
    def _on_refused(self, reasons: list[Problem]) -> None:
        """`reasons`: the check's Problems (each a message, and the field it names, if any)."""
        self._end_thread()
        self.refused = not self._started_at  # the check said no: nothing started, the queue lets it go
        self.stage.setText("Stopped" if self._started_at else "Not started")
        self.show_message("\n".join(reason.message for reason in reasons), error=True)
        self.changed.emit()
        self.ended.emit(None)

    @Slot(str)
    def _on_started(self, log_file: str) -> None:
        self.log_view.start(Path(log_file))
        self._started_at = time.monotonic()
        self._eta = None
        self._clock.start()
        self._tick()
        self.show_message(f"Running. The full log is saved in {log_file}")
        self.changed.emit()

    @Slot()
    def _on_log_available(self) -> None:
        if self.worker is None:
            return
        # The driver's markers drive the stage display; the log view shows what the sorter itself says.
        shown = [line for line in self.worker.take_log_lines() if not line.startswith(MARKER)]
        self.log_view.append(shown)

    @Slot(object)  # a ProgressEvent
    def _on_progress(self, event: ProgressEvent) -> None:
        self.progress.setValue(round(event.fraction * 1000))
        self.stage.setText(event.detail if event.detail != event.stage_title else event.stage_title)
        self.stage_list.show_progress(event)
        # The end time, so the clock counts down between events.
        self._eta = None if event.eta_seconds is None else time.monotonic() + event.eta_seconds
        self._tick()
        self.changed.emit()

    def _tick(self) -> None:
        elapsed = clock_text(time.monotonic() - self._started_at)
        self.timing.setText(f"{elapsed} elapsed · {left_text(self.seconds_left())}")

    def seconds_left(self) -> float | None:
        """What the sort's estimate says is left now; None while it is estimating (or not running)."""
        return None if self._eta is None else max(self._eta - time.monotonic(), 0.0)

    @Slot(str, str)
    def _on_sign_in(self, kind: str, text: str) -> None:
        if self.worker is None:
            return
        if kind == "retry":
            self.worker.answer("n")
            return
        label = SIGN_IN_LABELS.get(kind, "MathWorks account password (not stored)")
        answer = dialogs.ask_secret(self.window(), "MATLAB sign-in", f"{text}\n\n{label}:")
        self.worker.answer(answer or "")

    @Slot(object)  # an Outcome
    def _on_finished(self, outcome: Outcome) -> None:
        elapsed = time.monotonic() - self._started_at
        self._end_thread()
        self.outcome = outcome
        self._eta = None
        self.timing.setText(f"{clock_text(elapsed)} in all")
        if outcome.succeeded:
            self.progress.setValue(1000)
            self.stage.setText("Done")
            self.results_card.show_results(outcome.output, outcome.result)
            QTimer.singleShot(0, lambda: keep_pictures(outcome.output))  # once the card is on screen
            self.stage_list.show_done()
        else:
            # Interrupted: Docker went away and the sort may still run; it is not what the user's Cancel did.
            self.stage.setText("Interrupted" if outcome.interrupted else "Cancelled" if outcome.cancelled else "Failed")
            if not outcome.cancelled or outcome.interrupted:
                self.stage_list.show_failure(outcome.failure.stage if outcome.failure else None)
                self.failure_panel.show_failure(outcome.failure, outcome.log_file, outcome.exit_code)
        self.show_message(outcome.summary(), error=not outcome.succeeded)
        self.changed.emit()
        self.ended.emit(outcome)

    @Slot()
    def _on_detached(self) -> None:
        self._end_thread()
        self.stage.setText("Sorting in the background")
        self.changed.emit()
        self.ended.emit(None)
