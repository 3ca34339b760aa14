"""Say in one sentence what went wrong, and what to do, from the lines a failed sort printed.

Every pattern is a real text: MATLAB's, mexcuda's, the license manager's and Kilosort's own
(reference/kilosort25_container.md §3a, §3c, §4). The driver's `[ks-gui] error <kind>: <message>` markers win when
present. Otherwise the most specific failure in the lines wins (a cause such as "no CUDA toolkit" over the compile
error it led to, any known failure over a bare MATLAB error, an error over a warning); among equals, the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ks_gui.core.ground.contract import MARKER
from ks_gui.core.sorters.failure_rules import HINTS, MARKER_RANK, RULES, SORTER_HINTS, SPECIFIC, Found, Rule
from ks_gui.core.sorters.pasted_log import clean_line
from ks_gui.core.sorters.progress import Tracker


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str
    hint: str
    stage: str | None = None  # where it happened: a stage name of docker/CONTRACT.md
    line: str = ""  # the line it was recognised by

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


# A line worth testing against the rules holds one of these (most lines hold none: the check is cheap).
_TRIGGER = re.compile(
    r"rror|icens|Sign-in|Out of memory|Undefined|CUDA|Could not|compiler|toolkit|MEX|disk space|No space|"
    r"exceeds array|Invalid|not assigned|GPU|launch|channel map|^\[ks-gui\] error"
)
_ERROR_MARKER = re.compile(rf"^{re.escape(MARKER)}error (\w+): (.*)$")
_STACK_FRAME = re.compile(r"^(?:Error in|Error using) (\w+)")
# Where a MATLAB function runs (reference §3b/§3c); learnAndSolve8b holds both learning and extraction: not here.
_FUNCTION_STAGES = {
    "mex": "compile",
    "mexcuda": "compile",
    "mexGPUall": "compile",
    "preprocessDataSub": "preprocess",
    "get_whitening_matrix": "preprocess",
    "get_file_size": "preprocess",
    "gpufilter": "preprocess",
    "loadChanMap": "preprocess",
    "datashift2": "drift",
    "standalone_detector": "drift",
    "shift_batch_on_disk2": "drift",
    "learnTemplates": "learn",
    "extractTemplatesfromSnippets": "learn",
    "trackAndSort": "extract",
    "runTemplates": "extract",
    "find_merges": "merge_split",
    "splitAllClusters": "merge_split",
    "set_cutoff": "merge_split",
    "remove_spikes": "merge_split",
    "get_good_units": "merge_split",
    "rezToPhy": "export",
    "writeNPY": "export",
}


def diagnose(lines: Iterable[str], stage: str | None = None, sorter: str | None = None) -> Failure | None:
    """The failure `lines` show, or None when none is recognised.

    `stage` is where the sort was when `lines` begin (the caller's tracker knows it when `lines` are a tail);
    `sorter` (its name) reads the lines as its own and picks hints that name its own parameters; None (a log pasted
    from a forum) reads them as either Kilosort's.
    """
    failure = _diagnose(lines, stage, sorter)
    family = "kilosort4" if (sorter or "").startswith("kilosort4") else sorter
    if failure is not None and (family, failure.kind) in SORTER_HINTS:
        failure = replace(failure, hint=SORTER_HINTS[(family, failure.kind)])
    return failure


def _diagnose(lines: Iterable[str], stage: str | None, sorter: str | None) -> Failure | None:
    cleaned = [clean_line(line) for line in lines]
    tracker = Tracker(stage=stage or "start", sorter=sorter)
    best: tuple[int, Rule | None, Found | None, str] | None = None  # (rank, rule, found, stage then)
    rule: Rule | None
    for index, line in enumerate(cleaned):
        tracker.feed(line)
        if not line or not _TRIGGER.search(line):
            continue
        if match := _ERROR_MARKER.match(line):
            stage_then = tracker.stage
            best = (MARKER_RANK, None, Found(match, cleaned, index, tracker), stage_then)
            break
        if best is not None and best[0] >= SPECIFIC:
            continue  # only a driver marker can beat it now
        matched = _match(line, cleaned, index, tracker)
        if matched is not None and (best is None or matched[0].rank > best[0]):
            rule, hit = matched
            best = (rule.rank, rule, hit, tracker.stage)
    if best is None:
        return None
    _, rule, found, stage_then = best
    assert found is not None
    if rule is None:  # the driver's marker
        kind, message = found.match.group(1), found.match.group(2)
        where = _stack_stage(cleaned, found.index) or _known_stage(stage_then, tracker, stage)
        return Failure(kind, message, HINTS.get(kind, ""), where, found.match.group(0))
    message = rule.message if isinstance(rule.message, str) else rule.message(found)
    where = rule.stage or _stack_stage(cleaned, found.index) or _known_stage(stage_then, tracker, stage)
    return Failure(rule.kind, message, rule.hint, where, cleaned[found.index])


def _match(line: str, lines: Sequence[str], index: int, tracker: Tracker) -> tuple[Rule, Found] | None:
    """The first rule that matches the line, or the line joined with the next (a forum wraps long lines)."""
    joined = None
    for rule in RULES:
        if match := rule.pattern.search(line):
            return rule, Found(match, lines, index, _snapshot(tracker))
    if index + 1 < len(lines) and lines[index + 1]:
        joined = f"{line} {lines[index + 1]}"
        for rule in RULES:
            if (match := rule.pattern.search(joined)) and match.start() < len(line):
                return rule, Found(match, lines, index, _snapshot(tracker))
    return None


def _snapshot(tracker: Tracker) -> Tracker:
    """The tracker as it stands at the failure (it goes on reading the lines after it)."""
    copy = Tracker(stage=tracker.stage)
    copy.counter = tracker.counter
    return copy


def _stack_stage(lines: Sequence[str], index: int) -> str | None:
    """The stage of the innermost Kilosort function in the MATLAB stack around the error (MATLAB prints
    "Error using <function>" just before the message, then "Error in <function>" frames)."""
    for line in lines[max(index - 2, 0) : index + 40]:
        if (match := _STACK_FRAME.match(line)) and match.group(1) in _FUNCTION_STAGES:
            return _FUNCTION_STAGES[match.group(1)]
    return None


def _known_stage(stage_then: str, tracker: Tracker, given: str | None) -> str | None:
    return stage_then if tracker.recognised or given else None
