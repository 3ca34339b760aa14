"""MathWorks account sign-in through the container's stdin (the stand-in prints MATLAB's real prompts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.recording import inspect
from ks_gui.core.run import Outcome, SignInPrompt, SortRun, preflight

pytestmark = pytest.mark.engine


def sign_in_run(engine, recording, output: Path, answers: dict[str, str]) -> tuple[Outcome, list[str]]:
    job = SortJob(
        recording=inspect(recording.folder),
        output=output,
        license=parse_license("account:ada@example.org"),
        image="ks-gui-sim:latest",
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    checked = preflight(job, engine, "none", [])
    assert checked.problems == []
    run = SortRun(job, engine, checked.image)
    run.start()
    asked = []
    for event in run.events():
        if isinstance(event, SignInPrompt):
            asked.append(event.kind)
            run.answer(answers[event.kind])
        elif isinstance(event, Outcome):
            return event, asked
    raise AssertionError("no outcome")


def test_right_password(engine, sim_image, recording, tmp_path):
    outcome, asked = sign_in_run(engine, recording, tmp_path / "out", {"password": "ks-gui-test-password"})
    assert outcome.succeeded
    assert asked == ["password"]  # the email is answered from the license form


def test_wrong_password_then_give_up(engine, sim_image, recording, tmp_path):
    outcome, asked = sign_in_run(engine, recording, tmp_path / "out", {"password": "hunter2", "retry": "n"})
    assert not outcome.succeeded
    assert asked == ["password", "retry"]
    assert outcome.failure.kind == "license"
    assert outcome.summary().startswith("Sort failed: Signing in to the MathWorks account failed.")
    assert "hunter2" not in outcome.log_file.read_text()
