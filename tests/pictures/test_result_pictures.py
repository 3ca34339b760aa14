"""A sort's pictures as a user gets them: `ks-gui results OUTPUT --pictures DIR` writes the drift map and the unit
table; Kilosort 4's own drift estimate (its ops.npy, in the format Kilosort 4.1.7 writes on the CPU) is drawn below
the drift map when the sort left one, and not otherwise; a finished sort keeps both pictures under .ks-gui/; an
ops.npy that names other code is not run."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from ks_gui.core.results.drift_estimate import read_drift_estimate
from ks_gui.core.results.units import drift_map, keep_result_numbers, kept_drift_map, read_results
from ks_gui.ui.pictures import ESTIMATE_COLOURS, LABEL_COLOURS, write_kept_pictures
from ks_gui.ui.results_dialog import ResultsDialog
from tests.conftest import run_cli
from tests.phy.conftest import write_kilosort_folder


def write_ops(folder: Path, dshift: np.ndarray | None, batch_size: int = 60000) -> None:
    """ops.npy as Kilosort 4 saves it (io.save_ops: a dict of numbers and numpy arrays, pickled by np.save)."""
    ops = {
        "settings": {"n_chan_bin": 8, "fs": 30000.0, "batch_size": batch_size, "nblocks": 1, "tmin": 0,
                     "tmax": np.inf, "filename": [str(folder / "rec.bin")], "drift_smoothing": [0.5, 0.5, 0.5]},
        "fs": 30000.0, "batch_size": batch_size, "tmin": 0, "tmax": np.inf, "nblocks": 1,
        "dshift": dshift, "yblk": np.array([309.0]), "chanMap": np.arange(8), "Nbatches": np.int64(15),
        "probe": {"xc": np.zeros(8, np.float32), "yc": np.arange(8, dtype=np.float32) * 20, "n_chan": 8},
        "runtime": 1833.26, "torch_device": "cpu", "is_tensor": False, "preprocessing": {"whiten_mat": np.eye(8)},
    }  # fmt: skip
    np.save(folder / "ops.npy", ops, allow_pickle=True)


def drifting(n_batches: int = 15) -> np.ndarray:
    """A probe that slides 12 µm over the recording, as a (batches x 1 section) dshift."""
    return np.linspace(0, 12, n_batches)[:, None]


def colour_count(image: QImage, colour: str, rows: range | None = None) -> int:
    """Pixels of about `colour` in `image` (in `rows`)."""
    wanted = QColor(colour)
    found = 0
    for y in rows or range(image.height()):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - wanted.red()) < 40
                and abs(pixel.green() - wanted.green()) < 40
                and abs(pixel.blue() - wanted.blue()) < 40
            ):
                found += 1
    return found


def test_kilosort4s_drift_estimate_is_read_as_kilosort_draws_it(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    write_ops(folder, drifting())

    estimate = read_drift_estimate(folder)

    assert estimate is not None and estimate.shift_um.shape == (15, 1)
    assert list(estimate.times_s[:3]) == [0.0, 2.0, 4.0]  # 60000-sample batches at 30 kHz
    assert estimate.largest_um == 12.0 and list(estimate.section_depth_um) == [309.0]


def test_no_estimate_without_ops_or_with_drift_correction_off(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    assert read_drift_estimate(folder) is None  # Kilosort 2.5: no ops.npy
    write_ops(folder, None)  # nblocks = 0: Kilosort 4 skipped drift correction
    assert read_drift_estimate(folder) is None
    (folder / "ops.npy").write_bytes(b"not a numpy file")
    assert read_drift_estimate(folder) is None


class _Sneaky:
    def __reduce__(self):
        import os

        return (os.system, ("touch sneaky-was-run",))


def test_an_ops_file_that_names_other_code_is_not_run(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = write_kilosort_folder(tmp_path / "out")
    np.save(folder / "ops.npy", np.array({"dshift": drifting(), "x": _Sneaky()}, dtype=object), allow_pickle=True)
    assert b"system" in (folder / "ops.npy").read_bytes()

    assert read_drift_estimate(folder) is None
    assert not (tmp_path / "sneaky-was-run").exists()


def test_the_cli_writes_the_drift_map_with_the_estimate_and_the_unit_table(qapp, tmp_path: Path):
    with_ops = write_kilosort_folder(tmp_path / "ks4")
    write_ops(with_ops, drifting())
    without = write_kilosort_folder(tmp_path / "ks25")

    for folder in (with_ops, without):
        done = run_cli("results", str(folder), "--pictures", str(tmp_path / f"pics-{folder.name}"))
        assert done.returncode == 0, done.stderr
        assert f"Wrote {tmp_path / f'pics-{folder.name}' / 'units.png'}" in done.stdout

    drawn = QImage(str(tmp_path / "pics-ks4" / "drift_map.png"))
    plain = QImage(str(tmp_path / "pics-ks25" / "drift_map.png"))
    assert drawn.size() == plain.size()
    lower = range(drawn.height() * 2 // 3, drawn.height())  # the estimate's strip below the map
    assert colour_count(drawn, ESTIMATE_COLOURS[0], lower) > 100  # its line
    assert colour_count(plain, ESTIMATE_COLOURS[0]) == 0

    table = QImage(str(tmp_path / "pics-ks4" / "units.png"))
    assert table.width() >= 500 and table.height() >= 7 * 16  # a title, a header and 5 rows
    assert colour_count(table, LABEL_COLOURS["good"]) > 20  # the good units' labels, in green


def test_a_finished_sort_keeps_both_pictures_with_the_estimate(qapp, tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    write_ops(folder, drifting())
    (folder / ".ks-gui").mkdir()

    keep_result_numbers(folder)  # what the run does at the sort's end (core/run.py)
    written = write_kept_pictures(folder)  # what `ks-gui sort` and the window do next

    assert [path.name for path in written] == ["drift_map.png", "units.png"]
    assert all(path.parent == folder / ".ks-gui" and path.stat().st_size > 1000 for path in written)
    kept = kept_drift_map(folder)
    assert kept is not None and kept.estimate is not None and kept.estimate.largest_um == 12.0
    fresh = drift_map(folder, read_results(folder))
    assert np.array_equal(kept.image, fresh.image)


def test_the_units_window_says_how_far_kilosort_4_saw_the_probe_move(qtbot, tmp_path: Path):
    with_ops = write_kilosort_folder(tmp_path / "ks4")
    write_ops(with_ops, drifting())
    for folder, expected in ((with_ops, True), (write_kilosort_folder(tmp_path / "ks25"), False)):
        dialog = ResultsDialog(folder)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda dialog=dialog: dialog.table.rowCount() == 5, timeout=10_000)
        said = "Kilosort 4 estimated the probe moved by up to 12.0 µm" in dialog.summary.text()
        assert said == expected, dialog.summary.text()
        picture = dialog.drift.pixmap().toImage()
        assert (colour_count(picture, ESTIMATE_COLOURS[0]) > 50) == expected
        dialog.close()


def test_history_shows_the_kept_numbers_until_phy_changes_the_folder(tmp_path: Path, monkeypatch):
    import ks_gui.core.results.units as units

    folder = write_kilosort_folder(tmp_path / "out")
    (folder / ".ks-gui").mkdir()
    keep_result_numbers(folder)
    with monkeypatch.context() as patched:
        patched.setattr(units, "read_results", lambda _folder: pytest.fail("read every spike again"))
        results, drift = units.units_and_drift(folder)
    assert [u.id for u in results.units] == [0, 1, 2, 3, 4] and drift.n_spikes == 200 and not results.curated

    groups = folder / "cluster_group.tsv"  # the user curates in phy afterwards
    groups.write_text("cluster_id\tgroup\n0\tnoise\n1\tgood\n2\tgood\n3\tgood\n4\tgood\n")
    later = (folder / ".ks-gui" / "units.json").stat().st_mtime + 5
    os.utime(groups, (later, later))
    results, _drift = units.units_and_drift(folder)
    assert results.curated and results.units[0].label == "noise"
