"""`ks-gui sort`: check a job, run it in a container, show its progress, say how it ended."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from pathlib import Path

from ks_gui.cli.cluster_options import add_cluster_options, cluster_from_args, remember_given_cluster
from ks_gui.cli.common import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, BadInputError, print_json
from ks_gui.cli.terminal import TerminalProgress
from ks_gui.core import sorting
from ks_gui.core.claim import ClaimError
from ks_gui.core.events import Notice, Outcome, SignInPrompt
from ks_gui.core.gpu_choice import (
    FORWARD_COMPAT_CHOICES,
    GpuChoiceError,
    GpuRequest,
    parse_forward_compat,
    parse_gpu_request,
)
from ks_gui.core.job import SortJob
from ks_gui.core.license import BatchToken, LicenseError, NoKeyringError, parse_license, store_token
from ks_gui.core.mounts import EnvironmentVariableError, MountError, parse_environment, parse_mount
from ks_gui.core.recordings.inspection import inspect, inspect_all
from ks_gui.core.recordings.recording import Recording, RecordingError
from ks_gui.core.setup.display import pictures_check
from ks_gui.core.sorters import DEFAULT_SORTER, SHORTHANDS, SORTERS, Sorter, sorter_named
from ks_gui.core.sorters.params import ParamError, parse_assignment
from ks_gui.core.sorters.progress import ProgressEvent

NAME = "sort"


def add_parser(commands: argparse._SubParsersAction) -> None:
    sort = commands.add_parser(
        "sort",
        help="sort a recording (in Docker, or with Kilosort 4 in its own environment)",
        description="Sort a recording and show its progress: --sorter says what sorts, --on where it runs.",
    )
    sort.add_argument(
        "recordings",
        type=str,
        nargs="+",
        metavar="RECORDING",
        help="recording folder or binary file; with several, each is sorted in turn into its own folder in --output",
    )
    sort.add_argument(
        "--all-probes",
        action="store_true",
        help="sort every probe (neural stream) of a run folder, each into its own folder in --output",
    )
    sort.add_argument(
        "--output", "-o", type=str, required=True, metavar="DIR", help="new folder for the results (phy opens it)"
    )
    sort.add_argument(
        "--sorter",
        choices=sorted([*SORTERS, *SHORTHANDS]),
        default=DEFAULT_SORTER,
        help="kilosort2.5 (MATLAB, needs a license; the default) or kilosort4 (no MATLAB); kilosort4-local is "
        "short for --sorter kilosort4 --on local",
    )
    sort.add_argument(
        "--on",
        metavar="PLACE",
        help="where it runs: docker (this computer's Docker, the default), local (the app's Kilosort 4 "
        "environment on this computer: no Docker) or a GPU server's Docker over SSH, ssh://USER@HOST",
    )
    sort.add_argument(
        "--path-map",
        action="append",
        default=None,
        metavar="LOCAL=SERVER",
        help="with --on ssh://…: a folder of this computer as the server names it (the same shared storage); "
        "repeatable; default: the map remembered for the server, else the same paths on both",
    )
    add_cluster_options(sort)
    sort.add_argument("--image", metavar="IMG", help="container image (default: the sorter's image)")
    sort.add_argument(
        "--gpu", default="auto", metavar="auto|INDEX|none", help="GPU to use: auto picks the least busy one (default)"
    )
    sort.add_argument(
        "--license",
        metavar="MODE",
        help="server:PORT@HOST, file:PATH, account:EMAIL, token:EMAIL::TOKEN (kept in the system keyring) or "
        "token:EMAIL (the token from the keyring); MATLAB sorters",
    )
    sort.add_argument(
        "--mac-address", metavar="MAC", help="the MAC address a node-locked license file is bound to (file:PATH)"
    )
    sort.add_argument(
        "--keep-signed-in",
        action="store_true",
        help="with account:EMAIL: keep MATLAB's sign-in (never the password) in a Docker volume of yours, so later "
        "runs do not ask again; Storage (or docker volume rm) removes it",
    )
    sort.add_argument(
        "--cuda-forward-compat",
        default="auto",
        metavar="|".join(FORWARD_COMPAT_CHOICES),
        help="CUDA forward compatibility for MATLAB R2021b: auto (the default) switches it on for GPUs newer than "
        "its CUDA 11.0 supports (compute capability 9.0 and up, e.g. H100); on or off overrides that",
    )
    sort.add_argument(
        "--temp-dir",
        type=str,
        metavar="DIR",
        help="folder for Kilosort's temp file, as large as the recording (default: the output)",
    )
    sort.add_argument(
        "--channels", type=int, metavar="N", help="the file's channel count, for a raw binary (the sorter's parameter)"
    )
    sort.add_argument("--sample-rate", type=float, metavar="HZ", help="its sample rate in Hz, for a raw binary")
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
    sort.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="SRC[:DST][:ro]",
        help="another folder for the container (default: at the same path, read-write); repeatable",
    )
    sort.add_argument(
        "--docker-wait",
        type=_seconds,
        default=sorting.DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help="when Docker stops answering mid-run, wait this long for it to come back (default: "
        f"{sorting.DEFAULT_WAIT_SECONDS:g}); then the sort is left to `ks-gui status --attach`",
    )
    sort.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results of an earlier sort in --output (its phy files and record; never while a sort "
        "still runs into it); without it, a folder that holds a sort is refused",
    )
    sort.add_argument("--dry-run", action="store_true", help="check and show the container, start nothing")
    sort.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")


def _paths_from_text(args: argparse.Namespace) -> None:
    """The paths as typed, made Paths only when not empty: an empty one (a script's unset variable) would be the
    working folder as a Path."""
    for option, value in (("--output", args.output), ("--temp-dir", args.temp_dir)):
        if value is not None and not value.strip():
            raise BadInputError(f"{option} is empty: name the folder")
    if any(not text.strip() for text in args.recordings):
        raise BadInputError("a recording is named by an empty path: name its folder or file")
    args.output = Path(args.output)
    args.temp_dir = None if args.temp_dir is None else Path(args.temp_dir)
    args.recordings = [Path(text) for text in args.recordings]


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return seconds


def _recordings(args: argparse.Namespace) -> list[tuple[Recording, Path]]:
    """What to sort, and where each result goes: --output itself for one recording, a folder in it for several."""
    found: list[Recording] = []
    for path in args.recordings:
        if args.all_probes:
            found += [r for r in inspect_all(path).recordings if r.neural_rank == 0]
        else:
            found.append(inspect(path))
    if len(found) == 1:
        return [(found[0], args.output)]
    names = [r.folder.name for r in found]
    if len(set(names)) < len(names):  # e.g. several probes' binaries in one folder
        names = [f"{r.folder.name}_{r.binary.stem}" for r in found]
    return [(r, args.output / name) for r, name in zip(found, names, strict=True)]


def _sorter_and_place(args: argparse.Namespace) -> tuple:
    sorter, implied = sorter_named(args.sorter)
    if implied and args.on and args.on != implied:
        raise BadInputError(f"--sorter {args.sorter} runs on {implied}, not on {args.on}: use --sorter {sorter.name}")
    place = _docker_context(args.on) or implied or sorting.DEFAULT_PLACE
    if (problem := sorting.place_problem(sorter, place)) is not None:
        raise BadInputError(problem.message)
    return sorter, place


def _docker_context(on: str | None) -> str | None:
    """`--on NAME` for a Docker context of the user's whose engine is over SSH: that server's address."""
    if not on or on in sorting.PLACE_KINDS or on.startswith("ssh://"):
        return on
    from ks_gui.core.doors.engine import context_address

    address = context_address(on)
    if address is None:
        return on  # place_problem says what --on takes
    if not address.startswith("ssh://"):
        raise BadInputError(f"the Docker context {on} reaches {address}: ks-gui sorts on a server over SSH only")
    return address


def _jobs_from_args(args: argparse.Namespace) -> list[SortJob]:
    sorter, place = _sorter_and_place(args)
    try:
        targets = _recordings(args)
        license = (
            parse_license(args.license, mac_address=args.mac_address, keep_signed_in=args.keep_signed_in)
            if args.license
            else None
        )
        if args.mac_address and license is None:
            raise LicenseError("--mac-address goes with --license file:PATH")
        if args.keep_signed_in and license is None:
            raise LicenseError("--keep-signed-in goes with --license account:EMAIL")
        forward_compat = parse_forward_compat(args.cuda_forward_compat)
        if isinstance(license, BatchToken) and "::" in args.license:
            _keep_token(license)
        overrides = dict(parse_assignment(text, sorter.params) for text in args.param)
        overrides.update(_channels_and_rate(args, sorter, overrides))
        environment = parse_environment(args.env)
        mounts = tuple(parse_mount(text) for text in args.mount)
    except (ParamError, EnvironmentVariableError, MountError) as err:
        raise BadInputError(err.command_line_text()) from err
    except (RecordingError, LicenseError, GpuChoiceError) as err:
        raise BadInputError(str(err)) from err
    return [
        SortJob(
            recording=recording,
            output=output,
            license=license,
            sorter=sorter,
            place=place,
            image=args.image or "",
            temp_dir=args.temp_dir,
            environment=environment,
            extra_mounts=mounts,
            param_overrides=overrides,
            cuda_forward_compat=forward_compat,
            overwrite=args.overwrite,
        )
        for recording, output in targets
    ]


def _channels_and_rate(args: argparse.Namespace, sorter: Sorter, overrides: dict) -> dict:
    """--channels and --sample-rate as the sorter's own parameters (NchanTOT or n_chan_bin, fs), as inspect takes
    them; a --param that says otherwise is bad input."""
    given = {}
    for value, name, flag in (
        (args.channels, sorter.channels_param, "--channels"),
        (args.sample_rate, sorter.sample_rate_param, "--sample-rate"),
    ):
        if value is None:
            continue
        if value <= 0:
            raise BadInputError(f"{flag} must be a positive number, not {value:g}")
        if name in overrides and float(overrides[name]) != float(value):
            raise BadInputError(f"{flag} {value:g} and --param {name}={overrides[name]} disagree: give one of them")
        given[name] = value
    return given


def _keep_token(token: BatchToken) -> None:
    """A token given on the command line is kept in the system keyring, so `token:EMAIL` does next time."""
    try:
        store_token(token)
    except NoKeyringError as err:
        print(f"ks-gui: the token is used for this run only: {err}", file=sys.stderr)
        return
    print(
        f"ks-gui: the batch token for {token.email} is kept in the system keyring (next time: --license "
        f"token:{token.email})",
        file=sys.stderr,
    )


def run(args: argparse.Namespace) -> int:
    _paths_from_text(args)
    try:
        gpu_request = parse_gpu_request(args.gpu)
    except GpuChoiceError as err:
        raise BadInputError(str(err)) from err
    _path_map(args)  # bad pairs are refused before anything is read
    jobs = _jobs_from_args(args)
    if args.dry_run and len(jobs) > 1:
        raise BadInputError("--dry-run shows one job: give one recording")
    # Every job is checked before the first starts: bad input starts nothing.
    problems = [] if args.dry_run else [(job, p) for job in jobs for p in job.input_problems()]
    if problems:
        several = len(jobs) > 1
        raise BadInputError(
            *(
                f"{job.recording.binary.name}: {p.command_line_text()}" if several else p.command_line_text()
                for job, p in problems
            )
        )
    if len(jobs) == 1:
        return _sort_one(args, jobs[0], gpu_request)
    if jobs[0].place.startswith("slurm"):
        return _submit_all_then_follow(args, jobs, gpu_request)
    outcomes = []
    for number, job in enumerate(jobs, start=1):
        print(f"[{number}/{len(jobs)}] {job.recording.binary} -> {job.output}", file=sys.stderr)
        code = _sort_one(args, job, gpu_request, quiet_json=True)
        outcomes.append(
            {
                "recording": str(job.recording.binary),
                "output": str(job.output),
                "exit_code": code,
                "succeeded": code == EXIT_OK,
            }
        )
        if code == EXIT_CANCELLED:
            break
    if args.json:
        print_json({"runs": outcomes})
    codes = {o["exit_code"] for o in outcomes}
    return EXIT_CANCELLED if EXIT_CANCELLED in codes else EXIT_OK if codes == {EXIT_OK} else EXIT_FAILED


def _path_map(args: argparse.Namespace) -> sorting.PathMap | None:
    """--path-map's pairs; None when not given (a server's remembered map is used)."""
    if args.path_map is None:
        return None
    if not (args.on or "").startswith(("ssh://", "slurm")):
        raise BadInputError("--path-map is for a server or a cluster: use it with --on ssh://USER@HOST or slurm…")
    try:
        return sorting.PathMap.parse(args.path_map)
    except ValueError as err:
        raise BadInputError(str(err)) from err


def _open(args: argparse.Namespace, job: SortJob):
    try:
        path_map = _path_map(args)
        return sorting.open_place(job.place, path_map=path_map, cluster=cluster_from_args(args, job.place, path_map))
    except sorting.PlaceError as err:
        raise BadInputError(err.message) from err


def _sort_one(args: argparse.Namespace, job: SortJob, gpu_request: GpuRequest, quiet_json: bool = False) -> int:
    try:
        checked = sorting.check(job, _open(args, job), gpu_request)
    except sorting.PlaceError as err:
        raise BadInputError(err.message) from err

    if checked.problems:  # a dry run too: its command is shown only when it could start
        raise BadInputError(*(p.command_line_text() for p in checked.problems))
    if args.dry_run:
        document = sorting.plan(checked)
        if args.json:
            print_json(document)
        else:
            print(document["command_line"])
        return EXIT_OK

    try:
        run = sorting.start(checked, engine_wait_seconds=args.docker_wait)
    except ClaimError as err:  # another sort took the folder since the check: nothing started
        raise BadInputError(err.message) from err
    except (sorting.PlaceError, OSError) as err:  # OSError: the local environment's python could not start
        print(f"ks-gui: {getattr(err, 'message', err)}", file=sys.stderr)
        return EXIT_FAILED
    remember_given_cluster(args, job.place, _path_map(args))
    outcome = _follow(run)
    if outcome.succeeded:
        _draw_kept_pictures(run.job.output)
    if args.json and not quiet_json:
        print_json(_outcome_document(outcome))
    else:  # with --json over several jobs, stdout is kept for the one document at the end
        print(outcome.summary(), file=sys.stderr if args.json else sys.stdout)
    if outcome.cancelled:
        return EXIT_CANCELLED
    return EXIT_OK if outcome.succeeded else EXIT_FAILED


def _submit_all_then_follow(args: argparse.Namespace, jobs: list[SortJob], gpu_request: GpuRequest) -> int:
    """A cluster: every recording one job, all submitted at once (SLURM spreads them over its nodes), then each
    followed to its end in turn. A problem with any of them submits none."""
    place = _open(args, jobs[0])
    checked = [sorting.check(job, place, gpu_request) for job in jobs]
    problems = [f"{c.job.recording.binary.name}: {p.command_line_text()}" for c in checked for p in c.problems]
    if problems:
        raise BadInputError(*problems)
    runs = []
    for number, one in enumerate(checked, start=1):
        try:
            run = sorting.start(one)
        except sorting.PlaceError as err:
            print(f"ks-gui: [{number}/{len(jobs)}] {one.job.recording.binary}: {err.message}", file=sys.stderr)
            continue
        print(
            f"[{number}/{len(jobs)}] {one.job.recording.binary} -> {one.job.output}: {run.place_handle}",
            file=sys.stderr,
        )
        runs.append(run)
    if runs:
        remember_given_cluster(args, jobs[0].place, _path_map(args))
    outcomes = []
    for run in runs:
        outcome = _follow(run)
        if outcome.succeeded:
            _draw_kept_pictures(run.job.output)
        print(outcome.summary(), file=sys.stderr if args.json else sys.stdout)
        outcomes.append(
            {
                "recording": str(run.job.recording.binary),
                "output": str(run.job.output),
                "exit_code": EXIT_OK if outcome.succeeded else EXIT_CANCELLED if outcome.cancelled else EXIT_FAILED,
                "succeeded": outcome.succeeded,
            }
        )
    if args.json:
        print_json({"runs": outcomes})
    failed = len(runs) < len(jobs) or any(not o["succeeded"] for o in outcomes)
    return EXIT_FAILED if failed else EXIT_OK


def _draw_kept_pictures(output: Path) -> None:
    """The drift map and unit table the run kept, drawn into `<output>/.ks-gui/` (offscreen: no display needed)."""
    if problem := pictures_check().message():
        print(f"ks-gui: {problem}", file=sys.stderr)
        return
    from ks_gui.ui.pictures import write_kept_pictures

    try:
        write_kept_pictures(output)
    except OSError as err:
        print(f"ks-gui: the result pictures were not written: {err}", file=sys.stderr)


def _follow(run: sorting.SortRun) -> Outcome:
    """Show the run's progress until it ends; Ctrl-C stops the container."""
    progress = TerminalProgress()
    where = run.job.image if run.place.form == "container" else f"{run.job.sorter.title} ({run.place.title})"
    progress.message(f"Sorting {run.job.recording.binary} with {where} (log: {run.log_file})")

    def stop(_signum: int, _frame: object) -> None:
        progress.message("Stopping the sorter…")
        threading.Thread(target=run.cancel, daemon=True).start()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        for event in run.events():
            if isinstance(event, ProgressEvent):
                progress.show(event)
            elif isinstance(event, Notice):
                progress.message(event.text)
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
        "interrupted": outcome.interrupted,
        "quality": outcome.quality,  # the quality stage's labels, or why there are none (the sort stands)
        "summary": outcome.summary(),
    }
