"""The window says the time left as the CLI's bar does: "estimating…" first, then "about 12 min left"."""

from __future__ import annotations

import time

from ks_gui.cli.terminal import bar_text
from ks_gui.core.ground.eta_text import ESTIMATING
from ks_gui.core.sorters.progress import ProgressEvent
from ks_gui.ui.run_panel import RunPanel


def test_the_window_and_the_terminal_word_the_time_left_alike(qtbot):
    panel = RunPanel("rec/recording.bin")
    qtbot.addWidget(panel)
    panel._started_at = time.monotonic()  # as the worker's `started` signal sets it
    first = ProgressEvent("start", 0.5, 0.02, "Starting", None)
    panel._on_progress(first)  # the slot the worker's progress signal calls
    assert panel.timing.text().endswith(f"elapsed · {ESTIMATING}") and bar_text(first, 1).endswith(ESTIMATING)
    later = ProgressEvent("drift", 0.3, 0.3, "Drift correction: 3 of 10", 12 * 60 + 20)
    panel._on_progress(later)
    assert panel.timing.text().endswith("elapsed · about 12 min left")
    assert bar_text(later, 1).endswith("about 12 min left")
    assert 0 < panel.seconds_left() <= 12 * 60 + 20  # counts down between events


def test_a_sort_s_end_notification_says_when_the_others_will_be_done_as_the_queue_list_does(qtbot, monkeypatch):
    from pathlib import Path

    from PySide6.QtWidgets import QMainWindow

    from ks_gui.core.events import Outcome
    from ks_gui.core.ground.eta_text import done_at_text
    from ks_gui.core.sorters.progress import Result
    from ks_gui.ui import notify
    from ks_gui.ui.sorts import Sorts

    sent = []
    monkeypatch.setattr(notify, "notify", lambda window, title, text: sent.append((title, text)))
    window = QMainWindow()
    qtbot.addWidget(window)
    sorts = Sorts(window, gpus=list, per_gpu=1)
    window.setCentralWidget(sorts)
    ended, other, third = (sorts._panel_for(job, f"rec_{job}/recording.bin") for job in ("a", "b", "c"))
    for panel in (ended, other, third):
        panel._thread = object()  # as if a worker thread ran it (no sort runs in this test)
    other._started_at = third._started_at = time.monotonic()
    other._on_progress(ProgressEvent("drift", 0.3, 0.3, "Drift correction: 3 of 10", 40 * 60))
    third._on_progress(ProgressEvent("start", 0.5, 0.02, "Starting", None))
    ended._thread = None
    result = Result(units=12, good=8, spikes=3400)
    sorts._on_run_ended("a", Outcome(True, False, 0, Path("/out/a"), Path("/logs/a.log"), result=result))
    other._thread = third._thread = None

    ((title, text),) = sent
    assert title == "Sort finished" and text.startswith("Sorted: 12 units (8 good)")
    rows = {row.title: row.detail for row in sorts.queue_view.rows()}
    when = done_at_text(other.seconds_left())
    assert when.startswith("done at about") and f"rec_b/recording.bin: {when}" in text
    assert when in rows["rec_b/recording.bin"]  # the queue list says the same
    assert f"rec_c/recording.bin: {ESTIMATING}" in text
