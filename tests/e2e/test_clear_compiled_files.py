"""Compile once per image, and **Clear compiled files** (`ks-gui image clear-cache`), with the stand-in image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import MEX_FILES
from ks_gui.core.ground.locations import mex_cache_dir
from tests.conftest import SIM_IMAGE, GeneratedRecording, run_cli
from tests.e2e.test_cli_sort import sort_args

pytestmark = pytest.mark.engine


def _compiled(output: Path) -> list[str]:
    log_file = Path(json.loads((output / ".ks-gui" / "run.json").read_text())["log_file"])
    return [line.split()[-1] for line in log_file.read_text().splitlines() if line.startswith("[ks-gui] compile ")]


def test_a_second_run_compiles_nothing_and_a_run_after_clearing_compiles_again(
    recording: GeneratedRecording, tmp_path: Path, sim_image
) -> None:
    cache = mex_cache_dir(sim_image.short_id)
    for name in ("first", "second"):
        done = run_cli(*sort_args(recording, tmp_path / name))
        assert done.returncode == 0, done.stderr
    assert _compiled(tmp_path / "first") == [f"{name}.cu" for name in MEX_FILES]
    assert _compiled(tmp_path / "second") == []
    assert len(list(cache.glob("*.mexa64"))) == 9

    cleared = run_cli("image", "clear-cache", "--image", SIM_IMAGE)
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.strip() == (
        f"Cleared 9 compiled files of {SIM_IMAGE} (image {sim_image.short_id}); the next sort compiles them again."
    )
    assert not cache.exists()

    again = run_cli(*sort_args(recording, tmp_path / "third"))
    assert again.returncode == 0, again.stderr
    assert _compiled(tmp_path / "third") == [f"{name}.cu" for name in MEX_FILES]

    nothing = run_cli("image", "clear-cache", "--image", SIM_IMAGE, "--json")
    assert nothing.returncode == 0
    assert json.loads(nothing.stdout) == {
        "image": SIM_IMAGE,
        "image_id": sim_image.id,
        "folder": str(cache),
        "files": 9,
    }


def test_clearing_an_image_that_is_not_here_is_bad_input() -> None:
    done = run_cli("image", "clear-cache", "--image", "ks-gui-nothing:here")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "ks-gui: the image ks-gui-nothing:here is not on this machine, so it has no compiled files"
    )
    assert done.stdout == ""
