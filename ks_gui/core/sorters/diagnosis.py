"""Say in one sentence what went wrong, and what to do, from the lines a failed sort printed.

Every pattern is a real text: MATLAB's, mexcuda's, the license manager's and Kilosort's own
(reference/kilosort25_container.md §3a, §3c, §4). The driver's `[ks-gui] error <kind>: <message>` markers win when
present. Otherwise the most specific failure in the lines wins (a cause such as "no CUDA toolkit" over the compile
error it led to, any known failure over a bare MATLAB error, an error over a warning); among equals, the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ks_gui.core.contract import MARKER, MEX_FILES
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


# How much a kind of evidence says: the highest wins.
_MARKER_RANK, _SPECIFIC, _CAUSE, _COMPILE, _VAGUE, _GENERIC, _WARNING = 100, 50, 40, 30, 20, 10, 5


@dataclass(frozen=True)
class _Found:
    """What a rule saw at one line: the lines around it are there to fill in the message."""

    match: re.Match[str]
    lines: Sequence[str]
    index: int
    tracker: Tracker

    def after(self, count: int = 12) -> list[str]:
        return [line for line in self.lines[self.index + 1 : self.index + 1 + count] if line]

    def next_line(self) -> str:
        following = self.after(1)
        return following[0] if following else ""


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    message: str | Callable[[_Found], str]
    hint: str
    rank: int = _SPECIFIC
    stage: str | None = None  # where this failure always happens; else from the stack or the progress


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _compile_failure(found: _Found) -> str:
    name = ""
    for line in found.after(20):  # the stack names the mexcuda call: "mexcuda -largeArrayDims ... mexMPnu8.cu"
        if match := re.search(r"mexcuda\b.*?(\w+)\.cu\b", line):
            name = match.group(1)
            break
    if not name and found.tracker.stage == "compile" and found.tracker.counter:
        index = found.tracker.counter[0]
        name = MEX_FILES[index - 1] if 0 < index <= len(MEX_FILES) else ""
    said = next(
        (line for line in found.after(6) if not line.startswith(("Error in ", "[", "Building with")) and line.strip()),
        "",
    )
    where = f"{name}.cu ({MEX_FILES.index(name) + 1} of {len(MEX_FILES)})" if name in MEX_FILES else "a mex file"
    reason = f": {' '.join(said.split())}" if said else ""
    return _sentence(f"Compiling Kilosort's GPU code failed at {where}{reason}")


def _kernel_failure(found: _Found) -> str:
    said = found.next_line() if found.match.group(0).startswith("An unexpected") else found.match.group(0)
    return _sentence(f"A GPU kernel failed to launch ({said.strip() or 'no CUDA error given'})")


def _matlab_error(found: _Found) -> str:
    where = found.match.group("where") if "where" in found.match.groupdict() else None
    said = found.match.group("said") if "said" in found.match.groupdict() else None
    if where:
        following = found.next_line()
        said = following if following and not following.startswith("Error in ") else ""
        return _sentence(f"MATLAB stopped with an error in {where}" + (f": {said}" if said else ""))
    return _sentence(f"MATLAB stopped with an error: {said or found.match.group(0)}")


def _opening(verb: str) -> Callable[[_Found], str]:
    def message(found: _Found) -> str:
        return _sentence(f"Kilosort could not {verb} {found.match.group('path').strip()}")

    return message


def _token_refused(found: _Found) -> str:
    """matlab-batch's BatchToken error: its message is on the lines after "Error using BatchToken/…", wrapped
    (matlab-actions/setup-matlab#53), up to the blank line before the stack."""
    first = found.index + 1 if found.match.group(0).startswith("Error") else found.index
    said = []
    for line in found.lines[first : first + 6]:
        if not line or line.startswith("Error in "):
            break
        said.append(line)
    text = " ".join(said) or found.lines[found.index]
    if valid := re.search(r"is NOT in the time range for this token \((.+?) to (.+?)\)", text):
        return f"The batch licensing token has expired (it was valid from {valid.group(1)} to {valid.group(2)})."
    return _sentence(f"MATLAB did not accept the batch licensing token: {text}")


_NO_GPU_HINT = (
    "Check that the NVIDIA driver works on this computer (nvidia-smi), that the NVIDIA Container Toolkit is "
    "installed, and that the right GPU is chosen."
)
_RECOMPILE_HINT = "Delete the image's mex cache folder (under ~/.cache/ks-gui/mex) and run again to recompile."

_RULES: tuple[_Rule, ...] = (
    # --- licensing (reference §4.3): MATLAB does not start, so nothing else follows -------------------------
    _Rule(
        "license",
        re.compile(r"License Manager Error -96\b|Licensing error: -96,"),
        "MATLAB could not reach the license server.",
        "Check the server's port@host and that this computer can reach it (firewall, VPN, DNS).",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error -15\b|Licensing error: -15,"),
        "MATLAB could not connect to the license server (error -15).",
        "Check that the license manager runs on the server and that its port and its vendor daemon's port are open.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error -9\b|Licensing error: -9,"),
        "The license file is bound to another user or computer.",
        "Use a network license server, or a license file made for this container.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error -114\b|Licensing error: -114,"),
        "This MATLAB release needs a newer license manager and license file (error -114).",
        "Ask your license administrator to update the license server and the license file for this release.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error -39\b|Licensing error: -39,"),
        "The license does not let this user check out a toolbox Kilosort needs (error -39).",
        "Ask your license administrator to add you to the Parallel Computing, Signal Processing and Statistics "
        "and Machine Learning toolboxes.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error 4410\b|Online Licensing failed"),
        "MathWorks online licensing failed (error 4410).",
        "Try again later, or use a license server or license file instead of the MathWorks account.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"The license file specified does not exist"),
        "MATLAB did not find the license file inside the container.",
        "Choose an existing license file.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"Sign-in failed"),
        "Signing in to the MathWorks account failed.",
        "Check the email and password, or use a license server.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"^Error using BatchToken/|for token from license \d+ is NOT in"),
        _token_refused,
        "Get a new token (https://www.mathworks.com/support/batch-tokens.html) and give it once as "
        "token:EMAIL::TOKEN: it replaces the one kept in the system keyring.",
        stage="start",
    ),
    _Rule(
        "license",
        re.compile(r"License checkout failed"),
        "MATLAB could not check out a license.",
        "The License Manager Error in the log says why; check the license settings.",
        rank=_VAGUE,
        stage="start",
    ),
    # --- the GPU ------------------------------------------------------------------------------------------------
    _Rule(
        "gpu_out_of_memory",
        re.compile(r"Out of memory on device"),
        "The GPU ran out of memory.",
        "Lower NT (e.g. --param NT=32704, a multiple of 1024 minus ntbuff) or close other programs using the GPU.",
    ),
    _Rule(
        "host_out_of_memory",
        re.compile(r"Out of memory\. Type (?:HELP MEMORY|\"help memory\")"),
        "The computer ran out of memory.",
        "Close other programs, sort a shorter time range (trange), or use a computer with more memory.",
    ),
    # MATLAB's texts when it finds no usable GPU (gpuDevice, parallel.gpu); not in the reference's logs.
    _Rule(
        "no_gpu",
        re.compile(
            r"No supported GPU device was found|CUDA driver could not be loaded|problem with the graphics driver or "
            r"with this GPU device|CUDA_ERROR_NO_DEVICE|no CUDA-capable device is detected"
        ),
        "MATLAB found no usable GPU in the container.",
        _NO_GPU_HINT,
    ),
    _Rule(
        "kernel_launch_failed",
        re.compile(
            r"An unexpected error occurred trying to launch a kernel|CUDA_ERROR_ILLEGAL_ADDRESS"
            r"|CUDA_ERROR_LAUNCH_FAILED|illegal memory access was encountered"
        ),
        _kernel_failure,
        "Check NT (a multiple of 32, plus ntbuff) and the channel count; on a GPU newer than this MATLAB release, "
        "turn on CUDA forward compatibility or use a newer image.",
    ),
    _Rule(
        "gpu_too_new",
        re.compile(r"device is more recent than the libraries"),
        "The GPU is newer than this MATLAB release's CUDA libraries, so they are recompiled at every start.",
        "The first minutes are slow; if the sort then fails, turn on CUDA forward compatibility or use an image "
        "with a newer MATLAB release.",
        rank=_WARNING,
    ),
    # --- compiling the mex files (reference §3a, §4.2) ----------------------------------------------------------
    _Rule(
        "compiler_missing",
        re.compile(r"No supported compiler or SDK was found"),
        "MATLAB found no C/C++ compiler to build Kilosort's GPU code.",
        "The image needs gcc and g++ (the MATLAB images install them): rebuild the image.",
        rank=_CAUSE,
        stage="compile",
    ),
    _Rule(
        "compiler_missing",
        re.compile(r"The selected C\+\+ compiler is not supported for CUDA compilation"),
        "The C++ compiler in the image is not supported for CUDA compilation.",
        "Install a gcc version that this MATLAB release's CUDA supports in the image.",
        rank=_WARNING,
        stage="compile",
    ),
    _Rule(
        "cuda_toolkit_missing",
        re.compile(r"No CUDA toolkit installation could be found"),
        "MATLAB found no CUDA toolkit to compile Kilosort's GPU code.",
        "Install the CUDA toolkit that matches this MATLAB release in the image, or set MW_NVCC_PATH to its nvcc.",
        rank=_CAUSE,
        stage="compile",
    ),
    _Rule(
        "mex_compile_failed",
        re.compile(r"^Error using mex\b"),
        _compile_failure,
        "The compiler's full message is in the log. The files compiled before it are kept; run again after "
        "fixing the image.",
        rank=_COMPILE,
        stage="compile",
    ),
    _Rule(
        "mex_missing",
        re.compile(r"Undefined function (?:or variable )?'(spikedetector3|mex\w+)'"),
        "Kilosort's compiled GPU files are missing.",
        _RECOMPILE_HINT,
    ),
    _Rule(
        "mex_missing",
        re.compile(r"is not a MEX file|Invalid MEX-file"),
        "A compiled Kilosort GPU file cannot be loaded.",
        _RECOMPILE_HINT,
    ),
    # --- Kilosort itself (reference §3c, §4.2) ------------------------------------------------------------------
    _Rule(
        "too_few_spikes",
        re.compile(r"Error in extractTemplatesfromSnippets"),
        "Kilosort found too few spikes to learn templates.",
        "Check the channel count, the channel map and the recording, or lower the thresholds (Th, spkTh).",
        stage="learn",
    ),
    _Rule(
        "too_few_spikes",
        re.compile(r"One or more output arguments not assigned during call to \"mexMPnu8\""),
        "A batch had no spikes at all.",
        "Sort a time range with activity (trange), or check the channel count and the channel map.",
    ),
    # --- Kilosort 4 (its Python tracebacks; the driver's markers say the same when it ran) -------------------
    _Rule(
        "gpu_out_of_memory",
        re.compile(r"CUDA out of memory|torch\.OutOfMemoryError"),
        "The GPU ran out of memory.",
        "Lower batch_size (e.g. --param batch_size=30000) or close other programs using the GPU.",
    ),
    _Rule(
        "too_few_spikes",
        re.compile(r"Found array with 0 sample\(s\) \(shape=\(0, \d+\)\) while a minimum of 1 is required"),
        "Kilosort 4 found no spikes to learn templates from.",
        "Check the channel count and the channel map, or lower the thresholds (Th_universal, Th_learned).",
        stage="drift",
    ),
    _Rule(
        "wrong_channel_count",
        re.compile(r"Largest value of chanMap exceeds channel count of data"),
        "The channel map names more channels than the binary holds.",
        "Check the channel count (n_chan_bin) and the channel map.",
        stage="preprocess",
    ),
    _Rule(
        "disk_full",
        re.compile(r"Check available disk space|No space left on device"),
        "The disk ran out of space while Kilosort wrote its temp file.",
        "Free space, or put the temp file on another disk (--temp-dir); it is as large as the recording.",
    ),
    _Rule(
        "file_not_found",
        re.compile(r"Could not open (?P<path>.+?) for reading"),
        _opening("read"),
        "Check that the recording is still there and readable.",
    ),
    _Rule(
        "file_not_found",
        re.compile(r"Could not open (?P<path>.+?) for writing"),
        _opening("create"),
        "Check that the folder exists and that you may write there.",
    ),
    _Rule(
        "file_not_found",
        re.compile(r"Could not open file (?P<path>.+?)\. No such file"),
        _opening("find"),
        "Check that the file exists and that its folder is shared with the container.",
    ),
    _Rule(
        "file_not_found",
        re.compile(r"Error using get_file_size|Invalid file identifier"),
        "Kilosort could not read the recording.",
        "Check that the recording is still there and readable, and that its folder is shared with the container.",
    ),
    _Rule(
        "channel_map",
        re.compile(r"Could not find channel map file: (?P<path>.+)"),
        _opening("find the channel map"),
        "Choose an existing channel map file.",
        stage="preprocess",
    ),
    _Rule(
        "channel_map",
        re.compile(r"The provided channel map must contain \"chanMap\""),
        "The channel map has no chanMap field.",
        "Use a Kilosort channel map (.mat with chanMap, connected, xcoords, ycoords, kcoords).",
        stage="preprocess",
    ),
    _Rule(
        "channel_map",
        re.compile(r"Index in position 1 exceeds array bounds \(must not exceed \d+\)"),
        "Kilosort's drift correction does not fit this probe's few channels.",
        "Turn drift correction off (--param nblocks=0), or check the channel count and the channel map.",
        rank=_VAGUE,
    ),
    # --- anything else MATLAB says ------------------------------------------------------------------------------
    _Rule(
        "matlab_error",
        re.compile(r"Error using (?P<where>\S+)"),
        _matlab_error,
        "The full log has MATLAB's message and where it happened.",
        rank=_GENERIC,
    ),
    _Rule(
        "matlab_error",
        re.compile(r"^(?:Error: |Error preprocessing! |Error running kilosort! |Undefined function )(?P<said>.+)"),
        _matlab_error,
        "The full log has MATLAB's message and where it happened.",
        rank=_GENERIC,
    ),
)
HINTS = {rule.kind: rule.hint for rule in reversed(_RULES)}  # a driver marker's kind gets its kind's first hint
# Where a kind's hint names a parameter, each sorter names its own (Kilosort 4 has batch_size, not NT).
SORTER_HINTS = {
    ("kilosort4", "gpu_out_of_memory"): "Lower batch_size (e.g. --param batch_size=30000) or close other programs "
    "using the GPU.",
}

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


