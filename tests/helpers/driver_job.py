"""Run the Kilosort 4 driver on a planted recording without the launcher: the job file and channel map written as
the launcher writes them, then the driver as a process (for the GPU timing and the overhead benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from ks_gui.core.ground.contract import CONTRACT_VERSION, channel_map_file, job_file
from ks_gui.core.recordings.channel_map import linear
from ks_gui.core.sorters import KILOSORT4
from ks_gui.drivers import KILOSORT4_DRIVER, driver_path
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, PlantedRecording


def write_job(recording: PlantedRecording, output: Path) -> Path:
    output.mkdir(parents=True)
    linear(N_CHANNELS).write_mat(channel_map_file(output), SAMPLE_RATE)
    params = {**KILOSORT4.defaults(), "n_chan_bin": N_CHANNELS, "fs": SAMPLE_RATE}
    document = {
        "contract": CONTRACT_VERSION,
        "sorter": KILOSORT4.name,
        "job_id": output.name,
        "binary": str(recording.binary),
        "n_channels": N_CHANNELS,
        "n_channels_connected": N_CHANNELS,
        "sample_rate": SAMPLE_RATE,
        "dtype": "int16",
        "n_samples": recording.binary.stat().st_size // (2 * N_CHANNELS),
        "output": str(output),
        "temp_file": "",
        "mex_cache": "",
        "channel_map": str(channel_map_file(output)),
        "forward_compat": False,
        "params": params,
    }
    job_file(output).write_text(json.dumps(document, indent=2))
    return job_file(output)


def run_driver(python: str, job: Path, gpu: bool) -> tuple[float, int, str]:
    """(wall seconds, exit code, output) of the driver on `job`, on the GPU or with every GPU hidden."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    if not gpu:
        environment["CUDA_VISIBLE_DEVICES"] = ""
    started = time.perf_counter()
    done = subprocess.run(
        [python, str(driver_path(KILOSORT4_DRIVER)), str(job)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    return time.perf_counter() - started, done.returncode, done.stdout + done.stderr
