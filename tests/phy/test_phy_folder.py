"""The folder check and the dat_path repair, on real files in the formats Kilosort 2.5 writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from ks_gui.core.results.phy_folder import folder_problems, plan_dat_path, read_counts, read_params, repair_dat_path
from ks_gui.core.sorters.progress import Result
from tests.conftest import run_cli
from tests.phy.conftest import CONTAINER_TEMP_FILE, write_job_file, write_kilosort_folder


def params_as_phy_reads_them(folder: Path) -> dict:
    values: dict = {}
    exec((folder / "params.py").read_text(), {}, values)  # params.py is Python; phylib runs it the same way
    return values


def write_int16(path: Path, n_channels: int, n_samples: int = 3000) -> Path:
    np.zeros((n_samples, n_channels), dtype=np.int16).tofile(path)
    return path


def test_temp_file_beside_the_results_replaces_a_container_path(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    original = (folder / "params.py").read_bytes()
    write_int16(folder / "temp_wh.dat", n_channels=8)

    plan = plan_dat_path(folder)
    assert plan.change is not None and plan.change.kind == "temp"
    assert CONTAINER_TEMP_FILE in plan.message
    repair = repair_dat_path(plan)

    params = params_as_phy_reads_them(folder)
    assert params["dat_path"] == "temp_wh.dat"  # relative: the folder may move again
    assert params["n_channels_dat"] == 8
    assert params["hp_filtered"] is True
    assert (params["dtype"], params["offset"], params["sample_rate"]) == ("int16", 0, 30000.0)
    assert repair is not None and repair.backup == folder / "params.py.orig"
    assert repair.backup.read_bytes() == original
    assert plan_dat_path(folder).change is None  # now valid as it is


def test_raw_file_from_the_job_file_with_its_own_channel_count(tmp_path: Path):
    # 385 channels in the raw file, 384 connected: the temp file's count would make phy read garbage.
    folder = write_kilosort_folder(tmp_path / "out", n_channels=384)
    raw = write_int16(tmp_path / "rec.ap.bin", n_channels=385)
    write_job_file(folder, raw, n_channels=385, n_connected=384)

    repair = repair_dat_path(plan_dat_path(folder))

    assert repair is not None and repair.data.kind == "raw"
    params = params_as_phy_reads_them(folder)
    assert params["dat_path"] == str(raw)
    assert params["n_channels_dat"] == 385
    assert params["hp_filtered"] is False


def test_temp_file_preferred_to_raw_file_and_channel_count_from_the_job(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=6)
    write_int16(folder / "temp_wh.dat", n_channels=6)
    write_job_file(folder, write_int16(tmp_path / "rec.bin", n_channels=7), n_channels=7, n_connected=6)
    plan = plan_dat_path(folder)
    assert plan.change is not None and (plan.change.kind, plan.change.n_channels) == ("temp", 6)


def test_a_file_whose_size_does_not_fit_the_channel_count_is_not_chosen(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    (folder / "temp_wh.dat").write_bytes(b"\0" * (8 * 2 * 100 + 2))  # not whole 8-channel frames
    plan = plan_dat_path(folder)
    assert plan.change is None
    assert "phy opens without its trace view" in plan.message
    assert repair_dat_path(plan) is None
    assert params_as_phy_reads_them(folder)["dat_path"] == CONTAINER_TEMP_FILE  # untouched


def test_a_second_repair_keeps_the_first_backup(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8)
    write_int16(folder / "temp_wh.dat", n_channels=8)
    first = repair_dat_path(plan_dat_path(folder))
    original = first.backup.read_bytes()
    (folder / "params.py").write_text((folder / "params.py").read_text().replace("temp_wh.dat", "/gone/x.dat"))
    second = repair_dat_path(plan_dat_path(folder))
    assert second is not None and second.backup.name == "params.py.orig-2"
    assert first.backup.read_bytes() == original


def test_a_valid_dat_path_is_left_alone(tmp_path: Path):
    raw = write_int16(tmp_path / "rec.bin", n_channels=8)
    folder = write_kilosort_folder(tmp_path / "out", n_channels=8, dat_path=str(raw))
    before = (folder / "params.py").read_bytes()
    assert repair_dat_path(plan_dat_path(folder)) is None
    assert (folder / "params.py").read_bytes() == before
    assert not (folder / "params.py.orig").exists()


def test_params_are_read_without_running_them(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    (folder / "params.py").write_text((folder / "params.py").read_text() + "\nimport os; os.remove('x')\n")
    params = read_params(folder / "params.py")
    assert params.dat_paths == (CONTAINER_TEMP_FILE,) and params.n_channels_dat == 8 and params.hp_filtered


def test_missing_spike_times_is_named(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    (folder / "spike_times.npy").unlink()
    assert folder_problems(folder) == [f"{folder} is not a finished Kilosort output folder: spike_times.npy missing"]


def test_cli_refuses_a_folder_missing_spike_times_and_starts_nothing(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    (folder / "spike_times.npy").unlink()
    before = (folder / "params.py").read_bytes()
    done = run_cli("phy", str(folder), "--phy", sys.executable)  # a program that exists: the folder is at fault
    assert done.returncode == 2
    assert done.stderr.strip() == f"ks-gui: {folder} is not a finished Kilosort output folder: spike_times.npy missing"
    assert (folder / "params.py").read_bytes() == before


def test_counts_from_the_output_files(tmp_path: Path):
    folder = write_kilosort_folder(tmp_path / "out")
    assert read_counts(folder) == Result(units=5, good=3, spikes=200)


def test_a_folder_that_is_not_a_sort():
    done = subprocess.run(
        [sys.executable, "-m", "ks_gui", "phy", "/nonexistent/folder"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "/nonexistent/folder is not a folder" in done.stderr


def test_a_servers_job_file_leads_phy_to_the_raw_file_through_this_computers_path(tmp_path: Path):
    """Sorted on a GPU server with a path map: the job file names the server's paths (absent here) and, as
    launcher_paths, this computer's names for the same files."""
    import json

    folder = write_kilosort_folder(tmp_path / "out", n_channels=32)
    (tmp_path / "mnt" / "lab").mkdir(parents=True)
    raw = write_int16(tmp_path / "mnt" / "lab" / "rec.bin", n_channels=32)
    write_job_file(folder, Path("/data/lab/rec.bin"), n_channels=32, n_connected=32)
    job = json.loads((folder / ".ks-gui" / "job.json").read_text())
    job["place"] = "ssh://me@gpu-server"
    job["launcher_paths"] = {"binary": str(raw), "output": str(folder), "temp_file": str(folder / "temp_wh.dat")}
    (folder / ".ks-gui" / "job.json").write_text(json.dumps(job))

    repair = repair_dat_path(plan_dat_path(folder))

    assert repair is not None and repair.data.kind == "raw"
    assert params_as_phy_reads_them(folder)["dat_path"] == str(raw)
