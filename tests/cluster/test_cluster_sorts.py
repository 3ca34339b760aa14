"""Sorting on a SLURM cluster from its login node, as a user does: the real one-node cluster `make test` starts
(tests/setup/slurm.sh), real batch jobs, the stand-in image through Docker on the node, real Kilosort 4 on the CPU
in the test environment."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ks_gui.core import sorting
from ks_gui.core.doors.clusters import Cluster
from ks_gui.core.events import Notice, Outcome
from ks_gui.core.places.slurm import SlurmOptions
from ks_gui.core.results import history
from tests.conftest import SIM_IMAGE, run_cli, sim_job, sim_sort_args, write_recording
from tests.e2e.test_kilosort4_sort import check_phy_folder, kilosort4_sort_args
from tests.helpers.kilosort4_environment import test_environment
from tests.helpers.planted import write_recording as write_planted

pytestmark = [pytest.mark.engine, pytest.mark.slurm]

# The test cluster has no GPU: every job asks for none. Docker on the node runs the stand-in image.
ON_NODE_DOCKER = ("--on", "slurm", "--node-runs", "docker", "--gpus-per-job", "0")


def _squeue_jobs() -> list[str]:
    done = subprocess.run(["squeue", "--me", "--noheader", "--format=%i %j"], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if "ks-gui-" in line]


def test_a_sort_is_one_batch_job_with_its_script_its_id_and_its_node_on_record(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=2.0)
    output = tmp_path / "sorted"

    done = run_cli(*sim_sort_args(recording.folder, output, *ON_NODE_DOCKER, "--time", "0:10:00"), timeout=240)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("Sorted: 16 units")
    script = (output / ".ks-gui" / "job.sbatch").read_text()
    assert "#SBATCH --time=0:10:00" in script and "#SBATCH --job-name=ks-gui-" in script
    (record,) = history.load_all()
    assert record.place == "slurm" and record.status == "succeeded"
    job = record.handle.split()[2]
    assert record.handle.startswith("SLURM job ") and " on " in record.handle  # which node it ran on
    assert (output / ".ks-gui" / f"slurm-{job}.out").is_file()  # the job's own output file, the sort's log there


@pytest.mark.timeout(600)  # a real CPU sort, as tests/e2e/test_kilosort4_sort.py allows it
def test_real_kilosort4_sorts_on_the_cluster_in_its_python_environment(tmp_path: Path):
    planted = write_planted(tmp_path / "planted" / "rec", duration_s=40.0)
    output = tmp_path / "sorted"
    environment = test_environment()

    args = ("--python-env", str(environment), "--gpus-per-job", "0", "--json")
    done = run_cli(*kilosort4_sort_args(planted.binary.parent, output, *args, on="slurm"), timeout=540)

    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["succeeded"] is True
    check_phy_folder(output, planted)
    stages = [line for line in done.stderr.splitlines() if "Preprocess" in line or "Learn" in line]
    assert stages, "the CLI showed Kilosort 4's stages as the job ran"
    # the quality stage ran on the node, beside the sort (the recording never crossed to the launcher)
    quality = json.loads((output / ".ks-gui" / "quality.json").read_text())
    assert quality["units"] and (output / "cluster_auto_label.tsv").is_file()
    assert "Automatic labels: " in json.loads(done.stdout)["summary"]


def test_a_job_over_its_time_limit_is_said_in_plain_words(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=2.0)
    args = sim_sort_args(recording.folder, tmp_path / "sorted", *ON_NODE_DOCKER, "--time", "0:01:00", "--json")
    args += ["--env", "KS_GUI_SIM_PACE=30"]  # far longer than a minute

    done = run_cli(*args, timeout=300)

    assert done.returncode == 1
    failure = json.loads(done.stdout)["failure"]
    assert failure["kind"] == "time_limit", failure
    assert "--time" in failure["hint"]


def test_waiting_in_the_queue_says_why_and_cancel_ends_the_job(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    job = sim_job(recording, tmp_path / "sorted")
    job.place = "slurm"
    cluster = Cluster(options=SlurmOptions(gpus=0, extra=("--begin=now+3600",)), runs="docker")
    checked = sorting.check(job, sorting.open_place("slurm", cluster=cluster), "none")
    assert not checked.problems, checked.problems
    run = sorting.start(checked)
    # At submission the job id is on record: in history and in the output folder's run.json.
    (record,) = history.load_all()
    slurm_job = record.handle.split()[2]
    submitted = json.loads((tmp_path / "sorted" / ".ks-gui" / "run.json").read_text())
    assert submitted["outcome"] == "running" and submitted["ended"] is None
    assert submitted["place"] == "slurm" and submitted["handle"] == f"SLURM job {slurm_job}"

    outcome = None
    for event in run.events():
        if isinstance(event, Notice) and "Waiting in SLURM's queue" in event.text:
            assert "start time has not come" in event.text
            run.cancel()
        if isinstance(event, Outcome):
            outcome = event
    assert outcome is not None and outcome.cancelled
    assert not any(job.job_id in line for line in _squeue_jobs())
    ended = json.loads((tmp_path / "sorted" / ".ks-gui" / "run.json").read_text())
    assert ended["outcome"] == "cancelled" and ended["handle"].startswith(f"SLURM job {slurm_job}")


def test_several_recordings_are_submitted_at_once_and_each_sorted(sim_image, tmp_path: Path):
    folders = [write_recording(tmp_path / name, seconds=1.0).folder for name in ("a", "b", "c")]

    done = run_cli(*sim_sort_args(folders, tmp_path / "out", *ON_NODE_DOCKER, "--env", "KS_GUI_SIM_PACE=0.3"))

    assert done.returncode == 0, done.stderr
    submitted = [line for line in done.stderr.splitlines() if ": SLURM job " in line]
    assert len(submitted) == 3  # all three submitted before the first was followed
    assert all((tmp_path / "out" / name / "params.py").is_file() for name in ("a", "b", "c"))


def test_a_job_outlives_its_launcher_and_status_attach_follows_it_to_the_end(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=2.0)
    args = sim_sort_args(recording.folder, tmp_path / "sorted", *ON_NODE_DOCKER, "--env", "KS_GUI_SIM_PACE=0.5")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ks_gui", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while not history.load_all():
        time.sleep(0.2)
    time.sleep(2)
    launcher.kill()  # the launcher dies mid-sort; the job sorts on
    launcher.wait()
    assert history.load_all()[0].status == "running"

    status = run_cli("status", "--attach", "--json", timeout=240)

    # status also lists this user's other containers (an earlier test may leave one): this test's run is by output.
    document = json.loads(status.stdout)
    output = str(tmp_path / "sorted")
    assert [run["place"] for run in document["runs"] if run["output"] == output] == ["slurm"], status.stderr
    assert next(o for o in document["outcomes"] if o["output"] == output)["succeeded"] is True
    assert history.load_all()[0].status == "succeeded"


def test_the_sbatch_script_a_user_can_read_and_submit_again(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    args = sim_sort_args(recording.folder, tmp_path / "sorted", *ON_NODE_DOCKER, "--dry-run", "--json")

    done = run_cli(*args)

    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["command_line"].startswith("sbatch --parsable ")
    assert "exec sh -c 'exec docker run --rm" in plan["sbatch_script"]
    assert f"{SIM_IMAGE}" in plan["sbatch_script"] and "--network" not in plan["sbatch_script"]


def test_a_partition_the_cluster_lacks_is_one_sentence_and_nothing_is_submitted(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)

    done = run_cli(*sim_sort_args(recording.folder, tmp_path / "sorted", *ON_NODE_DOCKER, "--partition", "gpu"))

    assert done.returncode == 2
    assert done.stderr.strip() == "ks-gui: the cluster has no partition gpu (it has debug)"
    assert not (tmp_path / "sorted").exists() and _squeue_jobs() == []


def test_doctor_checks_the_cluster_item_by_item():
    from ks_gui.core.doors.clusters import remember_cluster

    remember_cluster("slurm", Cluster(options=SlurmOptions(gpus=1), python_env=str(test_environment())))

    done = run_cli("doctor", "--on", "slurm", "--json")

    checks = {check["name"]: check for check in json.loads(done.stdout)["checks"]}
    assert checks["SLURM"]["ok"] and "partitions: debug" in checks["SLURM"]["detail"]
    # The test cluster has no GPU, and a job asks for one by default: said, with the fix.
    assert not checks["Partition"]["ok"] and "--gpus-per-job 0" in checks["Partition"]["fix"]
    assert checks["What runs on the nodes"]["ok"], checks["What runs on the nodes"]
    assert done.returncode == 1


def test_a_job_slurm_has_forgotten_is_found_by_its_output_file_and_recorded(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    output = tmp_path / "sorted"
    args = sim_sort_args(recording.folder, output, *ON_NODE_DOCKER, "--env", "KS_GUI_SIM_PACE=0.3")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ks_gui", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while not history.load_all():
        time.sleep(0.2)
    launcher.kill()  # the launcher dies at once; the job sorts on and ends with nobody following it
    launcher.wait()
    (record,) = history.load_all()
    job = record.handle.split()[2]
    deadline = time.monotonic() + 180
    while any(line.split()[0] == job for line in _squeue_jobs()):
        assert time.monotonic() < deadline, "the job never ended"
        time.sleep(1)
    # SLURM forgets an ended job after MinJobAge (600 s on the test cluster, 300 s by default) where no accounting
    # keeps it. What a launcher finds the next day is made here: the record and the output file name a job id the
    # controller never had (scontrol and sacct both say they do not know it).
    forgotten = "999999"
    (output / ".ks-gui" / f"slurm-{job}.out").rename(output / ".ks-gui" / f"slurm-{forgotten}.out")
    history.save(dataclasses.replace(record, handle=f"SLURM job {forgotten}"))

    status = run_cli("status", "--attach", "--json", timeout=120)

    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert [run["state"] for run in document["runs"]] == ["ended unseen"]
    assert document["outcomes"][0]["succeeded"] is True, document
    (record,) = history.load_all()
    assert record.status == "succeeded" and record.units == 16


def test_gpu_none_asks_the_cluster_for_no_gpu(sim_image, tmp_path: Path):
    """Issue 27's bug: `--gpu none` still asked SLURM for --gres=gpu:1, which this cluster (it has no GPU) refuses.
    No --gpus-per-job here: --gpu none alone means a CPU sort everywhere."""
    recording = write_recording(tmp_path / "rec", seconds=2.0)
    output = tmp_path / "sorted"

    done = run_cli(
        *sim_sort_args(recording.folder, output, "--on", "slurm", "--node-runs", "docker", "--gpu", "none"),
        timeout=240,
    )

    assert done.returncode == 0, done.stderr
    script = (output / ".ks-gui" / "job.sbatch").read_text()
    assert "--gres" not in script and "CUDA_VISIBLE_DEVICES" in script
