"""Pictures as a user gets them: a recording's preview (the planted units on their rows; a wrong channel count shows
as stripes), a sort's unit table and drift map (a Kilosort 2.5-style phy folder, one curated in phy, a damaged one),
from core and from the CLI. The window's own drawing of them is looked at in screenshots (see the closing note)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.recordings.preview import read_window, stripe_score
from ks_gui.core.results.phy_folder import PhyFolderError
from ks_gui.core.results.units import drift_map, read_results
from tests.conftest import run_cli
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, UNITS, write_recording
from tests.phy.conftest import write_kilosort_folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    return write_recording(tmp_path_factory.mktemp("planted") / "rec", duration_s=5.0)


def test_a_planted_unit_shows_on_its_own_rows(planted):
    unit, times = UNITS[1], planted.spike_times[1]
    spike = int(times[len(times) // 2])
    recording = inspect(planted.binary.parent)

    preview = read_window(recording, (spike - 300) / SAMPLE_RATE, 0.02, n_channels=N_CHANNELS, sample_rate=SAMPLE_RATE)

    at = spike - int(preview.start_s * SAMPLE_RATE)
    around = np.abs(preview.image[:, max(0, at - 5) : at + 5]).max(axis=1)
    loudest = int(preview.channels[int(np.argmax(around))])
    assert abs(loudest - unit.channel) <= 1, (loudest, unit.channel)
    assert preview.image.shape == (N_CHANNELS, int(0.02 * SAMPLE_RATE))
    assert list(preview.depth_um) == sorted(preview.depth_um)  # rows by depth


def test_the_wrong_channel_count_gives_stripes(planted):
    recording = inspect(planted.binary.parent)
    right = read_window(recording, 1.0, 0.5, n_channels=N_CHANNELS, sample_rate=SAMPLE_RATE)
    wrong = read_window(recording, 1.0, 0.5, n_channels=N_CHANNELS - 1, sample_rate=SAMPLE_RATE)
    # Each row is the one above shifted by a sample: neighbours agree along the diagonal, not straight down.
    assert stripe_score(wrong) > max(3 * stripe_score(right), 0.02), (stripe_score(wrong), stripe_score(right))


def test_only_the_window_shown_is_read(planted, monkeypatch):
    """A preview of a long recording does not read the file: numpy maps only the window's bytes."""
    import ks_gui.core.recordings.preview as preview_module

    mapped = []
    real = np.memmap

    def spy(path, dtype, mode, offset, shape):
        mapped.append(shape[0] * shape[1] * np.dtype(dtype).itemsize)
        return real(path, dtype=dtype, mode=mode, offset=offset, shape=shape)

    monkeypatch.setattr(preview_module.np, "memmap", spy)
    recording = inspect(planted.binary.parent)
    read_window(recording, 2.0, 0.1, n_channels=N_CHANNELS, sample_rate=SAMPLE_RATE)
    assert mapped and mapped[0] < 0.2 * SAMPLE_RATE * N_CHANNELS * 2  # 0.1 s and its filter's edges, no more


def test_the_unit_table_of_a_phy_folder(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)

    results = read_results(folder)

    assert [unit.id for unit in results.units] == [0, 1, 2, 3, 4]
    assert [unit.label for unit in results.units] == ["good", "mua", "good", "good", "mua"]  # CRLF read
    assert all(unit.n_spikes == 40 for unit in results.units)
    assert results.units[0].firing_rate_hz == pytest.approx(40 / results.duration_s)
    assert not results.curated


def test_a_curated_folder_shows_phys_groups_and_merged_units(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    clusters = np.load(folder / "spike_templates.npy").astype(np.int64)
    clusters[clusters == 4] = 5  # merged in phy: a new id, missing from cluster_KSLabel.tsv
    np.save(folder / "spike_clusters.npy", clusters)
    groups = "cluster_id\tgroup\r\n0\tgood\r\n1\tnoise\r\n2\tgood\r\n3\tmua\r\n5\tgood\r\n"
    (folder / "cluster_group.tsv").write_text(groups, newline="")

    results = read_results(folder)

    labels = {unit.id: unit.label for unit in results.units}
    assert results.curated and labels == {0: "good", 1: "noise", 2: "good", 3: "mua", 5: "good"}


def test_a_damaged_folder_is_one_sentence(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    (folder / "spike_times.npy").unlink()
    with pytest.raises(PhyFolderError, match=r"no spike_times\.npy: it is not a finished sort"):
        read_results(folder)
    done = run_cli("results", str(folder))
    assert done.returncode == 2 and done.stderr.strip().endswith("it is not a finished sort")


def test_the_drift_map_of_five_million_spikes_is_one_image(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    rng = np.random.default_rng(1)
    n = 5_000_000
    np.save(folder / "spike_times.npy", np.sort(rng.integers(0, 30000 * 3600, n)).astype(np.int64))
    np.save(folder / "spike_templates.npy", rng.integers(0, 5, n).astype(np.uint32))
    np.save(folder / "amplitudes.npy", rng.random(n).astype(np.float32))
    np.save(folder / "spike_positions.npy", np.c_[np.zeros(n), rng.uniform(0, 3840, n)].astype(np.float32))

    drift = drift_map(folder)

    assert drift.n_spikes == n and drift.image.ndim == 2
    assert drift.image.shape[1] <= 600 and drift.time_edges_s[-1] >= 3600 - 10
    assert drift.image.sum() == pytest.approx(float(np.load(folder / "amplitudes.npy").sum()), rel=1e-3)


def test_the_cli_prints_the_table_as_json_and_writes_the_pictures(tmp_path: Path, planted):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)

    done = run_cli("results", str(folder), "--json", "--pictures", str(tmp_path / "pics"))

    assert done.returncode == 0, done.stderr
    units = json.loads(done.stdout)["units"]
    assert set(units[0]) == {
        "id", "label", "n_spikes", "firing_rate_hz", "amplitude", "x_um", "y_um", "shank", "contamination_pct",
        "best_channel", "auto_label", "quality",  # the quality stage's (null when it has not run)
    }  # fmt: skip
    assert (tmp_path / "pics" / "drift_map.png").stat().st_size > 1000

    preview = tmp_path / "preview.png"
    done = run_cli("inspect", str(planted.binary.parent), "--preview", str(preview), "--at", "1",
                   "--channels", str(N_CHANNELS), "--sample-rate", str(int(SAMPLE_RATE)))  # fmt: skip
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    assert not QImage(str(preview)).isNull() and QImage(str(preview)).width() >= 800


def test_a_preview_that_cannot_be_written_is_one_line(tmp_path: Path, planted):
    target = tmp_path / "no such folder" / "preview.png"
    done = run_cli("inspect", str(planted.binary.parent), "--preview", str(target),
                   "--channels", str(N_CHANNELS), "--sample-rate", str(int(SAMPLE_RATE)))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == f"ks-gui: no preview written: cannot write {target}"
    assert not target.parent.exists()
