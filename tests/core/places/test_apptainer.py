"""Apptainer is not packaged for this OS, so it has never run here: its command lines are checked against the
documented flags (Apptainer user guide 1.5: run, --nv, --cleanenv, --bind src:dest:ro|rw, --env, --writable-tmpfs,
APPTAINERENV_*; build docker-daemon:)."""

from __future__ import annotations

from pathlib import Path

from ks_gui.core.places.base import Launch, Mount, Readiness
from ks_gui.core.places.node_runners import ApptainerRunner, sif_build_command
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.places.slurm import SlurmOptions, batch_script
from tests.conftest import run_cli


def launch() -> Launch:
    return Launch(
        job_id="20261204-120000-abcd",
        output=Path("/mnt/lab/out"),
        command=["-batch", "ks_gui_run('/data/lab/out/.ks-gui/job.json')"],
        image="ks-gui/kilosort2.5:latest",
        environment={"MLM_LICENSE_FILE": "27000@licenses.example.org"},
        mounts=(
            Mount(Path("/mnt/lab/rec"), "/mnt/lab/rec", True),
            Mount(Path("/mnt/lab/out"), "/mnt/lab/out", False),
        ),
    )


def test_apptainer_runs_the_sif_with_the_gpu_slurm_gave_and_the_folders_as_the_node_sees_them():
    runner = ApptainerRunner("/shared/sif/kilosort2.5.sif")
    node = runner.command(launch(), PathMap.parse(["/mnt/lab=/data/lab"]), Readiness())

    command = node.command
    assert command[:5] == ["apptainer", "run", "--nv", "--cleanenv", "--writable-tmpfs"]
    binds = [command[i + 1] for i, word in enumerate(command) if word == "--bind"]
    assert "/data/lab/rec:/data/lab/rec:ro" in binds  # the recording read-only, under the node's name
    assert "/data/lab/out:/data/lab/out:rw" in binds
    assert "/data/lab/out/.ks-gui/mex:/ks-gui/mex-cache:rw" in binds  # mex files into the job's own folder
    assert command[command.index("--env") + 1] == "MLM_LICENSE_FILE=27000@licenses.example.org"  # --cleanenv
    assert command[-3:] == ["/shared/sif/kilosort2.5.sif", "-batch", "ks_gui_run('/data/lab/out/.ks-gui/job.json')"]
    # Only the GPU SLURM gave: CUDA_VISIBLE_DEVICES passed into the container, as --cleanenv allows.
    assert node.preamble == ('export APPTAINERENV_CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"',)


def test_the_batch_script_asks_slurm_for_one_gpu_by_default_and_keeps_the_users_lines():
    node = ApptainerRunner("/shared/ks.sif").command(launch(), PathMap(), Readiness())
    options = SlurmOptions(partition="gpu", time="4:00:00", memory="64G", account="lab", extra=("--constraint=a100",))

    script = batch_script(
        "j1", "/mnt/lab/out", "/mnt/lab/out/.ks-gui/slurm-%j.out", options, {}, node.command, node.preamble
    )

    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --time=4:00:00",
        "#SBATCH --mem=64G",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --account=lab",
        "#SBATCH --constraint=a100",
        "#SBATCH --output=/mnt/lab/out/.ks-gui/slurm-%j.out",
        "export PYTHONUNBUFFERED=1",
    ):
        assert line in lines, line
    assert lines.index('export APPTAINERENV_CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"') < len(lines) - 1
    assert lines[-1].startswith("exec apptainer run --nv --cleanenv")


def test_a_sif_is_built_from_this_computers_docker():
    assert sif_build_command("ks-gui/kilosort2.5:latest", "/shared/ks.sif") == [
        "apptainer",
        "build",
        "/shared/ks.sif",
        "docker-daemon:ks-gui/kilosort2.5:latest",
    ]


def test_image_sif_without_apptainer_says_where_to_run_it():
    done = run_cli("image", "sif", "--output", "/shared/ks.sif")
    assert done.returncode == 2
    assert "Apptainer is not installed on this computer" in done.stderr
    assert "apptainer build /shared/ks.sif docker-daemon:ks-gui/kilosort2.5:latest" in done.stderr
