"""Kilosort 4 in core, without sorting: the sorter table, the job, the local process, the environment's install
plan, the progress of tqdm bars, and the failures' diagnosis (texts from real Kilosort 4.1.7 runs here)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.places import kilosort4_env
from ks_gui.core.places.gpus import Gpu
from ks_gui.core.places.local_env import LocalEnvPlace
from ks_gui.core.places.local_process import LocalRun, LocalSpec, local_spec_for
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters import DEFAULT_SORTER, KILOSORT4, KILOSORT25, SORTERS, param_problems, sorter_named
from ks_gui.core.sorters.diagnosis import diagnose
from ks_gui.core.sorters.progress import Tracker
from ks_gui.core.sorting import check, place_problem, places_for

H100 = Gpu(0, "GPU-1234", "NVIDIA H100 80GB HBM3", 81559, 0, 0, "9.0", "580.159.04")


def ks4_job(recording, tmp_path: Path, place: str = "local", **overrides) -> SortJob:
    return SortJob(
        recording=inspect(recording.folder),
        output=tmp_path / "out",
        license=None,
        sorter=KILOSORT4,
        place=place,
        param_overrides={"n_chan_bin": recording.n_channels, "fs": recording.sample_rate, **overrides},
    )


def test_kilosort25_stays_the_default_and_kilosort4_needs_no_license():
    assert DEFAULT_SORTER == "kilosort2.5"
    assert set(SORTERS) == {"kilosort2.5", "kilosort4"}
    assert not KILOSORT4.needs_matlab_license
    assert KILOSORT4.command("/o/.ks-gui/job.json") == ["/o/.ks-gui/job.json"]
    assert KILOSORT4.default_image == "ks-gui/kilosort4:latest"


def test_kilosort4_runs_in_docker_or_locally_and_the_old_name_says_both():
    assert places_for(KILOSORT4) == ["docker", "local"] and places_for(KILOSORT25) == ["docker"]
    assert sorter_named("kilosort4-local") == (KILOSORT4, "local")
    assert sorter_named("kilosort4") == (KILOSORT4, None)
    assert place_problem(KILOSORT4, "local") is None
    refused = place_problem(KILOSORT25, "local")
    assert refused is not None and refused.field == "place" and "Kilosort 2.5" in refused.message


def test_kilosort4_parameters_are_kilosort4s_own():
    table = KILOSORT4.params
    assert table["Th_universal"].default == 9 and table["Th_learned"].default == 8
    assert table["batch_size"].default == 60000 and table["nt"].default == 61
    assert "NT" not in table and "Th" not in table
    assert param_problems(KILOSORT4, {"nt": 60}) == ["nt must be odd, not 60"]
    assert param_problems(KILOSORT4, {"tmin": 10, "tmax": 5}) == ["tmax (5) must be after tmin (10)"]


def test_kilosort4_job_has_no_license_problem_and_no_temp_file(recording, tmp_path: Path):
    job = ks4_job(recording, tmp_path)
    assert job.input_problems() == []
    assert job.n_channels == recording.n_channels
    assert job.n_batches == 5  # 10 s at 30 kHz in batches of 60000 samples
    assert job.temp_file_bytes == 0
    document = job.document(None)
    assert document["sorter"] == "kilosort4" and document["place"] == "local" and document["mex_cache"] == ""
    assert document["params"]["n_chan_bin"] == recording.n_channels
    assert "tmax" not in document["params"]  # Kilosort's own default: to the end
    assert SortJob.from_document({**document, "sorter": "kilosort4-local", "place": None}).place == "local"


def test_time_range_of_kilosort4(recording, tmp_path: Path):
    assert ks4_job(recording, tmp_path, tmin=2.0, tmax=6.0).n_batches == 2


def test_local_spec_hides_gpus_for_a_cpu_sort_and_names_the_chosen_one(recording, tmp_path: Path):
    job = ks4_job(recording, tmp_path)
    spec = local_spec_for(launch_for(job), Path("/env/bin/python"), Path("/drv.py"))
    assert spec.command == ["/env/bin/python", "/drv.py", str(job.output / ".ks-gui" / "job.json")]
    assert spec.environment["CUDA_VISIBLE_DEVICES"] == ""
    job.gpu = H100
    assert local_spec_for(launch_for(job), Path("/p"), Path("/d")).environment["CUDA_VISIBLE_DEVICES"] == "GPU-1234"


def test_local_run_gives_lines_exit_code_and_tqdm_updates():
    script = "import sys; print('one'); sys.stderr.write(' 5%|5 | 1/20 [00:01<00:20]\\r10%|1 | 2/20 [\\n'); sys.exit(3)"
    run = LocalRun(LocalSpec([sys.executable, "-c", script]))
    lines = [line.text for line in run.lines()]
    assert run.wait() == 3
    run.remove()
    assert lines == ["one", " 5%|5 | 1/20 [00:01<00:20]", "10%|1 | 2/20 ["]


def test_stop_ends_the_whole_process_group(tmp_path: Path):
    child_pid = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {child_pid}; wait"
    run = LocalRun(LocalSpec(["sh", "-c", script]))
    for _ in range(50):
        if child_pid.exists() and child_pid.read_text().strip():
            break
        time.sleep(0.1)
    child = int(child_pid.read_text())
    started = time.monotonic()
    run.stop(timeout=5)
    assert run.wait() == 128 + 15  # SIGTERM, read as a container's exit code
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert not alive(child)
    run.remove()


def alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for a parent that no longer exists to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_install_plan_pins_torch_first_with_the_build_for_the_machine(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(kilosort4_env.TORCH_INDEX_VARIABLE, raising=False)
    cpu = kilosort4_env.install_plan(tmp_path / "env", [])
    assert cpu[0].command[1:3] == ["-m", "venv"]
    assert cpu[1].command[-1] == f"torch=={kilosort4_env.TORCH_VERSION}"
    assert kilosort4_env.CPU_TORCH_INDEX in cpu[1].command and "CPU" in cpu[1].title
    assert cpu[2].command[-1] == f"kilosort=={kilosort4_env.KILOSORT_VERSION}"
    cuda = kilosort4_env.install_plan(tmp_path / "env", [H100])
    assert "CUDA" in cuda[1].title and "--extra-index-url" not in cuda[1].command


def test_missing_environment_is_explained_and_refused(recording, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(kilosort4_env.ENV_VARIABLE, str(tmp_path / "nowhere"))
    status = kilosort4_env.check()
    assert not status.ready and "ks-gui install kilosort4" in status.problem
    job = ks4_job(recording, tmp_path)
    checked = check(job, LocalEnvPlace(), "auto", [H100])
    assert [p.field for p in checked.problems] == ["place"]
    assert checked.job.gpu is None  # no environment that can use it
    assert checked.job is not job and job.gpu is None  # checking never changes the job it checks


def test_install_target_reports_an_environment_that_works(tmp_path: Path):
    from tests.helpers.kilosort4_environment import test_environment

    folder = test_environment()
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "ks_gui", "install", "kilosort4", "--into", str(folder), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["succeeded"] and "already installed" in document["message"]


def test_tqdm_bars_move_the_stage_forward():
    tracker = Tracker()
    tracker.feed("kilosort.run_kilosort: Kilosort version 4.1.7")
    tracker.feed("[ks-gui] stage drift")
    before = tracker.fraction
    event = tracker.feed(" 45%|####5     | 9/20 [00:08<00:10,  1.06it/s]")
    assert event is not None and event.detail == "Drift correction: 9 of 20" and event.counter == (9, 20)
    assert tracker.fraction > before
    tracker.feed("[ks-gui] stage learn")
    tracker.feed(" 45%|####5     | 9/20 [00:08<00:10,  1.06it/s]")
    assert tracker.stage == "learn" and tracker.sorter_version == "4"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (
            "ValueError: Found array with 0 sample(s) (shape=(0, 61)) while a minimum of 1 is required by "
            "TruncatedSVD.",
            "too_few_spikes",
        ),
        ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", "gpu_out_of_memory"),
        (
            "ValueError: Largest value of chanMap exceeds channel count of data, make sure chanMap is 0-indexed.",
            "wrong_channel_count",
        ),
    ],
)
def test_kilosort4_failures_are_diagnosed(line: str, kind: str):
    failure = diagnose(["kilosort.run_kilosort: Computing drift correction.", line])
    assert failure is not None and failure.kind == kind
