"""The real Kilosort 4 image (docker/kilosort4/Dockerfile) built on a CPU base (tests/setup/kilosort4-image.sh, run by
`make test`; run again here, where it keeps an image built from the same inputs), and one planted recording."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.planted import PlantedRecording, write_recording

ROOT = Path(__file__).resolve().parents[2]
KS4_IMAGE = "ks-gui-test/kilosort4-cpu:latest"
KS4_BASE = "ks-gui-test/ks4-image-cpu-base:latest"  # the script's CPU base


@pytest.fixture(scope="session")
def ks4_image(engine):
    done = subprocess.run(
        [str(ROOT / "tests/setup/kilosort4-image.sh"), sys.executable, KS4_IMAGE],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the Kilosort 4 image could not be built: {done.stderr[-2000:]}", pytrace=False)
    image = engine.image(KS4_IMAGE)
    assert image is not None
    return image


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> PlantedRecording:
    """Shared by the CLI's and the window's sort: only read (read-only in the container), never written."""
    return write_recording(tmp_path_factory.mktemp("planted") / "rec", duration_s=30.0, seed=11)
