# ruff: noqa: W291, E501 (real texts, verbatim: MATLAB's trailing spaces and long lines are part of them)
"""Failure diagnosis from real texts: the two fixture logs and every failure text in the reference (§3c, §4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ks_gui.core.sorters.diagnosis import Failure, diagnose
from ks_gui.core.sorters.pasted_log import read_log
from tests.conftest import FIXTURES
from tests.helpers.ks25_log import ks25_run

LICENSE_96 = """\
MATLAB is selecting SOFTWARE OPENGL rendering.
License checkout failed.
License Manager Error -96
Unable to connect to the license server.
Make sure that the client machine can communicate with the hostname listed in the SERVER line of the
license file, and that the port listed in the SERVER line is not blocked by a firewall.

Troubleshoot this issue by visiting:
https://www.mathworks.com/support/lme/R2020a/96

Diagnostic Information:
Feature: MATLAB
License path: 27000@Precision-Tower-5810:/home/matlab/.matlab/R2020a_licenses:/usr/local/MATLAB/licenses/license.d
at:/usr/local/MATLAB/licenses
Licensing error: -96,7. System Error: 2"""

LICENSE_9 = """\
License checkout failed.
License Manager Error -9
Your username does not match the username in the license file. 
To run on this computer, you must run the Activation client to reactivate your license.
Licensing error: -9,57."""

GPU_OOM = """\
Error using  * 
Out of memory on device. To view more detail about available memory on the GPU, use 'gpuDevice()'. If the problem persists, reset the GPU by calling 'gpuDevice(1)'.

