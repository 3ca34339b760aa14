"""The window says the time left as the CLI's bar does: "estimating…" first, then "about 12 min left"."""

from __future__ import annotations

import time

from ks_gui.cli.terminal import bar_text
from ks_gui.core.eta_text import ESTIMATING
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
