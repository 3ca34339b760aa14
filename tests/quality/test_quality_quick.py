"""The quality stage's edges, without a sort: thresholds files, folders that are not a sort, a recording that cannot
be read (the sort stands, the reason is said), and the markers the launcher reads."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ks_gui.core.events import Outcome
from ks_gui.core.sorters.progress import Result
from ks_gui.drivers import KILOSORT4_DRIVER, driver_path
from ks_gui.drivers.ks_gui_quality import DEFAULT_THRESHOLDS
from tests.conftest import run_cli
from tests.phy.conftest import write_kilosort_folder


def test_the_default_thresholds_are_bombcells_in_spikeinterface():
    from spikeinterface.curation import bombcell_get_default_thresholds

    assert bombcell_get_default_thresholds() == DEFAULT_THRESHOLDS


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"bad": {}}', "unknown section 'bad'"),
        ('{"mua": {"snr": {"greater": "five"}}}', "mua.snr.greater must be a number or null"),
        ('{"mua": {"no_such_metric": {"greater": 1}}}', "unknown metric 'no_such_metric'"),
        ('{"mua": {"snr": 5}}', "mua.snr must be"),
        ('{"noise": []}', "section 'noise' must be an object"),
    ],
)
def test_a_bad_thresholds_file_is_one_line_and_exit_2(tmp_path: Path, content: str, says: str):
    folder = write_kilosort_folder(tmp_path / "sorted")
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(content)
    done = run_cli("qc", str(folder), "--thresholds", str(thresholds))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and says in done.stderr, done.stderr
    assert not (folder / ".ks-gui" / "quality.json").exists()


def test_qc_of_what_is_not_a_sort_is_exit_2(tmp_path: Path):
    done = run_cli("qc", str(tmp_path))
    assert done.returncode == 2 and "not a Kilosort output folder" in done.stderr, done.stderr
    missing = run_cli("qc", str(write_kilosort_folder(tmp_path / "s")), "--thresholds", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot be read" in missing.stderr, missing.stderr


def _kilosort4_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ks_gui_kilosort4", driver_path(KILOSORT4_DRIVER))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_quality_stage_that_fails_leaves_the_sort_standing(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    """The recording params.py names is gone: the stage says why in one marker; the driver goes on to `done`."""
    folder = write_kilosort_folder(tmp_path / "sorted", dat_path=str(tmp_path / "gone.bin"))
    driver = _kilosort4_driver()
    driver.quality({"output": str(folder), "quality": {"jobs": 1}})
    out = capfd.readouterr().out.splitlines()
    assert out[0] == "[ks-gui] stage quality"
    failed = [line for line in out if line.startswith("[ks-gui] quality failed: ")]
    assert len(failed) == 1 and "gone.bin does not exist" in failed[0], out
    assert not (folder / "cluster_auto_label.tsv").exists() and not (folder / "cluster_group.tsv").exists()

    from ks_gui.core.sorters.progress import Tracker

    tracker = Tracker(sorter="kilosort4")
    for line in ("[ks-gui] stage export", "[ks-gui] result units=5 good=3 spikes=200", *out, "[ks-gui] stage done"):
        tracker.feed(line)
    assert tracker.quality is not None and "gone.bin does not exist" in tracker.quality
    outcome = Outcome(True, False, 0, folder, tmp_path / "log", Result(5, 3, 200), quality=tracker.quality)
    summary = outcome.summary()
    assert summary.startswith("Sorted: 5 units (3 good)") and summary.count("could not be computed") == 1, summary


def test_a_job_may_skip_the_quality_stage(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    _kilosort4_driver().quality({"output": str(tmp_path), "quality": False})
    assert capfd.readouterr().out == ""


def test_the_tracker_reads_the_quality_steps_and_labels():
    from ks_gui.core.sorters.progress import Tracker

    tracker = Tracker(sorter="kilosort4")
    events = [tracker.feed(line) for line in (
        "[ks-gui] stage export", "[ks-gui] result units=5 good=3 spikes=200", "[ks-gui] stage quality",
        "[ks-gui] quality step 2/9 waveforms", "[ks-gui] quality labels good=3 mua=1 noise=1",
    )]  # fmt: skip
    assert tracker.stage == "quality"
    shown = [getattr(event, "detail", "") for event in events if event is not None]
    assert any("waveforms (2 of 9)" in text for text in shown), shown
    assert tracker.quality == "Automatic labels: 3 good, 1 mua, 1 noise."


def test_the_quality_program_says_its_usage(tmp_path: Path):
    import subprocess

    from ks_gui.drivers import QUALITY_DRIVER

    done = subprocess.run([sys.executable, str(driver_path(QUALITY_DRIVER)), str(tmp_path)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "no params.py" in done.stderr, done.stderr
    assert json.loads(json.dumps(DEFAULT_THRESHOLDS)) == DEFAULT_THRESHOLDS
