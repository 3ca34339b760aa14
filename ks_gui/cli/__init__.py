"""`ks-gui`: the window (no arguments, or a recording path) and the subcommands, thin over core.

Each subcommand is a module here with `NAME`, `add_parser(subparsers)` and `run(args) -> int`.
Exit codes: 0 success, 1 the action failed, 2 bad input or usage (nothing started), 130 cancelled.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from ks_gui import __version__
from ks_gui.cli.common import EXIT_BAD_INPUT, BadInputError, print_json

# Each subcommand and its module here (the module's NAME, or one of its NAMES: then its run() looks at
# args.command), in the order --help lists them. A module is imported only when a subcommand runs: `ks-gui` alone
# opens the window without them, as several load Docker's SDK (issue #8).
SUBCOMMANDS = {
    "sort": "sort",
    "status": "status",
    "install-desktop": "desktop",
    "uninstall-desktop": "desktop",
    "doctor": "doctor",
    "inspect": "inspect",
    "phy": "phy",
    "install": "install",
    "explain": "explain",
    "image": "image",
    "results": "results",
    "qc": "qc",
}


def subcommand_module(name: str) -> ModuleType:
    return importlib.import_module(f"ks_gui.cli.{SUBCOMMANDS[name]}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ks-gui",
        usage="ks-gui [RECORDING]  or  ks-gui [-h] [--version] COMMAND ...",
        description="Spike sorting with Kilosort, in Docker or in an environment of its own. "
        "ks-gui alone opens the window; ks-gui RECORDING opens it with that recording (a folder or a .bin/.dat).",
        epilog="Your first sort, without a GPU or MATLAB: ks-gui install kilosort4, then "
        "ks-gui sort REC --output OUT --sorter kilosort4 --on local (README: Your first sort).",
    )
    parser.add_argument("--version", action="version", version=f"ks-gui {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", prog="ks-gui")
    for module in dict.fromkeys(subcommand_module(name) for name in SUBCOMMANDS):
        module.add_parser(commands)
    return parser


def _open_window(argv: list[str]) -> int:
    from ks_gui.core.setup.display import check_display

    display = check_display()  # before Qt: a missing xcb library or no display would make Qt abort (issue #22)
    if not display.ok:
        print(f"ks-gui: {display.message()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from ks_gui.ui.app import run_app  # Qt is loaded only for the window

    return run_app(Path(argv[0]) if argv else None)


def unknown_first_word(word: str) -> str:
    """Why `ks-gui WORD` does not open the window: WORD is neither a command nor an existing file or folder."""
    import difflib  # only for this message

    if "/" in word or "." in word:
        return f"no such recording: {word} (neither a file nor a folder)"
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"unknown command '{word}'{hint}; the commands: {', '.join(SUBCOMMANDS)} (ks-gui --help); "
        "or open the window with a recording: ks-gui [RECORDING]"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        if argv and not Path(argv[0]).exists():
            print(f"ks-gui: {unknown_first_word(argv[0])}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return _open_window(argv)
    args = _parser().parse_args(argv)
    try:
        return subcommand_module(args.command).run(args)
    except BadInputError as err:
        if getattr(args, "json", False):
            print_json({"errors": list(err.messages)})
        for message in err.messages:
            print(f"ks-gui: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