Error in learnTemplates (line 225)
                dWU0 = reshape(wPCAd * (wPCAd' * dWU0(:,:)), size(dWU0)); % apply PCA for smoothing purposes"""

KERNEL_AEON = """\
        "22168.31 sec, 240301 batches, 595349028 spikes",
        "22172.66 sec, 240366 batches, 595495605 spikes",
        "time 544491.95, Shifted up/down 240366 batches.",
        "Time 547056s. Optimizing templates ...",
        "----------------------------------------Error using gpuArray/nan",
        "An unexpected error occurred trying to launch a kernel. The CUDA error was:",
        "invalid configuration argument\""""

MEX_MISSING_DOUBLED = """\
To get started, type doc.
For product information, visit www.mathworks.com.
Time   0s. Computing whitening matrix.. 
Time   0s. Computing whitening matrix.. 
Getting channel whitening matrix... 
Getting channel whitening matrix... 
Channel-whitening matrix computed. 
Channel-whitening matrix computed. 
Time   7s. Loading raw data and applying filters... 
Time   7s. Loading raw data and applying filters... 
Time  26s. Finished preprocessing 721 batches. 
Time  26s. Finished preprocessing 721 batches. 
pitch is 50 um
pitch is 50 um
Undefined function 'spikedetector3' for input arguments of type 'gpuArray'.
Undefined function 'spikedetector3' for input arguments of type 'gpuArray'."""


# (lines, kind, words the message has, stage)
CASES = [
    (LICENSE_96, "license", "could not reach the license server", "start"),
    (LICENSE_9, "license", "bound to another user or computer", "start"),
    (
        "License Manager Error -114\nThis release requires a network license manager update and a new license file "
        "from the License Center.",
        "license",
        "newer license manager",
        "start",
    ),
    ("License checkout failed.\nLicensing error: -39,147.", "license", "toolbox", "start"),
    ("Usage of MathWorks Online Licensing failed.License Manager Error 4410", "license", "online licensing", "start"),
    ("License checkout failed.\nLicense Manager Error -15", "license", "error -15", "start"),
    (
        "Please enter your MathWorks Account email address and press Enter:\nSign-in failed. Would you like to retry? "
        "y/n [n]",
        "license",
        "Signing in",
        "start",
    ),
    ("The license file specified does not exist.", "license", "did not find the license file", "start"),
    (GPU_OOM, "gpu_out_of_memory", "GPU ran out of memory", "learn"),
    ("Out of memory. Type HELP MEMORY for your options.", "host_out_of_memory", "computer ran out", None),
    ('Out of memory. Type "help memory" for your options.', "host_out_of_memory", "computer ran out", None),
    (KERNEL_AEON, "kernel_launch_failed", "invalid configuration argument", "learn"),
    (
        "Error using trackAndSort\nAn unexpected error occurred trying to launch a kernel. The CUDA error was:\n"
        "invalid argument\nError in triageTemplates2",
        "kernel_launch_failed",
        "(invalid argument)",
        "extract",
    ),
    (
        "Error using gpuArray/subsref\nCUDA_ERROR_ILLEGAL_ADDRESS",
        "kernel_launch_failed",
        "CUDA_ERROR_ILLEGAL_ADDRESS",
        None,
    ),
    (
        'One or more output arguments not assigned during call to "mexMPnu8".\nError in trackAndSort (line 120)',
        "too_few_spikes",
        "no spikes",
        "extract",
    ),
    (
        "Warning: The CUDA driver must recompile the GPU libraries because your device is more recent than the "
        "libraries. Recompiling can take several minutes.",
        "gpu_too_new",
        "newer than this MATLAB release",
        None,
    ),
    (
        "Warning: No CUDA toolkit installation could be found. If installed, set MW_NVCC_PATH environment variable "
        "to location of nvcc compiler.\nError using mex\nnvcc: not found",
        "cuda_toolkit_missing",
        "no CUDA toolkit",
        "compile",
    ),
    (
        "Error using mex\nNo supported compiler or SDK was found. For options, visit "
        "https://www.mathworks.com/support/compilers.",
        "compiler_missing",
        "no C/C++ compiler",
        "compile",
    ),
    (
        "Warning: The selected C++ compiler is not supported for CUDA compilation. Searching for a supported compiler.",
        "compiler_missing",
        "not supported for CUDA",
        "compile",
    ),
    (
        "Building with 'NVIDIA CUDA Compiler'.\nError using mex\nfatbinary fatal   : '19_device.compute_35.cubin' is "
        "not in 'keyword=value' format\nError in mexcuda (line 166)\nError in mexGPUall (line 18)\n"
        "        mexcuda -largeArrayDims -dynamic -DENABLE_STABLEMODE mexMPnu8.cu",
        "mex_compile_failed",
        "mexMPnu8.cu (4 of 9): fatbinary fatal",
        "compile",
    ),
    (MEX_MISSING_DOUBLED, "mex_missing", "compiled GPU files are missing", "drift"),
    ("'C:\\Kilosort\\CUDA\\spikedetector3.mexw64' is not a MEX file.", "mex_missing", "cannot be loaded", None),
    (
        "Error using preprocessDataSub (line 95)\nError writing batch 12 to /out/temp_wh.dat. Check available disk "
        "space.",
        "disk_full",
        "ran out of space",
        "preprocess",
    ),
    (
        "Error using preprocessDataSub\nCould not open /data/rec.bin for reading.",
        "file_not_found",
        "could not read /data/rec.bin",
        "preprocess",
    ),
    (
        "Error using preprocessDataSub (line 69)\nCould not open /out/temp_wh.dat for writing.",
        "file_not_found",
        "could not create /out/temp_wh.dat",
        "preprocess",
    ),
    (
        "Error using get_file_size (line 15)\nInsufficient number of outputs from right hand side of equal sign to "
        "satisfy assignment.\n\nError in preprocessDataSub (line 18)",
        "file_not_found",
        "could not read the recording",
        "preprocess",
    ),
    (
        "Error using loadChanMap\nCould not find channel map file: /out/chanMap.mat",
        "channel_map",
        "/out/chanMap.mat",
        "preprocess",
    ),
    (
        'Error using loadChanMap\nThe provided channel map must contain "chanMap"',
        "channel_map",
        "no chanMap",
        "preprocess",
    ),
    (
        "Error preprocessing! Index in position 1 exceeds array bounds (must not exceed 31).",
        "channel_map",
        "few channels",
        None,
    ),
    (
        "Error using rezToPhy\nmissing at least one field: W, U, mu\nError in rezToPhy (line 30)",
        "matlab_error",
        "error in rezToPhy: missing at least one field: W, U, mu",
        "export",
    ),
]


@pytest.mark.parametrize(("text", "kind", "words", "stage"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_every_failure_text_of_the_reference(text, kind, words, stage):
    failure = diagnose(text.splitlines())
    assert failure is not None
    assert failure.kind == kind
    assert words.lower() in failure.message.lower()
    assert failure.hint and failure.hint.endswith(".")
    assert failure.stage == stage


def test_each_license_error_has_its_own_hint():
    license_cases = [c for c in CASES if c[1] == "license"]
    hints = {diagnose(c[0].splitlines()).hint for c in license_cases}
    assert len(hints) == len(license_cases)


def test_mexgpuall_failure_from_a_real_log():
    failure = diagnose((FIXTURES / "logs" / "mexgpuall_issue220.txt").read_text().splitlines())
    assert failure.kind == "mex_compile_failed"
    assert failure.message == (
        "Compiling Kilosort's GPU code failed at mexMPnu8.cu (4 of 9): "
        "fatbinary fatal : '19_device.compute_35.cubin' is not in 'keyword=value' format."
    )
    assert failure.stage == "compile"


def test_too_few_spikes_from_a_real_quoted_and_wrapped_log():
    failure = diagnose((FIXTURES / "logs" / "ks25_issue307.txt").read_text().splitlines())
    assert failure.kind == "too_few_spikes"
    assert failure.stage == "learn"
    assert failure.line == "Error in extractTemplatesfromSnippets (line 56)"


def test_a_crlf_log_pasted_from_a_forum():
    text = "\r\n".join(f"> {line}" for line in GPU_OOM.splitlines())
    assert diagnose(read_log(text)).kind == "gpu_out_of_memory"


def test_a_wrapped_error_line_still_gives_the_whole_message():
    failure = diagnose(["> Error using myfunction", "> Something failed in a long", "> sentence."])
    assert failure.kind == "matlab_error"
    assert failure.message == "MATLAB stopped with an error in myfunction: Something failed in a long."


def test_the_stage_comes_from_the_progress_when_there_is_no_stack():
    lines = [*ks25_run(300)[:-12], "Error using find_merges_gpu", "Index exceeds the number of array elements (0)."]
    failure = diagnose(lines)
    assert failure.kind == "matlab_error" and failure.stage == "merge_split"


def test_the_callers_stage_places_a_tail_without_markers():
    failure = diagnose(["Error using foo", "bar"], stage="extract")
    assert failure.stage == "extract"


def test_driver_error_marker_wins():
    lines = ["Error using  * ", "Out of memory on device.", "[ks-gui] error gpu_out_of_memory: NT=65472 is too large"]
    failure = diagnose(lines)
    assert failure == Failure(
        "gpu_out_of_memory",
        "NT=65472 is too large",
        "Lower NT (e.g. --param NT=32704, a multiple of 1024 minus ntbuff) or close other programs using the GPU.",
        None,  # nothing in these lines says where the sort was
        "[ks-gui] error gpu_out_of_memory: NT=65472 is too large",
    )
    assert diagnose(["[ks-gui] error job_file: cannot read /out/.ks-gui/job.json"]).kind == "job_file"


def test_a_cause_beats_the_error_it_led_to_and_an_error_beats_a_warning():
    toolkit_then_compile = [
        "Warning: No CUDA toolkit installation could be found. If installed, set MW_NVCC_PATH environment variable",
        "Error using mex",
        "nvcc fatal",
    ]
    assert diagnose(toolkit_then_compile).kind == "cuda_toolkit_missing"
    too_new_then_kernel = [
        "Warning: The CUDA driver must recompile the GPU libraries because your device is more recent than the "
        "libraries.",
        "An unexpected error occurred trying to launch a kernel. The CUDA error was:",
        "invalid argument",
    ]
    assert diagnose(too_new_then_kernel).kind == "kernel_launch_failed"


def test_a_successful_run_and_plain_text_give_none():
    assert diagnose(ks25_run(300)) is None
    assert diagnose(["all is well", "", "Warning: X does not support locale C.UTF-8"]) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=40), st.sampled_from([None, "start", "learn", "done"]))
def test_random_input_never_raises(lines, stage):
    failure = diagnose(lines, stage=stage)
    assert failure is None or (failure.kind and failure.message)


ALL_TEXT = [line for case in CASES for line in case[0].splitlines()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ALL_TEXT), max_size=30), st.integers(min_value=0, max_value=60))
def test_truncated_real_failures_never_raise(lines, cut):
    lines = [line[:cut] if i == len(lines) - 1 else line for i, line in enumerate(lines)]
    failure = diagnose(lines)
    assert failure is None or failure.message.endswith(".")


