"""`ks-gui install-desktop` and `ks-gui uninstall-desktop`: the application menu entry and icon."""

from __future__ import annotations

import argparse

from ks_gui.cli.common import EXIT_OK, print_json
from ks_gui.core.setup import desktop

NAMES = ("install-desktop", "uninstall-desktop")


def add_parser(commands: argparse._SubParsersAction) -> None:
    for name, text in zip(NAMES, ("add ks-gui to the desktop's application menu", "remove it again"), strict=True):
        parser = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    if args.command == "install-desktop":
        files = desktop.install()
        paths = [files.entry, files.icon]
        message = f"Added ks-gui to the application menu ({files.entry}); folders offer it under Open With."
    else:
        paths = desktop.uninstall()
        message = "Removed ks-gui from the application menu." if paths else "ks-gui was not in the application menu."
    if args.json:
        print_json({"files": [str(p) for p in paths], "message": message})
    else:
        print(message)
    return EXIT_OK
