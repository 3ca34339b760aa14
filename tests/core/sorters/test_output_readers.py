"""Each sorter's own output reader: a Tracker given the sorter reads only that sorter's lines."""

from __future__ import annotations

from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.kilosort4_output import Kilosort4Output
from ks_gui.core.sorters.kilosort25_output import Kilosort25Output
from ks_gui.core.sorters.progress import Tracker

TQDM_LINE = " 45%|####5     | 9/20 [00:08<00:10,  1.06it/s]"
DETECT_LINE = "12.00 sec, 101 batches, 90000 spikes "


def test_each_sorter_names_its_reader():
    assert SORTERS["kilosort2.5"].output_reader is Kilosort25Output
    assert SORTERS["kilosort4"].output_reader is Kilosort4Output


def test_kilosort4s_tracker_reads_its_bars_and_not_kilosort25s_lines():
    tracker = Tracker(sorter="kilosort4")
    tracker.feed("[ks-gui] stage drift")
    assert tracker.feed(DETECT_LINE) is None and tracker.counter is None
    event = tracker.feed(TQDM_LINE)
    assert event is not None and event.detail == "Drift correction: 9 of 20"
    assert tracker.sorter_version == "4"  # a stage past the start, with no line saying otherwise


def test_kilosort25s_tracker_leaves_tqdm_bars_alone():
    tracker = Tracker(n_batches=201, sorter=SORTERS["kilosort2.5"])
    tracker.feed("[ks-gui] stage drift")
    assert tracker.feed(TQDM_LINE) is None
    event = tracker.feed(DETECT_LINE)
    assert event is not None and event.counter == (101, 201) and tracker.sorter_version == "2.5"


def test_without_a_sorter_both_read_and_a_shorthand_names_its_sorter():
    tracker = Tracker(n_batches=201)
    tracker.feed("[ks-gui] stage drift")
    assert tracker.feed(DETECT_LINE) is not None and tracker.feed(TQDM_LINE) is not None
    shorthand = Tracker(sorter="kilosort4-local")
    shorthand.feed("[ks-gui] stage drift")
    assert shorthand.feed(DETECT_LINE) is None and shorthand.feed(TQDM_LINE) is not None
