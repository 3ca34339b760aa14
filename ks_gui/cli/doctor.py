"""`ks-gui doctor`: say, item by item, what is ready for a sort and how to fix what is not."""

from __future__ import annotations

import argparse
from pathlib import Path

from ks_gui.cli.common import EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.core.setup.doctor import run_checks

NAME = "doctor"


def add_parser(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check Docker, the GPU, the images, disk and phy",
        description="Check what a sort needs (Docker, its NVIDIA runtime, GPUs, the sorter images, free disk, phy) "
        "and say how to fix what is missing. Exit code 0 when everything is ready, 1 otherwise.",
    )
    doctor.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="IMG",
        help="check this image instead of the sorters' default images; repeatable",
    )
    doctor.add_argument(
        "--temp-dir", type=Path, metavar="DIR", help="where Kilosort's temp file will go (default: your home)"
    )
    doctor.add_argument(
        "--on", metavar="ssh://USER@HOST", help="check a GPU server instead: SSH, its Docker, GPUs, images, disk"
    )
    doctor.add_argument(
        "--path-map", action="append", default=None, metavar="LOCAL=SERVER", help="with --on: the server's path map"
    )
    doctor.add_argument("--json", action="store_true", help='print {"checks": [{"name","ok","detail","fix"}]}')


def run(args: argparse.Namespace) -> int:
    if args.on:
        from ks_gui.core.doors.servers import PathMap
        from ks_gui.core.setup.server_checks import server_checks

        if args.on.startswith("slurm"):
            from ks_gui.core.setup.cluster_checks import cluster_checks

            checks = cluster_checks(args.on)
            return _print(checks, args.json)
        if not args.on.startswith("ssh://"):
            raise BadInputError(f"--on {args.on}: doctor checks this computer, a server (ssh://USER@HOST) or slurm")
        try:
            path_map = None if args.path_map is None else PathMap.parse(args.path_map)
        except ValueError as err:
            raise BadInputError(str(err)) from err
        checks = server_checks(args.on, path_map, images=args.image or None, temp_folder=args.temp_dir)
    else:
        checks = run_checks(images=args.image or None, temp_folder=args.temp_dir)
    return _print(checks, args.json)


def _print(checks: list, as_json: bool) -> int:
    if as_json:
        print_json({"checks": [check.to_json() for check in checks]})
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            print(f"{'ok ' if check.ok else 'NO '} {check.name.ljust(width)}  {check.detail}")
            if check.fix:
                print(f"     {' ' * width}  fix: {check.fix}")
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED
