"""`ks-gui install TARGET`: install a helper program into ks-gui's own environment (`phy`; more targets later)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ks_gui.cli.common import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, print_json
from ks_gui.core.results.phy import INSTALLED_MARKER, InstallOutcome, InstallProgress, PhyInstaller, phy_env_dir

NAME = "install"


def add_parser(commands: argparse._SubParsersAction) -> None:
    install = commands.add_parser(
        "install",
        help="install phy or Kilosort 4 into an environment of ks-gui's own",
        description="Install a program ks-gui uses into its own environment under the user data folder.",
    )
    install.add_argument("target", choices=sorted(TARGETS), metavar="TARGET", help=" | ".join(sorted(TARGETS)))
    install.add_argument("--into", type=Path, metavar="DIR", help="another folder for the environment")
    install.add_argument("--force", action="store_true", help="install again over a working installation")
    install.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def _install_phy(args: argparse.Namespace) -> int:
    target = (args.into or phy_env_dir()).expanduser().absolute()
    if (target / INSTALLED_MARKER).exists() and not args.force:
        message = f"phy is already installed in {target} (--force installs it again)."
        print_json({"succeeded": True, "environment": str(target), "message": message}) if args.json else print(message)
        return EXIT_OK
    installer = PhyInstaller(target)

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=installer.cancel, daemon=True).start()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        for event in installer.events():
            if isinstance(event, InstallProgress) and not args.json:
                print(f"[{event.fraction:4.0%}] {event.text}", file=sys.stderr, flush=True)
            elif isinstance(event, InstallOutcome):
                return _report(args, event)
    finally:
        signal.signal(signal.SIGINT, previous)
    raise AssertionError("events() always ends with an InstallOutcome")


def _report(args: argparse.Namespace, outcome: InstallOutcome) -> int:
    if args.json:
        print_json(
            {
                "succeeded": outcome.succeeded,
                "cancelled": outcome.cancelled,
                "environment": str(outcome.environment),
                "log_file": str(outcome.log_file),
                "message": outcome.message,
            }
        )
    else:
        print(outcome.message, file=sys.stdout if outcome.succeeded else sys.stderr)
    if outcome.cancelled:
        return EXIT_CANCELLED
    return EXIT_OK if outcome.succeeded else EXIT_FAILED


def _install_kilosort4(args: argparse.Namespace) -> int:
    """Kilosort 4 and the torch build that fits this machine (kilosort4_env.py); repairs a broken environment."""
    from ks_gui.core.doors import kilosort4_install as kilosort4_env
    from ks_gui.core.doors.kilosort4_install import detect_gpus

    folder = (args.into or kilosort4_env.env_dir()).expanduser().absolute()
    status = kilosort4_env.check(folder)
    if status.ready and not args.force:
        message = f"Kilosort 4 is already installed: {status.describe()} (--force installs it again)."
        print_json({"succeeded": True, "environment": str(folder), "message": message}) if args.json else print(message)
        return EXIT_OK
    installer = kilosort4_env.Installer(folder, kilosort4_env.install_plan(folder, detect_gpus()))

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=installer.cancel, daemon=True).start()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        for event in installer.events():
            if isinstance(event, kilosort4_env.InstallProgress) and not args.json:
                text = event.line or event.title
                print(f"[{event.step}/{event.steps}] {text}", file=sys.stderr, flush=True)
            elif isinstance(event, kilosort4_env.InstallOutcome):
                if args.json:
                    print_json(
                        {
                            "succeeded": event.succeeded,
                            "cancelled": event.cancelled,
                            "environment": str(folder),
                            "versions": event.status.versions(),
                            "message": event.message,
                        }
                    )
                else:
                    print(event.message, file=sys.stdout if event.succeeded else sys.stderr)
                if event.cancelled:
                    return EXIT_CANCELLED
                return EXIT_OK if event.succeeded else EXIT_FAILED
    finally:
        signal.signal(signal.SIGINT, previous)
    raise AssertionError("events() always ends with an InstallOutcome")


# Each target installs one program.
TARGETS: dict[str, Callable[[argparse.Namespace], int]] = {"phy": _install_phy, "kilosort4": _install_kilosort4}


def run(args: argparse.Namespace) -> int:
    return TARGETS[args.target](args)
