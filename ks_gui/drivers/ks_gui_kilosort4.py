#!/usr/bin/env python3
"""ks-gui's Kilosort 4 driver (docker/CONTRACT.md): a job file in, a phy folder out.

    python ks_gui_kilosort4.py <output>/.ks-gui/job.json

Prints Kilosort 4's own log and tqdm lines plus the contract's `[ks-gui] ` markers on stdout, and exits 0 only
when the phy folder is complete. Runs under the sorter's Python (the image's or the app-managed environment's),
never inside the launcher: it needs only the standard library, numpy, scipy, torch and kilosort.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import cast

CONTRACT_VERSION = 1
MARKER = "[ks-gui] "
SORTER = "kilosort4"

# Kilosort 4's own log lines that begin each step, and the contract stage each step belongs to.
STAGE_AT_LOG_LINE = (
    ("Computing preprocessing variables", "preprocess"),
    ("Computing drift correction", "drift"),
    ("Extracting spikes using templates", "learn"),  # universal templates, then the first clustering
    ("Extracting spikes using cluster waveforms", "extract"),  # learned templates
    ("Final clustering", "merge_split"),  # final clustering, then merges
    ("Saving to phy", "export"),
)
EXIT_FAILED = 1
# The quality stage's program, beside this one (in the package, the image's /opt/ks-gui, a cluster job's .ks-gui).
QUALITY_PROGRAM = "ks_gui_quality.py"


class SorterError(Exception):
    """A failure the driver recognises; `kind` is one of the launcher's failure kinds."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def say(text: str) -> None:
    print(MARKER + text, flush=True)


