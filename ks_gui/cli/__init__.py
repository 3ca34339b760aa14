"""`ks-gui`: the window (no arguments, or a recording path) and the subcommands, thin over core.

Each subcommand is a module here with `NAME`, `add_parser(subparsers)` and `run(args) -> int`.
Exit codes: 0 success, 1 the action failed, 2 bad input or usage (nothing started), 130 cancelled.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ks_gui import __version__
from ks_gui.cli import desktop, doctor, explain, image, inspect, install, phy, sort, status
from ks_gui.cli.common import EXIT_BAD_INPUT, BadInputError, print_json

MODULES = (sort, status, desktop, doctor, inspect, phy, install, explain, image)
# A module names its subcommand in NAME, or several in NAMES (then its run() looks at args.command).
SUBCOMMANDS = {name: module for module in MODULES for name in getattr(module, "NAMES", (getattr(module, "NAME", ""),))}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ks-gui", description="Spike sorting with Kilosort in Docker.")
    parser.add_argument("--version", action="version", version=f"ks-gui {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.add_parser(commands)
    return parser


def _open_window(argv: list[str]) -> int:
    from ks_gui.ui.app import run_app  # Qt is loaded only for the window

    return run_app(Path(argv[0]) if argv else None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        return _open_window(argv)
    args = _parser().parse_args(argv)
    try:
        return SUBCOMMANDS[args.command].run(args)
    except BadInputError as err:
        if getattr(args, "json", False):
            print_json({"errors": list(err.messages)})
        for message in err.messages:
            print(f"ks-gui: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
