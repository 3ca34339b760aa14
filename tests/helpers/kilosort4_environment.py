"""The Kilosort 4 environment the tests sort with: $KS_GUI_KILOSORT4_ENV, else build/ks4-env (`make ks4-env`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ks_gui.core.places import kilosort4_env

REPO = Path(__file__).resolve().parents[2]
BUILD_ENV = REPO / "build" / "ks4-env"


def test_environment() -> Path:
    """The environment's folder; the tests fail (never skip) without one: CI builds it in `make test`."""
    folder = Path(os.environ.get(kilosort4_env.ENV_VARIABLE) or BUILD_ENV)
    status = kilosort4_env.check(folder)
    if not status.ready:
        pytest.fail(f"no Kilosort 4 environment for the tests ({status.problem}); run `make ks4-env`", pytrace=False)
    return folder


test_environment.__test__ = False  # a helper, not a test