class StageMarkers(logging.Handler):
    """Turns the Kilosort log lines that start a step into stage markers (the log lines themselves are
    printed by Kilosort's own console handler)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip()
        for start, stage in STAGE_AT_LOG_LINE:
            if message.startswith(start):
                sys.stderr.flush()
                say(f"stage {stage}")


def read_job(path: Path) -> dict:
    try:
        job = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SorterError("bad_job", f"cannot read the job file {path}: {err}") from err
    if job.get("contract") != CONTRACT_VERSION:
        raise SorterError(
            "bad_job", f"the job speaks contract {job.get('contract')}, this driver speaks {CONTRACT_VERSION}"
        )
    if job.get("sorter") not in (SORTER, f"{SORTER}-local"):
        raise SorterError("bad_job", f"this driver runs Kilosort 4, not {job.get('sorter')}")
    return job


def check_binary(job: dict) -> None:
    binary = Path(job["binary"])
    itemsize = {"int16": 2, "uint16": 2, "int32": 4, "float32": 4}.get(job["dtype"], 2)
    size = binary.stat().st_size
    if size % (itemsize * job["n_channels"]):
        raise SorterError(
            "wrong_channel_count",
            f"{binary.name} has {size} bytes, not a whole number of {job['n_channels']}-channel samples: "
            "check the channel count",
        )


def probe_from_channel_map(path: Path) -> dict:
    """Kilosort 4's probe dictionary from the launcher's channel map .mat (connected channels only)."""
    import numpy as np
    import scipy.io

    mat = scipy.io.loadmat(str(path))
    connected = np.asarray(mat["connected"]).ravel().astype(bool)
    chan_map = np.asarray(mat["chanMap"]).ravel().astype(np.int64) - 1  # the .mat is 1-based
    return {
        "chanMap": chan_map[connected],
        "xc": np.asarray(mat["xcoords"]).ravel()[connected].astype(np.float32),
        "yc": np.asarray(mat["ycoords"]).ravel()[connected].astype(np.float32),
        "kcoords": np.asarray(mat["kcoords"]).ravel()[connected].astype(np.float32),
        "n_chan": int(connected.sum()),
    }


def settings_from_job(job: dict) -> dict:
    """Kilosort 4's settings: the job's parameters (null = Kilosort's automatic choice), with the recording's
    channel count and sample rate."""
    settings = {name: value for name, value in job["params"].items() if value is not None}
    settings["n_chan_bin"] = job["n_channels"]
    settings["fs"] = job["sample_rate"]
    return settings


def classify(err: BaseException) -> SorterError:
    text = f"{type(err).__name__}: {err}"
    if type(err).__name__ == "OutOfMemoryError" or "CUDA out of memory" in text:
        return SorterError("gpu_out_of_memory", "the GPU ran out of memory")
    if isinstance(err, MemoryError):
        return SorterError("host_out_of_memory", "the computer ran out of memory")
    if "Found array with 0 sample(s)" in text or "zero-size array" in text:
        # Kilosort 4 fails in its first SVD (spikedetect.extract_wPCA_wTEMP) when no threshold crossing is found.
        return SorterError(
            "too_few_spikes", "Kilosort found no spikes to learn from: check the channel count and the recording"
        )
    if "exceeds channel count" in text:
        return SorterError("wrong_channel_count", "the channel map names more channels than the binary has")
    return SorterError("sorter_failed", text.splitlines()[0][:500])


def result_counts(output: Path) -> tuple[int, int, int]:
    """(units, good units, spikes) of the phy folder Kilosort wrote."""
    import numpy as np

    clusters = np.load(output / "spike_clusters.npy").ravel()
    labels = (output / "cluster_KSLabel.tsv").read_text().splitlines()[1:]
    good = sum(1 for row in labels if row.split("\t")[-1].strip() == "good")
    return len(np.unique(clusters)), good, len(clusters)


def sort(job: dict) -> tuple[int, int, int]:
    check_binary(job)
    import torch
    from kilosort import run_kilosort

    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    output = Path(job["output"])
    logging.getLogger().addHandler(StageMarkers())
    run_kilosort(
        settings=settings_from_job(job),
        probe=probe_from_channel_map(Path(job["channel_map"])),
        filename=Path(job["binary"]),
        results_dir=output,
        data_dtype=job["dtype"],
        device=device,
    )
    return result_counts(output)


def main(argv: list[str]) -> int:
    cast(io.TextIOWrapper, sys.stdout).reconfigure(line_buffering=True)  # a script's stdout
    if len(argv) != 2:
        print(f"usage: {Path(argv[0]).name} JOB_FILE", file=sys.stderr)
        return 2
    say("stage start")
    try:
        job = read_job(Path(argv[1]))
        units, good, spikes = sort(job)
    except SorterError as err:
        say(f"error {err.kind}: {err.message}")
        return EXIT_FAILED
    except Exception as err:
        traceback.print_exc(file=sys.stdout)
        known = classify(err)
        say(f"error {known.kind}: {known.message}")
        return EXIT_FAILED
    say(f"result units={units} good={good} spikes={spikes}")
    quality(job)
    say("stage done")
    return 0


def quality(job: dict) -> None:
    """The quality stage: SpikeInterface's metrics and Bombcell's labels, in a process of its own, so that nothing
    it does (a missing package, an unreadable recording, a crash) changes the sort's result: its end is a
    `quality labels ...` or `quality failed: <reason>` marker. A job with `"quality": false` skips it."""
    options = job.get("quality", {})
    if options is False:
        return
    say("stage quality")
    program = Path(__file__).with_name(QUALITY_PROGRAM)
    if not program.is_file():
        say(f"quality failed: {QUALITY_PROGRAM} is not beside the driver")
        return
    options = options if isinstance(options, dict) else {}
    command = [sys.executable, str(program), job["output"], "--gain-uv", str(options.get("gain_uv", 1.0))]
    command += ["--jobs", str(options.get("jobs", min(os.cpu_count() or 1, 8)))]
    if options.get("thresholds_file"):
        command += ["--thresholds", str(options["thresholds_file"])]
    try:
        done = subprocess.run(command, stdout=None, stderr=subprocess.PIPE, text=True, check=False)
    except OSError as err:
        say(f"quality failed: {err}")
        return
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        say(f"quality failed: {reason.removeprefix('quality: ')}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
