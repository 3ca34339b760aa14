"""`ks-gui explain LOGFILE`: how far a sort got and, if it failed, what happened and what to do.

Works on a log ks-gui kept, a log saved from a terminal, or one copied out of a forum post (quoted with `> `,
wrapped, with CRLF line ends, every line doubled by a wrapper).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ks_gui.cli.common import EXIT_OK, BadInputError, print_json
from ks_gui.core.ground.chosen_files import ChosenFileError, read_chosen
from ks_gui.core.ground.contract import STAGES
from ks_gui.core.sorters.diagnosis import Failure, diagnose
from ks_gui.core.sorters.kilosort4_log import as_console_lines, is_kilosort4_log
from ks_gui.core.sorters.pasted_log import read_log
from ks_gui.core.sorters.progress import STAGE_TITLES, Tracker

NAME = "explain"
# The most of a log that is read: far more than a sort's log (Kilosort 2.5's, of hours of recording, is a few MB).
LOG_LIMIT_BYTES = 64 * 1024**2


def add_parser(commands: argparse._SubParsersAction) -> None:
    explain = commands.add_parser(
        "explain",
        help="say how far a sort got and why it failed, from its log (also Kilosort 4's kilosort4.log)",
        description="Read a Kilosort log (saved, or copied from a forum post) and say how far the sort got, "
        "what went wrong and what to do.",
    )
    explain.add_argument("logfile", type=Path, metavar="LOGFILE", help="the log file")
    explain.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    try:  # a failure is said at a log's end: a log longer than any sort's is read from there
        data, _longer = read_chosen(args.logfile, "log file", LOG_LIMIT_BYTES, tail=True)
    except ChosenFileError as err:
        raise BadInputError(str(err)) from err
    if b"\0" in data[:4096]:
        raise BadInputError(f"{args.logfile} is not a text file")
    lines = read_log(data.decode("utf-8", errors="replace"))
    if is_kilosort4_log(lines):  # kilosort4.log from the output folder: Kilosort 4's own file, stamped
        lines = as_console_lines(lines)

    tracker = Tracker()
    for line in lines:
        tracker.feed(line)
    failure = diagnose(lines)
    stage = tracker.stage if tracker.recognised else None
    if failure is not None and failure.stage is not None and (stage is None or _later(failure.stage, stage)):
        stage = failure.stage  # the error's MATLAB stack says the sort got further than its progress lines show

    if args.json:
        print_json(
            {
                "stage": stage,
                "fraction": round(tracker.fraction, 4),
                "failure": None if failure is None else _failure_document(failure),
            }
        )
        return EXIT_OK
    print(_where(stage, tracker))
    if failure is None:
        print("No failure found in this log.")
    else:
        print(f"Failed{_in_stage(failure.stage)}: {failure.message}")
        if failure.hint:
            print(f"What to do: {failure.hint}")
        if failure.line:
            print(f"From the line: {failure.line}")
    return EXIT_OK


def _later(stage: str, than: str) -> bool:
    return STAGES.index(stage) > STAGES.index(than)


def _failure_document(failure: Failure) -> dict:
    return {"kind": failure.kind, "message": failure.message, "hint": failure.hint, "stage": failure.stage}


def _where(stage: str | None, tracker: Tracker) -> str:
    if stage is None:
        return "No Kilosort progress lines in this log."
    version = f" (Kilosort {tracker.sorter_version})" if tracker.sorter_version else ""
    if stage == "done":
        return f"The sort finished{version}."
    return f"The log ends in: {STAGE_TITLES[stage]}, after {tracker.fraction:.0%} of the sort{version}."


def _in_stage(stage: str | None) -> str:
    return f" while {STAGE_TITLES[stage].lower()}" if stage and stage != "done" else ""
