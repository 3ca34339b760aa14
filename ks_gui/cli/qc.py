"""`ks-gui qc OUTPUT`: quality metrics and automatic labels (SpikeInterface's metrics, Bombcell's thresholds) for
any Kilosort output folder, also one sorted elsewhere or curated in phy since (phy's merges and splits count).

Writes `cluster_<metric>.tsv` and `cluster_auto_label.tsv` into the folder (phy shows them as columns) and the
summary `.ks-gui/quality.json`; never phy's `cluster_group.tsv`. The computing runs in a Python that has
SpikeInterface: this one when it has it, else the Kilosort 4 environment's (`ks-gui install kilosort4`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from ks_gui.cli.common import EXIT_FAILED, EXIT_OK, BadInputError, print_json

NAME = "qc"
_HAS_SPIKEINTERFACE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('spikeinterface') is None)"


def add_parser(commands: argparse._SubParsersAction) -> None:
    qc = commands.add_parser(
        NAME,
        help="quality metrics and automatic labels for a sort (phy columns, ks-gui results)",
        description="Compute SpikeInterface's quality and template metrics and Bombcell's labels (good, mua, noise, "
        "non_soma) for a Kilosort output folder, as phy columns (cluster_<metric>.tsv, cluster_auto_label.tsv) "
        "and .ks-gui/quality.json. phy's cluster_group.tsv is never written.",
    )
    qc.add_argument("output", type=Path, metavar="OUTPUT", help="the sort's output folder (a phy folder)")
    qc.add_argument(
        "--thresholds",
        type=Path,
        metavar="FILE",
        help='JSON over Bombcell\'s defaults, e.g. {"mua": {"snr": {"greater": 3, "less": null}}}',
    )
    qc.add_argument(
        "--gain-uv",
        type=float,
        default=1.0,
        metavar="UV",
        help="microvolts per unit of the recording's samples (default 1: amplitudes in the file's own units)",
    )
    qc.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8), help="worker processes")
    qc.add_argument("--json", action="store_true", help="print the summary as one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    from ks_gui.core.results.quality import QualityError, check_thresholds, quality_file, read_quality
    from ks_gui.drivers import QUALITY_DRIVER, driver_path

    output = args.output.absolute()
    if not (output / "params.py").is_file():
        raise BadInputError(f"{output} holds no params.py: not a Kilosort output folder")
    try:
        check_thresholds(args.thresholds)
    except QualityError as err:
        raise BadInputError(str(err)) from err
    if args.gain_uv <= 0:
        raise BadInputError(f"--gain-uv must be above 0, not {args.gain_uv}")
    python = quality_python()
    if python is None:
        raise BadInputError(
            "SpikeInterface is not installed here nor in the Kilosort 4 environment: "
            "pip install spikeinterface==0.105.3 (or ks-gui install kilosort4)"
        )
    command = [python, str(driver_path(QUALITY_DRIVER)), str(output), "--gain-uv", str(args.gain_uv)]
    command += ["--jobs", str(max(1, args.jobs))]
    if args.thresholds is not None:
        command += ["--thresholds", str(args.thresholds.absolute())]
    # Its progress lines go to the terminal (stderr with --json, whose stdout is one JSON document).
    done = subprocess.run(command, stdout=sys.stderr if args.json else None, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        reason = reason.removeprefix("quality: ")
        if done.returncode == 2:
            raise BadInputError(reason)
        print(f"ks-gui: the quality metrics could not be computed: {reason}", file=sys.stderr)
        return EXIT_FAILED
    quality = read_quality(output)
    if quality is None:
        print(f"ks-gui: the quality stage wrote no readable {quality_file(output)}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        kept = json.loads(quality_file(output).read_text(encoding="utf-8"))
        print_json({key: kept.get(key) for key in ("counts", "seconds", "spikeinterface", "thresholds", "files")}
                   | {"output": str(output)})  # fmt: skip
        return EXIT_OK
    print(f"{quality.describe()} in {output}")
    print("phy shows them as columns (auto_label and each metric); phy's own labels (cluster_group.tsv) are unchanged")
    return EXIT_OK


def quality_python() -> str | None:
    """A Python that has SpikeInterface: this one, else the Kilosort 4 environment's; None when neither has."""
    if importlib.util.find_spec("spikeinterface") is not None:
        return sys.executable
    from ks_gui.core.doors.kilosort4_folder import env_dir, env_python

    python = env_python(env_dir())
    if python.exists():
        found = subprocess.run([str(python), "-c", _HAS_SPIKEINTERFACE], capture_output=True, timeout=60)
        if found.returncode == 0:
            return str(python)
    return None
