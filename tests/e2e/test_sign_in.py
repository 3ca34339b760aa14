"""MathWorks account sign-in through the container's stdin (the stand-in prints MATLAB's real prompts)."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in_run

pytestmark = pytest.mark.engine


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
