"""SLURM options are checked before they are used or remembered (issue 28, item 5): each bad option is one sentence
and exit 2 before the cluster is asked, a refused sort or a dry run remembers nothing and leaves no `.ks-gui/`, a dry
run prints its command only when everything passed, and a job's script holds one #SBATCH line per option. The real
one-node cluster and the stand-in image through Docker on the node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ks_gui.core.doors.clusters import remembered_cluster
from ks_gui.core.settings import settings_file
from tests.cluster.test_cluster_sorts import ON_NODE_DOCKER, _squeue_jobs
from tests.conftest import run_cli, sim_sort_args, write_recording
from tests.e2e.test_bad_input import assert_refused

pytestmark = pytest.mark.engine


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--time", "abc"), "--time 'abc' is not a SLURM time limit"),
        (("--mem", "lots"), "--mem 'lots' is not an amount of memory"),
        (("--cpus", "-2"), "--cpus -2 is not a number of CPUs"),
        (("--partition", "gpu\n#SBATCH --x"), "--partition 'gpu\\n#SBATCH --x' is not a SLURM name"),
        (("--account", "lab; rm -rf ~"), "is not a SLURM name"),
        (("--sbatch", "--constraint=a100\necho injected"), "holds a line end"),
        (("--sbatch", "--constraint=a100 --exclusive"), "is not one #SBATCH option"),
        (("--sbatch", "echo injected"), "is not one #SBATCH option"),
    ],
    ids=["time", "mem", "cpus", "partition-newline", "account", "sbatch-newline", "sbatch-two", "sbatch-shell"],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["sort", "dry-run"])
def test_a_bad_cluster_option_is_refused_and_nothing_is_kept(
    sim_image, tmp_path: Path, extra: tuple[str, str], words: str, dry_run: bool
):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    output = tmp_path / "sorted"
    args = sim_sort_args(recording.folder, output, *ON_NODE_DOCKER, *extra, *(["--dry-run"] if dry_run else []))

    done = run_cli(*args)

    assert_refused(done, words)
    assert done.stdout == ""  # no command line of a dry run that would not start
    assert not output.exists() and _squeue_jobs() == []
    assert not settings_file().exists() or "slurm" not in json.loads(settings_file().read_text()).get("clusters", {})


def test_a_dry_run_and_a_refused_sort_remember_nothing_a_started_one_does(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    dry = run_cli(*sim_sort_args(recording.folder, tmp_path / "a", *ON_NODE_DOCKER, "--qos", "normal", "--dry-run"))
    assert dry.returncode == 0, dry.stderr
    refused = run_cli(*sim_sort_args(recording.folder, tmp_path / "b", *ON_NODE_DOCKER, "--partition", "gpu"))
    assert refused.returncode == 2, refused.stderr  # the cluster has no partition gpu
    assert remembered_cluster("slurm").options.qos == "" and remembered_cluster("slurm").options.partition == ""
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()

    output = tmp_path / "c"
    args = sim_sort_args(recording.folder, output, *ON_NODE_DOCKER, "--time", "0:10:00", "--sbatch=--comment=lab")
    done = run_cli(*args, timeout=240)
    assert done.returncode == 0, done.stderr
    script = (output / ".ks-gui" / "job.sbatch").read_text().splitlines()
    assert "#SBATCH --comment=lab" in script and "#SBATCH --time=0:10:00" in script
    assert all(line.startswith("#SBATCH --") for line in script if line.startswith("#SBATCH"))
    kept = remembered_cluster("slurm").options
    assert kept.time == "0:10:00" and kept.extra == ("--comment=lab",)


def test_a_job_slurm_refuses_leaves_the_output_free(sim_image, tmp_path: Path):
    recording = write_recording(tmp_path / "rec", seconds=1.0)
    output = tmp_path / "sorted"
    args = sim_sort_args(recording.folder, output, *ON_NODE_DOCKER, "--sbatch=--constraint=nosuchfeature")

    done = run_cli(*args)

    assert done.returncode == 1 and "SLURM refused the job" in done.stderr, done.stderr
    assert not (output / ".ks-gui").exists()  # the next sort into it is not told it holds one
    assert remembered_cluster("slurm").options.extra == ()
