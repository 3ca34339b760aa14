"""`ks-gui results OUTPUT`: a sort's units (id, label, spikes, firing rate, amplitude, position, shank,
contamination) and, with --pictures, its drift map and unit pictures as PNG: also for sorts nobody watched (a
server's, a cluster's)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ks_gui.cli.common import EXIT_OK, BadInputError, print_json

NAME = "results"


def add_parser(commands: argparse._SubParsersAction) -> None:
    results = commands.add_parser(
        NAME,
        help="a sort's unit table, and its drift map as a picture",
        description="Print a sort's units from its output folder (Kilosort 2.5 or 4, curated in phy or not).",
    )
    results.add_argument("output", type=Path, metavar="OUTPUT", help="the sort's output folder (a phy folder)")
    results.add_argument("--json", action="store_true", help='print {"units": [...]} on stdout')
    results.add_argument("--pictures", type=Path, metavar="DIR", help="write drift_map.png and units.png there")


def run(args: argparse.Namespace) -> int:
    from ks_gui.core.results.phy_folder import PhyFolderError
    from ks_gui.core.results.units import drift_map, read_results
    from ks_gui.core.setup.display import pictures_check

    if args.pictures is not None and (problem := pictures_check().message()):
        raise BadInputError(problem)
    try:
        results = read_results(args.output)
    except PhyFolderError as err:
        raise BadInputError(str(err)) from err
    written = []
    if args.pictures is not None:
        written = write_pictures(args.output, args.pictures, results, drift_map(args.output, results))
    if args.json:
        print_json(
            {
                "output": str(results.folder),
                "sample_rate": results.sample_rate,
                "duration_s": results.duration_s,
                "curated": results.curated,
                "units": [unit.to_json() for unit in results.units],
                "pictures": [str(path) for path in written],
            }
        )
        return EXIT_OK
    good = sum(unit.label == "good" for unit in results.units)
    print(f"{len(results.units)} units ({good} good) over {results.duration_s:.1f} s in {results.folder}")
    labelled = any(unit.auto_label is not None for unit in results.units)
    if labelled:
        auto_good = sum(unit.auto_label == "good" for unit in results.units)
        print(f"Automatic labels (Bombcell's thresholds): {auto_good} good; `ks-gui qc` computes them again")
    else:
        print("No automatic labels yet: `ks-gui qc OUTPUT` computes the quality metrics and labels")
    header = ("id", "label", "auto", "spikes", "rate Hz", "amp a.u.", "x µm", "y µm", "shank", "contam %", "snr")
    print("{:>5} {:<8} {:<8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>5} {:>8} {:>6}".format(*header))
    for unit in results.units:
        contamination = "" if unit.contamination_pct is None else f"{unit.contamination_pct:.1f}"
        snr = unit.metric("snr")
        print(
            f"{unit.id:>5} {unit.label:<8} {unit.auto_label or '':<8} {unit.n_spikes:>8} {unit.firing_rate_hz:>8.2f} "
            f"{unit.amplitude:>8.1f} {unit.x_um:>7.1f} {unit.y_um:>7.1f} {unit.shank:>5} {contamination:>8} "
            f"{'' if snr is None else f'{snr:.1f}':>6}"
        )
    for path in written:
        print(f"Wrote {path}")
    return EXIT_OK


def write_pictures(output: Path, folder: Path, results, drift) -> list[Path]:
    """The drift map (with Kilosort 4's drift estimate when the sort left one) and the unit table as PNG into
    `folder` (made when missing)."""
    from ks_gui.ui.pictures import write_result_pictures

    try:
        return write_result_pictures(folder, results, drift, output.absolute().name)
    except OSError as err:
        raise BadInputError(f"the pictures cannot be written into {folder}: {err}") from err
