"""`ks-gui phy OUTPUT_FOLDER`: open a sort's results in phy (the host's phy, or phy inside the Kilosort image)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ks_gui.cli.common import EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.core.doors.engine import EngineError, connect
from ks_gui.core.doors.phy_container import DisplayError, plan_phy_container
from ks_gui.core.results.phy import PhyFailure, PhyNotFoundError, diagnose_launch, find_phy, launch_phy
from ks_gui.core.results.phy_folder import PhyFolderError, Repair, folder_problems, plan_dat_path, repair_dat_path
from ks_gui.core.settings import load_settings

NAME = "phy"


def add_parser(commands: argparse._SubParsersAction) -> None:
    phy = commands.add_parser(
        "phy",
        help="open a sort's results in phy",
        description="Open a Kilosort output folder in phy. A dat_path that is not valid on this computer is pointed "
        "at the temp file or the raw recording (params.py is backed up first).",
    )
    phy.add_argument("folder", type=Path, metavar="OUTPUT_FOLDER", help="the sort's output folder (holds params.py)")
    phy.add_argument(
        "--phy",
        type=Path,
        metavar="PATH",
        help="the phy program to use (default: settings, $KS_GUI_PHY, ks-gui's own phy, then PATH)",
    )
    phy.add_argument("--in-container", action="store_true", help="run phy inside the Kilosort image on this screen")
    phy.add_argument("--image", metavar="IMG", help="with --in-container: the image (default: the one the sort used)")
    phy.add_argument("--wait", action="store_true", help="return only when phy is closed")
    phy.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def _prepare(folder: Path) -> tuple[Repair | None, str | None]:
    """Check the folder and make dat_path valid here; bad input stops everything before phy starts."""
    if problems := folder_problems(folder):
        raise BadInputError(*problems)
    try:
        plan = plan_dat_path(folder)
        return repair_dat_path(plan), plan.message or None
    except (PhyFolderError, OSError) as err:
        raise BadInputError(str(err)) from err


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.json:
        print(text, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    folder = args.folder.expanduser().absolute()
    repair, note = _prepare(folder)
    document: dict = {
        "folder": str(folder),
        "dat_path_repair": None
        if repair is None
        else {
            "file": str(repair.data.path),
            "kind": repair.data.kind,
            "n_channels_dat": repair.data.n_channels,
            "hp_filtered": repair.data.hp_filtered,
            "backup": str(repair.backup),
        },
        "note": note,
    }
    if note:
        _say(args, f"ks-gui: {note}" + (f" (original params.py kept as {repair.backup.name})" if repair else ""))
    if args.in_container:
        return _run_in_container(args, folder, document)

    try:
        program = find_phy(args.phy or load_settings().settings.phy_path or None)
    except PhyNotFoundError as err:
        return _failed(args, document, PhyFailure(err.message, err.hint))
    process = launch_phy(program, folder)
    document.update(
        {"phy": str(program.path), "phy_from": program.source, "pid": process.pid, "log_file": str(process.log_file)}
    )
    failure = process.watch_startup()
    if failure is None and args.wait:
        process.wait()
        failure = process.failure()
    if failure is not None:
        return _failed(args, document, failure, f" The output is in {process.log_file}")
    message = (
        f"phy closed ({folder})."
        if args.wait
        else f"phy is open on {folder} (pid {process.pid}); its output goes to {process.log_file}"
    )
    if args.json:
        print_json({**document, "opened": True, "message": message})
    else:
        print(message)
    return EXIT_OK


def _failed(args: argparse.Namespace, document: dict, failure: PhyFailure, extra: str = "") -> int:
    if args.json:
        print_json({**document, "opened": False, "message": failure.message, "hint": failure.hint + extra})
    else:
        print(f"ks-gui: {failure.message}", file=sys.stderr)
        print(f"ks-gui: {failure.hint}{extra}", file=sys.stderr)
    return EXIT_FAILED


def _run_in_container(args: argparse.Namespace, folder: Path, document: dict) -> int:
    try:
        plan = plan_phy_container(folder, args.image)
        engine = connect()
    except (DisplayError, EngineError) as err:
        raise BadInputError(getattr(err, "message", str(err))) from err
    if engine.image(plan.spec.image) is None:
        raise BadInputError(f"the image {plan.spec.image} is not on this computer: build it, or name one with --image")
    document["container"] = plan.spec.to_json()
    try:
        container = engine.start(plan.spec)
    except EngineError as err:
        return _failed(args, document, PhyFailure(err.message, "Check that Docker runs and the image is intact."))
    _say(args, f"phy runs in {plan.spec.image}; close its window to return.")
    tail = [line.text for line in container.lines()][-20:]
    code = container.wait()
    container.remove()
    if code not in (0, 143):
        return _failed(args, document, diagnose_launch("\n".join(tail), code))
    if args.json:
        print_json({**document, "opened": True, "exit_code": code, "message": "phy closed."})
    return EXIT_OK
