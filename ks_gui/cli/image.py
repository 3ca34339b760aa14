"""`ks-gui image build [kilosort2.5|kilosort4]` and `ks-gui image clear-cache`: make a sorter's image, forget the
compiled files kept for one."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ks_gui.cli.common import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.core.doors.engine import EngineError, connect
from ks_gui.core.doors.images import (
    DEFAULT_SORTER,
    RECIPES,
    BuildFinished,
    BuildLine,
    LayerProgress,
    build_for,
    clear_compiled_files,
    space_check,
)
from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.sorters import KILOSORT25, SORTERS

if TYPE_CHECKING:
    from ks_gui.core.doors.engine import Engine
    from ks_gui.core.sorting import ServerPlace

NAME = "image"


def add_parser(commands: argparse._SubParsersAction) -> None:
    image = commands.add_parser("image", help="build a sorter's image, or clear its compiled files")
    actions = image.add_subparsers(dest="image_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build",
        help="build a sorter's image (Kilosort 2.5: MATLAB's base, about 17 GB; Kilosort 4: PyTorch's with CUDA)",
        description="Pull the sorter's base image when it is missing, then build the image.",
    )
    build.add_argument(
        "sorter",
        nargs="?",
        default=DEFAULT_SORTER,
        choices=sorted(RECIPES),
        help="whose image (default: %(default)s)",
    )
    build.add_argument("--tag", metavar="IMG", help="image name (default: the sorter's, e.g. ks-gui/kilosort4:latest)")
    build.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an ARG of the Dockerfile (Kilosort 4: BASE_IMAGE=another base with python, pip and torch)",
    )
    build.add_argument(
        "--on", metavar="ssh://USER@HOST", help="build it in a GPU server's Docker (its own disk and network)"
    )
    build.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    sif = actions.add_parser(
        "sif",
        help="make an Apptainer image (SIF) of a sorter image, for a cluster's nodes",
        description="Build an Apptainer image (SIF) from an image in this computer's Docker, for a SLURM cluster whose "
        "nodes run Apptainer (--on slurm --node-runs apptainer --sif FILE).",
    )
    sif.add_argument("--image", default=KILOSORT25.default_image, metavar="IMG", help="image (default: %(default)s)")
    sif.add_argument("--output", required=True, metavar="FILE.sif", help="the SIF to write (on shared storage)")
    sif.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    clear = actions.add_parser(
        "clear-cache",
        help="clear the image's compiled files (the next sort compiles them again)",
        description="Clear compiled files: remove the mex files compiled for the image, kept per image id.",
    )
    clear.add_argument("--image", default=KILOSORT25.default_image, metavar="IMG", help="image (default: %(default)s)")
    clear.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def _connect() -> Engine:
    try:
        return connect()
    except EngineError as err:
        raise BadInputError(err.message) from err


def run(args: argparse.Namespace) -> int:
    if args.image_command == "sif":
        return _sif(args)
    return _build(args) if args.image_command == "build" else _clear(args)


def _sif(args: argparse.Namespace) -> int:
    """`apptainer build FILE.sif docker-daemon:IMAGE`, its output shown as it comes."""
    import shutil
    import subprocess

    from ks_gui.core.doors.images import sif_build_command

    command = sif_build_command(args.image, args.output)
    if shutil.which("apptainer") is None:
        raise BadInputError(
            f"Apptainer is not installed on this computer: run `{' '.join(command)}` where it is (with access to "
            f"this image), or `docker save {args.image} -o image.tar` here and `apptainer build {args.output} "
            "docker-archive:image.tar` there"
        )
    if _connect().image(args.image) is None:
        raise BadInputError(f"the image {args.image} is not on this computer: build it first (ks-gui image build)")
    code = subprocess.run(command, check=False).returncode
    if args.json:
        print_json({"succeeded": code == 0, "sif": args.output, "command": command})
    return EXIT_OK if code == 0 else EXIT_FAILED


def _engine_to_build_in(on: str | None) -> tuple[Engine, Callable[[str], int | None] | None]:
    """This computer's engine, or a server's (and how to measure free space there, where its images are kept)."""
    if on is None:
        return _connect(), None
    from ks_gui.core import sorting

    if not on.startswith("ssh://"):
        raise BadInputError(f"--on {on}: an image is built here, or on a server given as ssh://USER@HOST")
    try:
        server = cast("ServerPlace", sorting.open_place(on))  # an ssh:// address opens a server
    except sorting.PlaceError as err:
        raise BadInputError(err.message) from err
    return server.engine, server.free_bytes


def _clear(args: argparse.Namespace) -> int:
    engine = _connect()
    image = engine.image(args.image)
    if image is None:
        raise BadInputError(f"the image {args.image} is not on this machine, so it has no compiled files")
    cleared = clear_compiled_files(image)
    if args.json:
        print_json({"image": image.name, "image_id": image.id, "folder": str(cleared.folder), "files": cleared.files})
    else:
        print(cleared.message())
    return EXIT_OK


def _build_args(texts: list[str]) -> dict[str, str]:
    pairs = {}
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise BadInputError(f"--build-arg {text!r} is not KEY=VALUE")
        pairs[key] = value
    return pairs


def _build(args: argparse.Namespace) -> int:
    recipe = RECIPES[args.sorter]
    tag = args.tag or SORTERS[args.sorter].default_image
    build_args = _build_args(args.build_arg)
    missing = [p for p in (recipe.folder / "Dockerfile", *recipe.files.values()) if not p.is_file()]
    if missing:
        raise BadInputError(f"{missing[0]} is missing: this ks-gui install lacks its image files")
    engine, free_bytes = _engine_to_build_in(args.on)
    base_present = engine.image(recipe.base_for(build_args)) is not None
    docker_root = engine.info().get("DockerRootDir")
    free = free_bytes(docker_root or "/") if free_bytes else None  # as space_check reads a missing one
    space = space_check(docker_root, base_present, free, image_bytes=recipe.size_bytes)
    if not space.enough:
        raise BadInputError(space.message())
    log = sys.stderr if args.json else sys.stdout
    print(space.message(), file=sys.stderr)

    build = build_for(engine, recipe, tag, build_args)
    previous = signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=build.cancel, daemon=True).start())
    progress = _PullDisplay()
    finished: BuildFinished | None = None
    try:
        for event in build.events():
            if isinstance(event, LayerProgress):
                progress.show(event)
            elif isinstance(event, BuildLine):
                progress.end()
                print(event.text, file=log, flush=True)
            else:
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
        progress.end()
    assert finished is not None, "events() always ends with BuildFinished"
    if args.json:
        print_json(
            {
                "succeeded": finished.succeeded,
                "cancelled": finished.cancelled,
                "tag": finished.tag,
                "image_id": finished.image.id if finished.image else None,
                "failure": None
                if finished.failure is None
                else {"kind": finished.failure.kind, "message": finished.failure.message},
                "summary": finished.summary(),
            }
        )
    else:
        print(finished.summary(), file=sys.stderr if not finished.succeeded else sys.stdout)
    if finished.cancelled:
        return EXIT_CANCELLED
    return EXIT_OK if finished.succeeded else EXIT_FAILED


class _PullDisplay:
    """The base image's download on stderr: one redrawn line on a terminal, a line per finished layer elsewhere."""

    def __init__(self) -> None:
        self._live = sys.stderr.isatty()
        self._drawn = 0

    def show(self, event: LayerProgress) -> None:
        if self._live:
            total = human_bytes(event.known_total)
            text = f"Downloading the base image: {human_bytes(event.downloaded)} of {total} · {event.describe()}"
            sys.stderr.write("\r" + text.ljust(self._drawn))
            sys.stderr.flush()
            self._drawn = len(text)
        elif event.status == "Pull complete":
            print(f"{event.describe()} ({human_bytes(event.downloaded)} downloaded)", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self._drawn:
            sys.stderr.write("\n")
            self._drawn = 0
