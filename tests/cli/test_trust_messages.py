"""Messages in the user's terms (issue 28, item 8): a value a broken SpikeGLX .meta gives is named as the file's,
not as a parameter the user never typed. A real .meta (tests/fixtures), changed where it breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SIM_IMAGE, SIM_LICENSE, run_cli
from tests.e2e.test_bad_input import assert_refused

FIXTURE = Path(__file__).parents[1] / "fixtures" / "recordings" / "Noise_g0_t0.imec0.ap.meta"


def broken_meta_recording(folder: Path, **changes: str) -> Path:
    folder.mkdir(parents=True)
    lines = FIXTURE.read_text().splitlines()
    channels = int(next(line for line in lines if line.startswith("nSavedChans=")).split("=")[1])
    size = channels * 2 * 3000
    changes = {"fileSizeBytes": str(size), **changes}
    meta = [f"{key}={changes[key]}" if (key := line.split("=")[0]) in changes else line for line in lines]
    (folder / FIXTURE.name).write_text("\n".join(meta) + "\n")
    (folder / FIXTURE.name.replace(".meta", ".bin")).write_bytes(bytes(size))
    return folder


@pytest.mark.engine
def test_a_broken_meta_rate_is_the_files_not_a_parameter_the_user_typed(tmp_path: Path, sim_image):
    recording = broken_meta_recording(tmp_path / "rec", imSampRate="0")
    args = ["sort", str(recording), "--output", str(tmp_path / "out"), "--image", SIM_IMAGE, "--gpu", "none"]
    args += ["--license", SIM_LICENSE, "--dry-run"]
    assert_refused(run_cli(*args), f"{FIXTURE.name} gives a sample rate Kilosort cannot use")
    typed = run_cli(*args, "--param", "fs=20")
    assert_refused(typed, "fs must be at least 1000, not 20")


@pytest.mark.engine
def test_a_damaged_run_record_is_said_not_dropped_without_a_word(sim_image):
    from ks_gui.core.results.history import history_dir

    history_dir().mkdir(parents=True, exist_ok=True)
    damaged = history_dir() / "20260101-000000-abcd.json"
    damaged.write_text('{"job_id": "20260101-000000-ab')  # cut off mid-write
    done = run_cli("status")
    assert done.returncode == 0, done.stderr
    assert f"ks-gui: the run record {damaged} cannot be read (damaged); its sort is left out" in done.stderr
