"""The failures a sort's lines can show, each a rule: a real text's pattern (MATLAB's, mexcuda's, the license
manager's, Kilosort's own: reference/kilosort25_container.md §3a, §3c, §4), the sentence it means, what to do, and how
much it says (its rank). diagnosis.py reads the lines against them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ks_gui.core.ground.contract import MEX_FILES
from ks_gui.core.sorters.progress import Tracker

# How much a kind of evidence says: the highest wins.
MARKER_RANK, SPECIFIC, CAUSE, COMPILE, VAGUE, GENERIC, WARNING = 100, 50, 40, 30, 20, 10, 5


@dataclass(frozen=True)
class Found:
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
class Rule:
    kind: str
    pattern: re.Pattern[str]
    message: str | Callable[[Found], str]
    hint: str
    rank: int = SPECIFIC
    stage: str | None = None  # where this failure always happens; else from the stack or the progress


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _compile_failure(found: Found) -> str:
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


def _kernel_failure(found: Found) -> str:
    said = found.next_line() if found.match.group(0).startswith("An unexpected") else found.match.group(0)
    return _sentence(f"A GPU kernel failed to launch ({said.strip() or 'no CUDA error given'})")


def _matlab_error(found: Found) -> str:
    where = found.match.group("where") if "where" in found.match.groupdict() else None
    said = found.match.group("said") if "said" in found.match.groupdict() else None
    if where:
        following = found.next_line()
        said = following if following and not following.startswith("Error in ") else ""
        return _sentence(f"MATLAB stopped with an error in {where}" + (f": {said}" if said else ""))
    return _sentence(f"MATLAB stopped with an error: {said or found.match.group(0)}")


def _opening(verb: str) -> Callable[[Found], str]:
    def message(found: Found) -> str:
        return _sentence(f"Kilosort could not {verb} {found.match.group('path').strip()}")

    return message


def _token_refused(found: Found) -> str:
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

RULES: tuple[Rule, ...] = (
    # --- licensing (reference §4.3): MATLAB does not start, so nothing else follows -------------------------
    Rule(
        "license",
        re.compile(r"License Manager Error -96\b|Licensing error: -96,"),
        "MATLAB could not reach the license server.",
        "Check the server's port@host and that this computer can reach it (firewall, VPN, DNS).",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License Manager Error -15\b|Licensing error: -15,"),
        "MATLAB could not connect to the license server (error -15).",
        "Check that the license manager runs on the server and that its port and its vendor daemon's port are open.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License Manager Error -9\b|Licensing error: -9,"),
        "The license file is bound to another user or computer.",
        "Use a network license server, or a license file made for this container.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License Manager Error -114\b|Licensing error: -114,"),
        "This MATLAB release needs a newer license manager and license file (error -114).",
        "Ask your license administrator to update the license server and the license file for this release.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License Manager Error -39\b|Licensing error: -39,"),
        "The license does not let this user check out a toolbox Kilosort needs (error -39).",
        "Ask your license administrator to add you to the Parallel Computing, Signal Processing and Statistics "
        "and Machine Learning toolboxes.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License Manager Error 4410\b|Online Licensing failed"),
        "MathWorks online licensing failed (error 4410).",
        "Try again later, or use a license server or license file instead of the MathWorks account.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"The license file specified does not exist"),
        "MATLAB did not find the license file inside the container.",
        "Choose an existing license file.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"Sign-in failed"),
        "Signing in to the MathWorks account failed.",
        "Check the email and password, or use a license server.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"^Error using BatchToken/|for token from license \d+ is NOT in"),
        _token_refused,
        "Get a new token (https://www.mathworks.com/support/batch-tokens.html) and give it once as "
        "token:EMAIL::TOKEN: it replaces the one kept in the system keyring.",
        stage="start",
    ),
    Rule(
        "license",
        re.compile(r"License checkout failed"),
        "MATLAB could not check out a license.",
        "The License Manager Error in the log says why; check the license settings.",
        rank=VAGUE,
        stage="start",
    ),
    # --- the GPU ------------------------------------------------------------------------------------------------
    Rule(
        "gpu_out_of_memory",
        re.compile(r"Out of memory on device"),
        "The GPU ran out of memory.",
        "Lower NT (e.g. --param NT=32704, a multiple of 1024 minus ntbuff) or close other programs using the GPU.",
    ),
    # SLURM's own words in a job's output file (slurmstepd writes them there when it ends the job).
    Rule(
        "time_limit",
        re.compile(r"CANCELLED AT \S+ DUE TO TIME LIMIT"),
        "The cluster stopped the sort at the job's time limit.",
        "Ask for more time (--time, e.g. --time 8:00:00) and sort again.",
        rank=CAUSE + 20,
    ),
    Rule(
        "cluster_out_of_memory",
        re.compile(r"Detected \d+ oom[-_]kill event|Exceeded job memory limit|oom_kill event"),
        "The job used more memory than it asked the cluster for, and SLURM ended it.",
        "Ask for more memory (--mem, e.g. --mem 64G) and sort again.",
        rank=CAUSE + 20,
    ),
    Rule(
        "preempted",
        re.compile(r"DUE TO PREEMPTION"),
        "A job of higher priority took the node, and SLURM ended this one.",
        "Sort again, or choose a partition or QoS whose jobs are not preempted.",
        rank=CAUSE + 20,
    ),
    Rule(
        "node_failure",
        re.compile(r"DUE TO NODE FAILURE"),
        "The node the sort ran on failed.",
        "Sort again; if it happens again, tell the cluster's administrators which node (History says it).",
        rank=CAUSE + 20,
    ),
    Rule(
        "host_out_of_memory",
        re.compile(r"Out of memory\. Type (?:HELP MEMORY|\"help memory\")"),
        "The computer ran out of memory.",
        "Close other programs, sort a shorter time range (trange), or use a computer with more memory.",
    ),
    # MATLAB's texts when it finds no usable GPU (gpuDevice, parallel.gpu); not in the reference's logs.
    Rule(
        "no_gpu",
        re.compile(
            r"No supported GPU device was found|CUDA driver could not be loaded|problem with the graphics driver or "
            r"with this GPU device|CUDA_ERROR_NO_DEVICE|no CUDA-capable device is detected"
        ),
        "MATLAB found no usable GPU in the container.",
        _NO_GPU_HINT,
    ),
    Rule(
        "kernel_launch_failed",
        re.compile(
            r"An unexpected error occurred trying to launch a kernel|CUDA_ERROR_ILLEGAL_ADDRESS"
            r"|CUDA_ERROR_LAUNCH_FAILED|illegal memory access was encountered"
        ),
        _kernel_failure,
        "Check NT (a multiple of 32, plus ntbuff) and the channel count; on a GPU newer than this MATLAB release, "
        "turn on CUDA forward compatibility or use a newer image.",
    ),
    Rule(
        "gpu_too_new",
        re.compile(r"device is more recent than the libraries"),
        "The GPU is newer than this MATLAB release's CUDA libraries, so they are recompiled at every start.",
        "The first minutes are slow; if the sort then fails, turn on CUDA forward compatibility or use an image "
        "with a newer MATLAB release.",
        rank=WARNING,
    ),
    # --- compiling the mex files (reference §3a, §4.2) ----------------------------------------------------------
    Rule(
        "compiler_missing",
        re.compile(r"No supported compiler or SDK was found"),
        "MATLAB found no C/C++ compiler to build Kilosort's GPU code.",
        "The image needs gcc and g++ (the MATLAB images install them): rebuild the image.",
        rank=CAUSE,
        stage="compile",
    ),
    Rule(
        "compiler_missing",
        re.compile(r"The selected C\+\+ compiler is not supported for CUDA compilation"),
        "The C++ compiler in the image is not supported for CUDA compilation.",
        "Install a gcc version that this MATLAB release's CUDA supports in the image.",
        rank=WARNING,
        stage="compile",
    ),
    Rule(
        "cuda_toolkit_missing",
        re.compile(r"No CUDA toolkit installation could be found"),
        "MATLAB found no CUDA toolkit to compile Kilosort's GPU code.",
        "Install the CUDA toolkit that matches this MATLAB release in the image, or set MW_NVCC_PATH to its nvcc.",
        rank=CAUSE,
        stage="compile",
    ),
    Rule(
        "mex_compile_failed",
        re.compile(r"^Error using mex\b"),
        _compile_failure,
        "The compiler's full message is in the log. The files compiled before it are kept; run again after "
        "fixing the image.",
        rank=COMPILE,
        stage="compile",
    ),
    Rule(
        "mex_missing",
        re.compile(r"Undefined function (?:or variable )?'(spikedetector3|mex\w+)'"),
        "Kilosort's compiled GPU files are missing.",
        _RECOMPILE_HINT,
    ),
    Rule(
        "mex_missing",
        re.compile(r"is not a MEX file|Invalid MEX-file"),
        "A compiled Kilosort GPU file cannot be loaded.",
        _RECOMPILE_HINT,
    ),
    # --- Kilosort itself (reference §3c, §4.2) ------------------------------------------------------------------
    Rule(
        "too_few_spikes",
        re.compile(r"Error in extractTemplatesfromSnippets"),
        "Kilosort found too few spikes to learn templates.",
        "Check the channel count, the channel map and the recording, or lower the thresholds (Th, spkTh).",
        stage="learn",
    ),
    Rule(
        "too_few_spikes",
        re.compile(r"One or more output arguments not assigned during call to \"mexMPnu8\""),
        "A batch had no spikes at all.",
        "Sort a time range with activity (trange), or check the channel count and the channel map.",
    ),
    # --- Kilosort 4 (its Python tracebacks; the driver's markers say the same when it ran) -------------------
    Rule(
        "gpu_out_of_memory",
        re.compile(r"CUDA out of memory|torch\.OutOfMemoryError"),
        "The GPU ran out of memory.",
        "Lower batch_size (e.g. --param batch_size=30000) or close other programs using the GPU.",
    ),
    Rule(
        "too_few_spikes",
        re.compile(r"Found array with 0 sample\(s\) \(shape=\(0, \d+\)\) while a minimum of 1 is required"),
        "Kilosort 4 found no spikes to learn templates from.",
        "Check the channel count and the channel map, or lower the thresholds (Th_universal, Th_learned).",
        stage="drift",
    ),
    Rule(
        "wrong_channel_count",
        re.compile(r"Largest value of chanMap exceeds channel count of data"),
        "The channel map names more channels than the binary holds.",
        "Check the channel count (n_chan_bin) and the channel map.",
        stage="preprocess",
    ),
    Rule(
        "disk_full",
        re.compile(r"Check available disk space|No space left on device"),
        "The disk ran out of space while Kilosort wrote its temp file.",
        "Free space, or put the temp file on another disk (--temp-dir); it is as large as the recording.",
    ),
    Rule(
        "file_not_found",
        re.compile(r"Could not open (?P<path>.+?) for reading"),
        _opening("read"),
        "Check that the recording is still there and readable.",
    ),
    Rule(
        "file_not_found",
        re.compile(r"Could not open (?P<path>.+?) for writing"),
        _opening("create"),
        "Check that the folder exists and that you may write there.",
    ),
    Rule(
        "file_not_found",
        re.compile(r"Could not open file (?P<path>.+?)\. No such file"),
        _opening("find"),
        "Check that the file exists and that its folder is shared with the container.",
    ),
    Rule(
        "file_not_found",
        re.compile(r"Error using get_file_size|Invalid file identifier"),
        "Kilosort could not read the recording.",
        "Check that the recording is still there and readable, and that its folder is shared with the container.",
    ),
    Rule(
        "channel_map",
        re.compile(r"Could not find channel map file: (?P<path>.+)"),
        _opening("find the channel map"),
        "Choose an existing channel map file.",
        stage="preprocess",
    ),
    Rule(
        "channel_map",
        re.compile(r"The provided channel map must contain \"chanMap\""),
        "The channel map has no chanMap field.",
        "Use a Kilosort channel map (.mat with chanMap, connected, xcoords, ycoords, kcoords).",
        stage="preprocess",
    ),
    Rule(
        "channel_map",
        re.compile(r"Index in position 1 exceeds array bounds \(must not exceed \d+\)"),
        "Kilosort's drift correction does not fit this probe's few channels.",
        "Turn drift correction off (--param nblocks=0), or check the channel count and the channel map.",
        rank=VAGUE,
    ),
    # --- anything else MATLAB says ------------------------------------------------------------------------------
    Rule(
        "matlab_error",
        re.compile(r"Error using (?P<where>\S+)"),
        _matlab_error,
        "The full log has MATLAB's message and where it happened.",
        rank=GENERIC,
    ),
    Rule(
        "matlab_error",
        re.compile(r"^(?:Error: |Error preprocessing! |Error running kilosort! |Undefined function )(?P<said>.+)"),
        _matlab_error,
        "The full log has MATLAB's message and where it happened.",
        rank=GENERIC,
    ),
)
HINTS = {rule.kind: rule.hint for rule in reversed(RULES)}  # a driver marker's kind gets its kind's first hint
# Where a kind's hint names a parameter, each sorter names its own (Kilosort 4 has batch_size, not NT).
SORTER_HINTS: dict[tuple[str | None, str], str] = {
    ("kilosort4", "gpu_out_of_memory"): "Lower batch_size (e.g. --param batch_size=30000) or close other programs "
    "using the GPU.",
}
