"""`ks-gui sort`: check a job, run it in a container, show its progress, say how it ended."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from pathlib import Path

from ks_gui.cli.common import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.cli.terminal import TerminalProgress
from ks_gui.core.container import EnvironmentVariableError, parse_environment, spec_for
from ks_gui.core.engine import EngineError, connect
from ks_gui.core.gpu import GpuChoiceError, detect_gpus, parse_gpu_request
from ks_gui.core.image import ImageInfo
from ks_gui.core.job import SortJob
from ks_gui.core.license import LicenseError, parse_license
from ks_gui.core.locations import mex_cache_dir
from ks_gui.core.params import ParamError, parse_assignment
from ks_gui.core.progress import ProgressEvent
from ks_gui.core.recording import RecordingError, inspect
from ks_gui.core.run import Outcome, SignInPrompt, SortRun, preflight
from ks_gui.core.sorters import DEFAULT_SORTER, SORTERS

NAME = "sort"


def add_parser(commands: argparse._SubParsersAction) -> None:
    sort = commands.add_parser(
        "sort",
        help="sort a recording in a container",
        description="Sort a recording in a container and show its progress.",
    )
    sort.add_argument("recording", type=Path, metavar="RECORDING", help="recording folder or binary file")
    sort.add_argument(
        "--output", "-o", type=Path, required=True, metavar="DIR", help="new folder for the results (phy opens it)"
    )
    sort.add_argument("--sorter", choices=sorted(SORTERS), default=DEFAULT_SORTER)
    sort.add_argument("--image", metavar="IMG", help="container image (default: the sorter's image)")
    sort.add_argument(
        "--gpu", default="auto", metavar="auto|INDEX|none", help="GPU to use: auto picks the least busy one (default)"
    )
    sort.add_argument("--license", metavar="MODE", help="server:PORT@HOST, file:PATH or account:EMAIL (MATLAB sorters)")
    sort.add_argument(
        "--temp-dir",
        type=Path,
        metavar="DIR",
        help="folder for Kilosort's temp file, as large as the recording (default: the output)",
    )
    sort.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="sorter parameter, value in JSON (e.g. --param Th=[10,4]); repeatable",
    )
    sort.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment variable for the container (e.g. proxy settings); repeatable",
    )
    sort.add_argument("--dry-run", action="store_true", help="check and show the container, start nothing")
    sort.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def _job_from_args(args: argparse.Namespace) -> SortJob:
    sorter = SORTERS[args.sorter]
    try:
        recording = inspect(args.recording)
        license = parse_license(args.license) if args.license else None
        overrides = dict(parse_assignment(text, sorter.params) for text in args.param)
        environment = parse_environment(args.env)
    except (RecordingError, LicenseError, ParamError, EnvironmentVariableError) as err:
        raise BadInputError(str(err)) from err
    return SortJob(
        recording=recording,
        output=args.output,
        license=license,
        sorter=sorter,
        image=args.image or "",
        temp_dir=args.temp_dir,
        environment=environment,
        param_overrides=overrides,
    )


def run(args: argparse.Namespace) -> int:
    try:
        gpu_request = parse_gpu_request(args.gpu)
    except GpuChoiceError as err:
        raise BadInputError(str(err)) from err
    job = _job_from_args(args)
    if not args.dry_run and (problems := job.input_problems()):
        raise BadInputError(*(p.message for p in problems))
    try:
        engine = connect()
        checked = preflight(job, engine, gpu_request, detect_gpus())
    except EngineError as err:
        raise BadInputError(err.message) from err
    except GpuChoiceError as err:
        raise BadInputError(str(err)) from err

    if args.dry_run:
        image = checked.image or ImageInfo(name=job.image, id="not-on-this-machine")
        mex_cache = mex_cache_dir(image.short_id)
        spec = spec_for(job, mex_cache)
        document = {
            "container": spec.to_json(),
            "job": job.document(mex_cache) if job.n_channels and job.sample_rate else None,
            "docker_run": spec.docker_run_command(),
            "problems": [p.message for p in checked.problems],
        }
        if args.json:
            print_json(document)
        else:
            print(document["docker_run"])
            for problem in checked.problems:
                print(f"ks-gui: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT if checked.problems else EXIT_OK

    if checked.problems:
        raise BadInputError(*(p.message for p in checked.problems))
    assert checked.image is not None
    run = SortRun(job, engine, checked.image)
    try:
        run.start()
    except EngineError as err:
        print(f"ks-gui: {err.message}", file=sys.stderr)
        return EXIT_FAILED
    outcome = _follow(run)
    if args.json:
        print_json(_outcome_document(outcome))
    else:
        print(outcome.summary())
    if outcome.cancelled:
        return EXIT_CANCELLED
    return EXIT_OK if outcome.succeeded else EXIT_FAILED


def _follow(run: SortRun) -> Outcome:
    """Show the run's progress until it ends; Ctrl-C stops the container."""
    progress = TerminalProgress()
    progress.message(f"Sorting {run.job.recording.binary} in {run.job.image} (log: {run.log_file})")

    def stop(_signum: int, _frame: object) -> None:
        progress.message("Stopping the container…")
        threading.Thread(target=run.cancel, daemon=True).start()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        for event in run.events():
            if isinstance(event, ProgressEvent):
                progress.show(event)
            elif isinstance(event, SignInPrompt):
                progress.end()
                run.answer(_ask(event))
            elif isinstance(event, Outcome):
                progress.end()
                return event
    finally:
        signal.signal(signal.SIGINT, previous)
    raise AssertionError("events() always ends with an Outcome")


def _ask(prompt: SignInPrompt) -> str:
    if prompt.kind == "retry":
        return "y" if input("Sign-in failed. Try again? [y/N] ").strip().lower().startswith("y") else "n"
    if prompt.kind == "email":
        return input("MathWorks account email: ").strip()
    label = "one-time password" if prompt.kind == "one_time_password" else "MathWorks password"
    return getpass.getpass(f"{label} (not stored): ")


def _outcome_document(outcome: Outcome) -> dict:
    return {
        "succeeded": outcome.succeeded,
        "cancelled": outcome.cancelled,
        "exit_code": outcome.exit_code,
        "output": str(outcome.output),
        "log_file": str(outcome.log_file),
        "result": None if outcome.result is None else vars(outcome.result),
        "failure": None
        if outcome.failure is None
        else {
            "kind": outcome.failure.kind,
            "message": outcome.failure.message,
            "hint": outcome.failure.hint,
        },
        "summary": outcome.summary(),
    }
