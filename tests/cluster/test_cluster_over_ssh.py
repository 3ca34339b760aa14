"""A cluster reached from a workstation through SSH on its login node (slurm+ssh://…): the real sshd on loopback
(tests/helpers/loopback_sshd.py) as the login node, the real one-node cluster behind it, the job submitted as the test
account, its output followed here through the shared storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ks_gui.core.results import history
from tests.conftest import run_cli, sim_sort_args, write_recording
from tests.helpers.loopback_sshd import SERVER
from tests.server.conftest import shared, ssh_config, sshd  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.engine, pytest.mark.slurm, pytest.mark.sshd]

LOGIN = f"slurm+ssh://{SERVER}"


def test_a_sort_submitted_through_the_login_node_runs_as_its_account(sim_image, shared: Path, sshd):  # noqa: F811
    recording = write_recording(shared / "rec", seconds=2.0)
    output = shared / "sorted"

    done = run_cli(
        *sim_sort_args(recording.folder, output, "--on", LOGIN, "--node-runs", "docker", "--gpus-per-job", "0"),
        "--json",
        timeout=240,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["succeeded"] is True
    assert (output / "spike_times.npy").stat().st_uid == sshd.uid  # the cluster account's files
    (record,) = history.load_all()
    assert record.place == LOGIN and record.handle.startswith("SLURM job ")


def test_a_login_node_that_refuses_the_key_is_one_sentence(shared: Path, sshd):  # noqa: F811
    sshd.drop_connections()
    recording = write_recording(shared / "rec", seconds=1.0)
    done = run_cli(*sim_sort_args(recording.folder, shared / "out", "--on", "slurm+ssh://ks-gui-refused"))
    assert done.returncode == 2 and "refused the login" in done.stderr
    assert not (shared / "out").exists()
