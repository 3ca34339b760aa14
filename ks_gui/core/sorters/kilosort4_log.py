"""Kilosort 4's own log file, `kilosort4.log` in the output folder, read as its console lines: the file stamps each
line with the time, the logger and the level, and carries none of the driver's `[ks-gui] stage` markers, so `ks-gui
explain` found no progress in it (issue 29). Its lines are turned back into the console's `name: message` and the
markers put where the driver would have said them (the same log lines: drivers/ks_gui_kilosort4.py)."""

from __future__ import annotations

import re

from ks_gui.core.ground.contract import MARKER

# 2026-12-04 20:42:23,473 kilosort.run_kilosort INFO     Kilosort version 4.1.7
FILE_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (kilosort\S*) +(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) +(.*)$"
)
# Kilosort 4's log lines that begin a step, and the stage each begins (as the driver's STAGE_AT_LOG_LINE), then the
# last line of a finished sort.
STAGE_AT_LOG_LINE = (
    ("Kilosort version", "start"),
    ("Computing preprocessing variables", "preprocess"),
    ("Computing drift correction", "drift"),
    ("Extracting spikes using templates", "learn"),
    ("Extracting spikes using cluster waveforms", "extract"),
    ("Final clustering", "merge_split"),
    ("Saving to phy", "export"),
    ("Total runtime", "done"),
)


def is_kilosort4_log(lines: list[str]) -> bool:
    """Whether these are the lines of a `kilosort4.log` (its first stamped lines are Kilosort's)."""
    stamped = [line for line in lines[:50] if FILE_LINE.match(line)]
    return bool(stamped) and not any(line.startswith(MARKER) for line in lines)


def as_console_lines(lines: list[str]) -> list[str]:
    """The log file's lines as the driver's console showed them, with its stage markers."""
    console = []
    for line in lines:
        match = FILE_LINE.match(line)
        if match is None:  # a line of a dict or a traceback, printed as it is
            console.append(line)
            continue
        name, message = match.groups()
        for start, stage in STAGE_AT_LOG_LINE:
            if message.strip().startswith(start):
                console.append(f"{MARKER}stage {stage}")
        console.append(f"{name}: {message}")
    return console