def test_hints_name_the_sorters_own_parameters():
    lines = ["[ks-gui] error gpu_out_of_memory: CUDA out of memory. Tried to allocate 2.00 GiB"]
    assert diagnose(lines).hint.startswith("Lower NT (e.g. --param NT=32704")
    assert diagnose(lines, sorter="kilosort4-local").hint.startswith("Lower batch_size")


# matlab-actions/setup-matlab#53, verbatim: matlab-batch's error for an expired batch licensing token, wrapped as
# posted (the CI log indents every line but the first by two spaces; the blank line holds two spaces).
BATCH_TOKEN_EXPIRED = (
    "Error using BatchToken/consumeTokenData\n"
    "  Current time (03-Jan-2023 14:04:49) for token from license 40847642 is NOT in\n"
    "  the time range for this token (02-Jan-2022 09:17:07 to 03-Jan-2023 09:17:07)\n"
    "  \n"
    "  Error in BatchToken.enableTokenLicenses"
)


def test_a_rejected_batch_token_is_a_license_failure():
    failure = diagnose(BATCH_TOKEN_EXPIRED.splitlines())
    assert failure == Failure(
        "license",
        "The batch licensing token has expired (it was valid from 02-Jan-2022 09:17:07 to 03-Jan-2023 09:17:07).",
        "Get a new token (https://www.mathworks.com/support/batch-tokens.html) and give it once as "
        "token:EMAIL::TOKEN: it replaces the one kept in the system keyring.",
        "start",
        "Error using BatchToken/consumeTokenData",
    )
    # Any other refusal (synthetic wording: no other text is public) reads as a license failure in MATLAB's own
    # words, never as a bare MATLAB error.
    other = diagnose(["Error using BatchToken/consumeTokenData", "  Token has been revoked.", "  ", "  Error in x"])
    assert other.kind == "license"
    assert other.message == "MATLAB did not accept the batch licensing token: Token has been revoked."
