"""`ks-gui sort --cuda-forward-compat auto|on|off`: the job file says what the MATLAB driver switches on."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli, sim_sort_args

pytestmark = pytest.mark.engine


def test_dry_run_json_carries_the_choice(sim_image, recording, tmp_path):
    def job_of(*extra: str) -> dict:
        done = run_cli(*sim_sort_args(recording.folder, tmp_path / "out", "--dry-run", "--json", *extra))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["job"]

    assert job_of()["forward_compat"] is False  # auto, and no GPU here: nothing newer than MATLAB R2021b knows
    assert job_of("--cuda-forward-compat", "on")["forward_compat"] is True
    assert job_of("--cuda-forward-compat", "off")["forward_compat"] is False

    bad = run_cli(*sim_sort_args(recording.folder, tmp_path / "out", "--cuda-forward-compat", "yes"))
    assert bad.returncode == 2
    assert bad.stderr.strip() == "ks-gui: --cuda-forward-compat 'yes' must be auto, on or off"
    assert not (tmp_path / "out").exists()