def diagnose(lines: Iterable[str], stage: str | None = None, sorter: str = "kilosort2.5") -> Failure | None:
    """The failure `lines` show, or None when none is recognised.

    `stage` is where the sort was when `lines` begin (the caller's tracker knows it when `lines` are a tail);
    `sorter` picks hints that name its own parameters.
    """
    failure = _diagnose(lines, stage)
    family = "kilosort4" if sorter.startswith("kilosort4") else sorter
    if failure is not None and (family, failure.kind) in SORTER_HINTS:
        failure = replace(failure, hint=SORTER_HINTS[(family, failure.kind)])
    return failure


def _diagnose(lines: Iterable[str], stage: str | None) -> Failure | None:
    cleaned = [clean_line(line) for line in lines]
    tracker = Tracker(stage=stage or "start")
    best: tuple[int, _Rule | None, _Found | None, str] | None = None  # (rank, rule, found, stage then)
    for index, line in enumerate(cleaned):
        tracker.feed(line)
        if not line or not _TRIGGER.search(line):
            continue
        if match := _ERROR_MARKER.match(line):
            stage_then = tracker.stage
            best = (_MARKER_RANK, None, _Found(match, cleaned, index, tracker), stage_then)
            break
        if best is not None and best[0] >= _SPECIFIC:
            continue  # only a driver marker can beat it now
        found = _match(line, cleaned, index, tracker)
        if found is not None and (best is None or found[0].rank > best[0]):
            rule, hit = found
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


def _match(line: str, lines: Sequence[str], index: int, tracker: Tracker) -> tuple[_Rule, _Found] | None:
    """The first rule that matches the line, or the line joined with the next (a forum wraps long lines)."""
    joined = None
    for rule in _RULES:
        if match := rule.pattern.search(line):
            return rule, _Found(match, lines, index, _snapshot(tracker))
    if index + 1 < len(lines) and lines[index + 1]:
        joined = f"{line} {lines[index + 1]}"
        for rule in _RULES:
            if (match := rule.pattern.search(joined)) and match.start() < len(line):
                return rule, _Found(match, lines, index, _snapshot(tracker))
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
