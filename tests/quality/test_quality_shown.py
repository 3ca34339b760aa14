"""Where people look at the quality stage's numbers, without computing them: the window's unit table (label and main
metrics as sortable columns, "Good units only"), `ks-gui results` (text and --json) and the kept unit table."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from ks_gui.core.results.units import UNIT_COLUMNS, keep_result_numbers, kept_results, units_and_drift
from ks_gui.drivers.ks_gui_quality import DEFAULT_THRESHOLDS, write
from tests.conftest import run_cli
from tests.phy.conftest import write_kilosort_folder

LABELS = {0: "good", 1: "mua", 2: "good", 3: "noise", 4: "non_soma"}


def write_quality(folder: Path) -> None:
    """What the quality stage leaves (its own writer), with made-up numbers."""
    units = {
        str(unit): {
            "auto_label": label,
            "quality": {"snr": 2.0 + unit, "presence_ratio": 0.9, "amplitude_cutoff": None, "firing_rate": 1.5},
        }
        for unit, label in LABELS.items()
    }
    write(folder, {"version": 1, "spikeinterface": "0.105.3", "seconds": 3.0, "thresholds": DEFAULT_THRESHOLDS,
                   "metrics": ["snr", "presence_ratio", "amplitude_cutoff", "firing_rate"],
                   "counts": {"good": 2, "mua": 1, "noise": 1, "non_soma": 1}, "units": units})  # fmt: skip


# Left open to pytest-qt's teardown after the other tests of tests/quality, this dialog's test ended in a segmentation
# fault in pytest-qt's event processing (seen after merging main on 2026-12-04; alone it passed): it closes the dialog
# and lets its events run itself. The cause is not known yet.
def test_the_window_sorts_by_label_and_metrics_and_shows_good_units_only(qtbot, tmp_path: Path):
    from ks_gui.ui.results_dialog import ResultsDialog

    folder = write_kilosort_folder(tmp_path / "out")
    write_quality(folder)
    dialog = ResultsDialog(folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 5, timeout=10_000)
    assert "Automatic labels (Bombcell's thresholds): 2 of 5 good" in dialog.summary.text()
    label_column, snr_column = UNIT_COLUMNS.index("Auto label"), UNIT_COLUMNS.index("SNR")
    dialog.table.sortItems(snr_column, Qt.SortOrder.DescendingOrder)
    assert [dialog.table.item(row, 0).text() for row in range(5)] == ["4", "3", "2", "1", "0"]
    dialog.table.sortItems(label_column, Qt.SortOrder.AscendingOrder)
    assert [dialog.table.item(row, label_column).text() for row in range(5)] == sorted(LABELS.values())

    assert dialog.good_only.isEnabled()
    dialog.good_only.setChecked(True)
    shown = [dialog.table.item(row, 0).text() for row in range(5) if not dialog.table.isRowHidden(row)]
    assert sorted(shown) == ["0", "2"]
    dialog.good_only.setChecked(False)
    assert not any(dialog.table.isRowHidden(row) for row in range(5))
    dialog.close()
    qtbot.wait(100)  # the dialog's own events before the next test


def test_results_show_each_units_label_and_metrics(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    write_quality(folder)
    assert (folder / "cluster_auto_label.tsv").read_text().splitlines()[:2] == ["cluster_id\tauto_label", "0\tgood"]
    assert (folder / "cluster_amplitude_cutoff.tsv").read_text().splitlines()[1] == "0\t"  # NaN: an empty cell
    assert not (folder / "cluster_group.tsv").exists()

    done = run_cli("results", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    units = json.loads(done.stdout)["units"]
    assert {unit["id"]: unit["auto_label"] for unit in units} == LABELS
    assert units[1]["quality"]["snr"] == 3.0 and units[1]["quality"]["amplitude_cutoff"] is None
    table = run_cli("results", str(folder)).stdout.splitlines()
    assert "Automatic labels (Bombcell's thresholds): 2 good" in table[1]
    assert table[2].split()[:3] == ["id", "label", "auto"]
    assert table[3].split()[:3] == ["0", "good", "good"] and table[4].split()[:3] == ["1", "mua", "mua"]


def test_the_kept_unit_table_carries_the_labels(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    write_quality(folder)
    keep_result_numbers(folder)  # the kept unit table carries them too (History shows it without reading again)
    kept = kept_results(folder)
    assert kept is not None and kept.units[4].auto_label == "non_soma" and kept.units[4].quality["snr"] == 6.0


def test_computing_again_makes_the_kept_unit_table_stale(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    (folder / ".ks-gui").mkdir()
    keep_result_numbers(folder)  # kept before any quality stage
    write_quality(folder)  # `ks-gui qc` afterwards
    quality = folder / ".ks-gui" / "quality.json"
    later = (folder / ".ks-gui" / "units.json").stat().st_mtime + 5
    import os

    os.utime(quality, (later, later))
    results, _ = units_and_drift(folder)
    assert results.units[0].auto_label == "good"
