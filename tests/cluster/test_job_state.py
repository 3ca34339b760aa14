"""How a job's state is asked once SLURM's controller has forgotten it: sacct, where the cluster keeps accounting.

The test cluster has no accounting (slurmdbd cannot run here without a database), so its real sacct refuses and the
job reads as unknown; sacct's own answer is read from lines in the format its man page documents (-X -n -P)."""

from __future__ import annotations

import pytest

from ks_gui.core.places.shell import LocalShell
from ks_gui.core.places.slurm import SACCT_FIELDS, Slurm, parse_sacct

pytestmark = pytest.mark.slurm  # the real sacct and scontrol, no engine


def test_a_job_neither_scontrol_nor_sacct_knows_reads_as_unknown():
    assert Slurm(LocalShell()).state("999999") is None


def test_sacct_says_how_a_forgotten_job_ended_with_its_node():
    assert SACCT_FIELDS == ("JobID", "JobName", "State", "ExitCode", "NodeList", "WorkDir")
    state = parse_sacct("4242|ks-gui-20261204-120000-abcd|TIMEOUT|0:0|gpu07|/lab/out\n")
    assert state is not None and state.ended and state.state == "TIMEOUT"
    assert (state.node, state.name, state.workdir) == ("gpu07", "ks-gui-20261204-120000-abcd", "/lab/out")
    cancelled = parse_sacct("4243|ks-gui-x|CANCELLED by 1000|0:15|gpu07|/lab/out\n")
    assert cancelled is not None and cancelled.state == "CANCELLED" and cancelled.signal == 15
    waiting = parse_sacct("4244|ks-gui-y|PENDING|0:0|None assigned|/lab/out\n")
    assert waiting is not None and not waiting.ended and waiting.node == ""
    assert parse_sacct("") is None
