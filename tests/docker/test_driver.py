"""The MATLAB driver docker/kilosort2.5/ks_gui_run.m, run for real under GNU Octave.

MATLAB and Kilosort cannot run here (no license, no GPU), so Kilosort's functions, mexcuda, gpuDevice and
parallel.gpu.enableCUDAForwardCompatibility are stubs (tests/docker/stub_root, tests/docker/matlab_stubs) that
record what they were called with. Everything else — reading the job file, building ops, deciding what to compile,
the marker lines, the error handling and the exit status — is the driver's own code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ks_gui.core.ground.contract import MEX_FILES, STAGES
from ks_gui.core.recordings.channel_map import linear

REPO = Path(__file__).resolve().parents[2]
DRIVER_DIR = REPO / "docker" / "kilosort2.5"
HERE = Path(__file__).resolve().parent
STUB_ROOT = HERE / "stub_root"  # stands in for /opt/ks-gui (kilosort/ with stub functions and CUDA sources)
MATLAB_STUBS = HERE / "matlab_stubs"
MEX_EXT = "mex"  # Octave's mexext; MATLAB on Linux says mexa64


@pytest.fixture(scope="module")
def octave() -> str:
    path = shutil.which("octave")
    # Not a skip: CI installs octave (tests/setup/system-packages.sh), so its absence is a broken setup.
    assert path, "GNU Octave is missing: run tests/setup/system-packages.sh (apt-get install octave)"
    return path


@dataclass
class DriverRun:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]
    ops: dict | None

    @property
    def markers(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("[ks-gui] ")]


@dataclass
class Job:
    folder: Path
    file: Path
    document: dict

    @property
    def mex_cache(self) -> Path:
        return Path(self.document["mex_cache"])

    @property
    def output(self) -> Path:
        return Path(self.document["output"])

    def rewrite(self, **changes: object) -> None:
        self.document.update(changes)
        self.file.write_text(json.dumps(self.document, indent=2))


@pytest.fixture
def job(tmp_path: Path) -> Job:
    """A job as the launcher writes it (json.dumps, indent=2), with its channel map .mat."""
    recording = tmp_path / "rec"
    recording.mkdir()
    (recording / "rec.bin").write_bytes(b"\0" * 32 * 2 * 3000)
    output = tmp_path / "out"
    run_folder = output / ".ks-gui"
    run_folder.mkdir(parents=True)
    linear(32).write_mat(run_folder / "chanMap.mat", 30000.0)
    document = {
        "contract": 1,
        "sorter": "kilosort2.5",
        "job_id": "20260101-000000-abcd",
        "binary": str(recording / "rec.bin"),
        "n_channels": 32,
        "n_channels_connected": 32,
        "sample_rate": 30000.0,
        "dtype": "int16",
        "n_samples": 3000,
        "output": str(output),
        "temp_file": str(tmp_path / "fast" / "temp_wh.dat"),
        "mex_cache": str(tmp_path / "cache" / "mex" / "0123456789ab"),
        "channel_map": str(run_folder / "chanMap.mat"),
        "forward_compat": False,
        "params": {
            "NchanTOT": 32,
            "fs": 30000.0,
            "NT": 65472,
            "ntbuff": 64,
            "Th": [10, 4],
            "lam": 10,
            "minFR": 0.02,
            "trange": [0, None],
            "nblocks": 5,
            "fig": 1,
            "someLimit": None,
        },
    }
    file = run_folder / "job.json"
    file.write_text(json.dumps(document, indent=2))
    return Job(tmp_path, file, document)


def run_driver(octave: str, job: Job, fail: str = "", job_file: str | None = None) -> DriverRun:
    log = job.folder / f"calls-{len(list(job.folder.glob('calls-*')))}.txt"
    ops_file = job.folder / "ops.mat"
    ops_file.unlink(missing_ok=True)
    environment = {
        **os.environ,
        "KS_GUI_ROOT": str(STUB_ROOT),
        "KS_GUI_STUB_LOG": str(log),
        "KS_GUI_STUB_OPS": str(ops_file),
        "KS_GUI_STUB_FAIL": fail,
    }
    # The contract's statement, after the two path additions that startup.m and the image make.
    path = (job_file or str(job.file)).replace("'", "''")
    statement = f"addpath('{MATLAB_STUBS}'); addpath('{DRIVER_DIR}'); ks_gui_run('{path}')"
    done = subprocess.run(
        [octave, "--no-gui", "--no-window-system", "--quiet", "--norc", "--eval", statement],
        capture_output=True,
        text=True,
        env=environment,
        cwd=job.folder,
        timeout=120,
        check=False,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    ops = scipy.io.loadmat(ops_file, squeeze_me=False)["ops"] if ops_file.exists() else None
    return DriverRun(done.returncode, done.stdout, done.stderr, calls, _struct_fields(ops))


def _struct_fields(ops: np.ndarray | None) -> dict | None:
    if ops is None:
        return None
    record = ops[0, 0]
    return {name: record[name] for name in record.dtype.names}


def _stage_order(markers: list[str]) -> list[str]:
    return [m.removeprefix("[ks-gui] stage ") for m in markers if m.startswith("[ks-gui] stage ")]


def test_a_full_run_prints_the_stages_in_order_then_the_result(octave: str, job: Job) -> None:
    run = run_driver(octave, job)

    assert run.returncode == 0, run.stderr
    # extraction is seen in Kilosort's own lines; Kilosort 2.5's driver has no quality stage yet
    expected = [s for s in STAGES if s not in ("extract", "quality")]
    assert _stage_order(run.markers) == expected
    assert run.markers[-2:] == ["[ks-gui] result units=4 good=3 spikes=10", "[ks-gui] stage done"]
    assert [c.split()[0] for c in run.calls if not c.startswith("mexcuda")] == [
        "gpuDevice",
        "preprocessDataSub",
        "datashift2",
        "learnAndSolve8b",
        "find_merges",
        "splitAllClusters",
        "set_cutoff",
        "get_good_units",
        "rezToPhy",
    ]
    assert f"rezToPhy {job.output}" in run.calls
    assert (job.output / "params.py").exists()
    assert (job.output / "rez2.mat").exists()
    # Kilosort's own lines come through in place, between the markers.
    lines = run.stdout.splitlines()
    assert lines.index("[ks-gui] stage learn") < lines.index("Time   1s. Optimizing templates ...")
    assert lines.index(f"Looking for data inside {Path(job.document['binary']).parent} ") < lines.index(
        "[ks-gui] stage preprocess"
    )


def test_the_job_becomes_ops_with_null_as_inf_and_figures_off(octave: str, job: Job) -> None:
    run = run_driver(octave, job)

    assert run.returncode == 0, run.stderr
    ops = run.ops
    assert ops is not None
    assert ops["trange"].tolist() == [[0.0, np.inf]]  # [0, null] -> [0 Inf], a row as configFile384.m writes it
    assert ops["someLimit"].tolist() == [[np.inf]]  # a lone null -> Inf
    assert ops["Th"].tolist() == [[10.0, 4.0]]
    assert ops["NT"].item() == 65472
    assert ops["lam"].item() == 10
    assert ops["minFR"].item() == pytest.approx(0.02)
    assert ops["fig"].item() == 0  # the job said 1: a container has no display
    assert ops["NchanTOT"].item() == 32
    assert ops["fs"].item() == 30000.0
    assert ops["fbinary"].item() == job.document["binary"]
    assert ops["fproc"].item() == job.document["temp_file"]
    assert ops["chanMap"].item() == job.document["channel_map"]


def test_forward_compatibility_is_enabled_only_when_the_job_asks(octave: str, job: Job) -> None:
    without = run_driver(octave, job)
    job.rewrite(forward_compat=True)
    with_it = run_driver(octave, job)

    assert without.returncode == with_it.returncode == 0
    assert not any(c.startswith("enableCUDAForwardCompatibility") for c in without.calls)
    # Switched on before the GPU is first touched.
    assert with_it.calls[:2] == ["enableCUDAForwardCompatibility 1", "gpuDevice 1"]


def test_the_first_run_compiles_all_nine_as_mexgpuall_does_and_the_second_none(octave: str, job: Job) -> None:
    first = run_driver(octave, job)
    second = run_driver(octave, job)

    assert first.returncode == second.returncode == 0
    compile_markers = [m for m in first.markers if m.startswith("[ks-gui] compile ")]
    assert compile_markers == [f"[ks-gui] compile {i}/9 {name}.cu" for i, name in enumerate(MEX_FILES, 1)]
    mexcuda = [c for c in first.calls if c.startswith("mexcuda ")]
    assert len(mexcuda) == 9
    assert all(c.startswith("mexcuda -largeArrayDims ") for c in mexcuda)
    assert "-dynamic -DENABLE_STABLEMODE" in mexcuda[3] and mexcuda[3].endswith("/CUDA/mexMPnu8.cu")
    assert sum("-dynamic" in c for c in mexcuda) == 1
    assert sorted(p.name for p in job.mex_cache.iterdir()) == sorted(f"{n}.{MEX_EXT}" for n in MEX_FILES)

    assert "[ks-gui] stage compile" in second.markers
    assert not [m for m in second.markers if m.startswith("[ks-gui] compile ")]
    assert not [c for c in second.calls if c.startswith("mexcuda")]


def test_only_the_missing_mex_files_are_compiled(octave: str, job: Job) -> None:
    job.mex_cache.mkdir(parents=True)
    present = ("spikedetector3", "mexMPnu8", "mexDistances2")
    for name in present:
        (job.mex_cache / f"{name}.{MEX_EXT}").write_text("compiled earlier")

    run = run_driver(octave, job)

    assert run.returncode == 0, run.stderr
    compiled = [m for m in run.markers if m.startswith("[ks-gui] compile ")]
    assert compiled == [
        f"[ks-gui] compile {i}/9 {name}.cu" for i, name in enumerate(MEX_FILES, 1) if name not in present
    ]
    assert len([c for c in run.calls if c.startswith("mexcuda")]) == 6
    assert (job.mex_cache / f"mexMPnu8.{MEX_EXT}").read_text() == "compiled earlier"


def test_a_failing_compile_keeps_the_finished_files_and_says_so(octave: str, job: Job) -> None:
    run = run_driver(octave, job, fail="mexcuda_file:mexMPnu8")

    assert run.returncode == 1
    assert run.markers[-1] == "[ks-gui] error mex_compile_failed: nvcc fatal : stub compile failure of mexMPnu8.cu"
    assert "nvcc fatal : stub compile failure of mexMPnu8.cu" in run.stderr
    # The three before it are kept; no half-built file or build folder is left for the next run to trust.
    assert sorted(p.name for p in job.mex_cache.iterdir()) == sorted(
        f"{n}.{MEX_EXT}" for n in ("spikedetector3", "mexThSpkPC", "mexGetSpikes2")
    )
    rerun = run_driver(octave, job)
    rerun_compiles = [m for m in rerun.markers if m.startswith("[ks-gui] compile ")]
    assert rerun_compiles == [f"[ks-gui] compile {i}/9 {name}.cu" for i, name in enumerate(MEX_FILES, 1) if i > 3]


@pytest.mark.parametrize(
    ("fail", "marker"),
    [
        (
            "learnAndSolve8b:Out of memory on device. To view more detail about available memory on the GPU, "
            "use 'gpuDevice()'.",
            "[ks-gui] error gpu_out_of_memory: Out of memory on device. To view more detail about available "
            "memory on the GPU, use 'gpuDevice()'.",
        ),
        (
            "preprocessDataSub:Error writing batch 3 to /fast/temp_wh.dat. Check available disk space.",
            "[ks-gui] error disk_full: Error writing batch 3 to /fast/temp_wh.dat. Check available disk space.",
        ),
        ("splitAllClusters:Index exceeds the number of array elements (0).", None),
        ("rezToPhy:cannot write spike_times.npy", "[ks-gui] error export: cannot write spike_times.npy"),
        ("gpuDevice:No supported GPU device was found on this computer.", None),
    ],
)
def test_a_failing_step_exits_non_zero_with_an_error_marker(
    octave: str, job: Job, fail: str, marker: str | None
) -> None:
    run = run_driver(octave, job, fail=fail)

    function, _, message = fail.partition(":")
    assert run.returncode == 1
    assert run.markers[-1] == (
        marker or f"[ks-gui] error {'gpu' if function == 'gpuDevice' else 'kilosort'}: {message}"
    )
    assert not any(m.startswith("[ks-gui] result") for m in run.markers)
    # MATLAB's own report goes to stderr, as -batch prints an uncaught error.
    assert run.stderr.startswith("Error using ")
    assert message in run.stderr


def test_a_missing_job_file_is_a_job_file_error(octave: str, job: Job) -> None:
    missing = job.folder / "nowhere" / "job.json"
    run = run_driver(octave, job, job_file=str(missing))

    assert run.returncode == 1
    assert run.markers[0] == "[ks-gui] stage start"
    assert run.markers[-1].startswith(f"[ks-gui] error job_file: cannot read the job file {missing}")
    assert not run.calls


def test_a_job_of_another_contract_is_refused(octave: str, job: Job) -> None:
    job.rewrite(contract=2)
    run = run_driver(octave, job)

    assert run.returncode == 1
    assert run.markers[-1] == (
        f"[ks-gui] error job_file: the job file {job.file} speaks contract 2; this image speaks contract 1"
    )


def test_a_channel_map_without_chanmap_is_named(octave: str, job: Job) -> None:
    bad = job.folder / "bad.mat"
    scipy.io.savemat(bad, {"xcoords": np.zeros((4, 1))})
    job.rewrite(channel_map=str(bad))
    run = run_driver(octave, job)

    assert run.returncode == 1
    assert run.markers[-1] == f"[ks-gui] error channel_map: the channel map {bad} has no chanMap variable"
    assert not any(c.startswith("preprocessDataSub") for c in run.calls)
