"""`ks-gui inspect PATH`: what a folder or file holds, read from metadata alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ks_gui.cli.common import EXIT_BAD_INPUT, EXIT_OK, BadInputError, print_json
from ks_gui.core.recordings.inspection import inspect_all
from ks_gui.core.recordings.recording import Recording, RecordingError

if TYPE_CHECKING:
    from ks_gui.core.recordings.preview import Mode

NAME = "inspect"


def add_parser(commands: argparse._SubParsersAction) -> None:
    inspect = commands.add_parser(
        "inspect",
        help="show what a recording folder or file holds",
        description="Detect the recordings in a folder (SpikeGLX, Open Ephys binary, raw int16 binary) from their "
        "metadata, without reading the samples.",
    )
    inspect.add_argument("path", type=Path, metavar="PATH", help="recording folder or file")
    inspect.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    inspect.add_argument(
        "--preview", type=Path, metavar="FILE.png", help="write a picture of the traces as Kilosort will read them"
    )
    inspect.add_argument("--at", type=float, default=0.0, metavar="SECONDS", help="where the preview starts")
    inspect.add_argument(
        "--seconds", type=float, default=0.1, metavar="S", help="how long the preview is (0.1 s; at most 1 s)"
    )
    inspect.add_argument("--raw", action="store_true", help="the preview unfiltered (median reference only)")
    inspect.add_argument("--channels", type=int, metavar="N", help="the file's channel count (a raw binary)")
    inspect.add_argument("--sample-rate", type=float, metavar="HZ", help="its sample rate (a raw binary)")


def recording_document(recording: Recording, preselected: bool) -> dict:
    """One recording in `ks-gui inspect --json`."""
    channel_map = recording.channel_map
    return {
        "format": recording.format,
        "binary": str(recording.binary),
        "n_channels": recording.n_channels,
        "n_channels_connected": None if channel_map is None else channel_map.n_connected,
        "sample_rate": recording.sample_rate,
        "n_samples": recording.samples,
        "duration_s": recording.duration_s,
        "dtype": recording.dtype,
        "size_bytes": recording.size_bytes,
        "stream": recording.stream,
        "probe": recording.probe,
        "probe_description": recording.probe_description,
        "channel_map": None if channel_map is None else channel_map.name,
        "metadata": None if recording.metadata is None else str(recording.metadata),
        "preselected": preselected,
        "warnings": list(recording.warnings),
    }


def run(args: argparse.Namespace) -> int:
    try:
        found = inspect_all(args.path)
    except RecordingError as err:
        if args.json:
            print_json({"recordings": [], "problems": list(err.problems)})
        for problem in err.problems:
            print(f"ks-gui: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    preselected = None if found.choice_needed else found.preselected
    if args.preview is not None:
        return _write_preview(args, preselected)
    if args.json:
        print_json(
            {
                "recordings": [recording_document(r, r is preselected) for r in found.recordings],
                "problems": list(found.problems),
            }
        )
        return EXIT_OK
    for recording in found.recordings:
        mark = "*" if recording is preselected else " "
        print(f"{mark} {recording.binary}")
        for line in describe(recording):
            print(f"    {line}")
    for problem in found.problems:
        print(f"ks-gui: {problem}", file=sys.stderr)
    if found.choice_needed:
        print("ks-gui: several binaries: give the one to sort", file=sys.stderr)
    return EXIT_OK


def _write_preview(args: argparse.Namespace, recording: Recording | None) -> int:
    from ks_gui.core.recordings.preview import read_window
    from ks_gui.core.setup.display import pictures_check

    if problem := pictures_check().message():
        raise BadInputError(problem)
    if recording is None:
        raise BadInputError("several binaries here: give the one to preview")
    n_channels, sample_rate = args.channels or recording.n_channels, args.sample_rate or recording.sample_rate
    if not n_channels or not sample_rate:
        raise BadInputError(f"{recording.binary}: give its channel count and sample rate (--channels, --sample-rate)")
    mode: Mode = "raw" if args.raw else "filtered"
    from ks_gui.ui.pictures import ensure_offscreen_app, preview_image, save_png  # Qt only for the picture

    try:
        preview = read_window(recording, args.at, args.seconds, mode, n_channels=n_channels, sample_rate=sample_rate)
        ensure_offscreen_app()
        title = f"{recording.binary.name}: from {preview.start_s:.3f} s, read as {n_channels} channels"
        save_png(preview_image(preview, title=title), str(args.preview))
    except (OSError, ValueError) as err:
        raise BadInputError(f"no preview written: {err}") from err
    if args.json:
        print_json({"preview": str(args.preview), "start_s": preview.start_s, "rows": int(preview.image.shape[0])})
    else:
        print(f"Wrote {args.preview} ({preview.image.shape[0]} channels by depth, {preview.duration_s:.3f} s)")
    return EXIT_OK


def describe(recording: Recording) -> list[str]:
    """The recording's facts, one per line, as the window's card shows them."""
    return [f"{label.lower()}: {value}" for label, value in recording.facts()] + [
        f"warning: {w}" for w in recording.warnings
    ]
