"""One sort, from a checked job to its outcome: write the job file, start the container, follow its output.

Synchronous on purpose: `SortRun.events()` yields what happens, and the CLI or a Qt worker thread consumes it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from ks_gui.core.atomic import write_json_atomically
from ks_gui.core.contract import channel_map_file, job_file
from ks_gui.core.job import Problem, SortJob
from ks_gui.core.license import MathWorksAccount
from ks_gui.core.locations import mex_cache_dir, run_log_file
from ks_gui.core.places import kilosort4_env
from ks_gui.core.places.container_spec import ContainerSpec, spec_for
from ks_gui.core.places.gpus import GpuRequest, choose_gpu
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.local_process import LocalRun, local_spec_for
from ks_gui.core.places.outage import DEFAULT_WAIT_SECONDS, EngineLostError, wait_text, wait_until_back
from ks_gui.core.recordings.recording import Recording
from ks_gui.core.results import history
from ks_gui.core.results.phy_folder import read_counts, remove_earlier_results
from ks_gui.core.results.provenance import Provenance, write_provenance
from ks_gui.core.sorters import SORTERS
from ks_gui.core.sorters.diagnosis import Failure, diagnose
from ks_gui.core.sorters.progress import ProgressEvent, Result, Tracker
from ks_gui.drivers import KILOSORT4_DRIVER, driver_path

if TYPE_CHECKING:  # the engine (and with it the docker package) is loaded only by whoever connects to it
    from ks_gui.core.places.docker_engine import ContainerRun, Engine, FoundContainer

PHY_REQUIRED_FILES = (
    "params.py",
    "spike_times.npy",
    "spike_templates.npy",
    "templates.npy",
    "amplitudes.npy",
    "channel_map.npy",
    "channel_positions.npy",
)

PromptKind = Literal["email", "password", "one_time_password", "retry"]
_PROMPTS: tuple[tuple[str, PromptKind], ...] = (
    ("Please enter your MathWorks Account email address and press Enter:", "email"),
    ("Please enter your MathWorks Account password and press Enter:", "password"),
    ("one-time password:", "one_time_password"),
    ("Sign-in failed. Would you like to retry? y/n", "retry"),
)
# How often the progress is looked at while the sorter prints nothing (preprocessing's filter loop, for minutes).
_TICK_SECONDS = 1.0
# Exit codes of a process ended by SIGKILL and SIGTERM (a container reports them as 128 + the signal).
KILLED, TERMINATED = 137, 143
# How many of the last lines are kept to explain a failure.
_TAIL_LINES = 400


@dataclass(frozen=True)
class LogLine:
    text: str


@dataclass(frozen=True)
class SignInPrompt:
    """MATLAB waits for an answer on stdin; the UI asks the user and calls SortRun.answer()."""

    kind: PromptKind
    text: str


@dataclass(frozen=True)
class Notice:
    """What the launcher itself says mid-run, in plain words (Docker went away, came back); also in the log."""

    text: str


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    cancelled: bool
    exit_code: int | None
    output: Path
    log_file: Path
    result: Result | None = None
    failure: Failure | None = None
    # The launcher stopped following before the sort ended (Docker did not come back): not an end, the container
    # may be there still; `ks-gui status --attach` or the window's next start finds it.
    interrupted: bool = False

    def summary(self) -> str:
        if self.interrupted:
            return f"Sort interrupted: {self.failure} The log so far is in {self.log_file}"
        if self.cancelled:
            return f"Cancelled. The log is in {self.log_file}"
        if self.succeeded and self.result:
            r = self.result
            return f"Sorted: {r.units} units ({r.good} good), {r.spikes} spikes in {self.output}"
        if self.failure:
            reason = str(self.failure)
        elif self.exit_code == 0:
            reason = "the sorter ended without finishing the phy folder."
        else:
            reason = f"the sorter stopped with exit code {self.exit_code}."
        return f"Sort failed: {reason} The log is in {self.log_file}"


RunEvent = LogLine | ProgressEvent | SignInPrompt | Notice | Outcome


@dataclass
class Preflight:
    image: ImageInfo | None
    problems: list[Problem] = field(default_factory=list)
    environment: kilosort4_env.EnvStatus | None = None  # a local sorter's environment, in place of an image


def preflight(job: SortJob, engine: Engine | None, gpu_request: GpuRequest, gpus: list) -> Preflight:
    """Look up the image, pick the GPU the request and the image call for, and list what stops the job.
    A local sorter needs no engine (None): its environment is checked instead."""
    if job.sorter.runs_locally:
        return _preflight_local(job, gpu_request, gpus)
    assert engine is not None, "a container sorter needs the engine"
    image = engine.image(job.image)
    if gpu_request == "auto" and image is not None and not image.gpu_required and not gpus:
        job.gpu = None
    else:
        job.gpu = choose_gpu(gpu_request, gpus)
    problems = job.problems(image)
    if job.overwrite and not problems:
        problems = _sorting_into(job.output, engine)
    return Preflight(image, problems)


def _sorting_into(output: Path, engine: Engine) -> list[Problem]:
    """--overwrite replaces an earlier sort's results, never those of a sort still running into the folder."""
    if any(found.running and Path(found.output) == output for found in engine.launched_containers()):
        return [Problem("output", f"a sort is still running into {output}: wait for it to end, or cancel it")]
    return []


def _preflight_local(job: SortJob, gpu_request: GpuRequest, gpus: list) -> Preflight:
    """The environment must import kilosort and torch; a GPU is used only when its torch can use one."""
    environment = kilosort4_env.check(thorough=False)  # the driver says so if an import fails after all
    job.gpu = choose_gpu(gpu_request, gpus if environment.cuda or gpu_request != "auto" else [])
    problems = job.problems(None)
    if not environment.ready:
        problems.append(Problem("sorter", environment.problem))
    elif job.gpu is not None and not environment.cuda:
        problems.append(
            Problem(
                "gpu",
                f"the Kilosort 4 environment's torch ({environment.torch}) cannot use the GPU: choose no GPU, "
                "or reinstall it on this machine (ks-gui install kilosort4 --force)",
            )
        )
    return Preflight(None, problems, environment)


def _prompt_kind(text: str) -> PromptKind | None:
    for needle, kind in _PROMPTS:
        if needle in text:
            return kind
    return None


class SortRun:
    def __init__(
        self,
        job: SortJob,
        engine: Engine | None,
        image: ImageInfo | None,
        environment: kilosort4_env.EnvStatus | None = None,
    ) -> None:
        """A container sorter needs the engine and its image; a local one (engine and image None) its
        environment (Preflight.environment)."""
        self.job = job
        self._engine = engine
        self._image = image
        self._environment = environment
        self.log_file = run_log_file(job.job_id)
        self.tracker = Tracker(n_batches=job.n_batches, temp_file=job.temp_file, temp_file_bytes=job.temp_file_bytes)
        self._container: ContainerRun | LocalRun | None = None
        self._cancelled = threading.Event()
        self._detached = threading.Event()
        self._started = datetime.now()
        # How long to wait for Docker when it stops answering mid-run; then the run is called interrupted.
        self.engine_wait_seconds = DEFAULT_WAIT_SECONDS
        self._wake = threading.Event()  # a cancel or detach ends the wait for Docker at once
        self._engine_lost = False  # Docker went away at least once during this run

    @classmethod
    def reattach(cls, engine: Engine, found: FoundContainer) -> SortRun:
        """Follow a container an earlier launcher started (and perhaps did not see end): its job file says what
        it runs, its output is read again from the beginning, its history record is finished when it ends."""
        document = json.loads(job_file(Path(found.output)).read_text(encoding="utf-8"))
        job = job_from_document(document)
        image = engine.image(found.image) or ImageInfo(name=found.image, id="")
        run = cls(job, engine, image)
        run._document = document
        run._container = engine.attach(found.id)
        run._record = history.find(job.job_id) or run._new_record()
        # On record as interrupted, yet its container is there: Docker stopped answering and the launcher gave up
        # waiting (a launcher that died leaves "running"), so a stopped container was stopped with Docker.
        run._engine_lost = run._record.status == "interrupted"
        run._started = datetime.fromisoformat(run._record.started)
        if run._record.log_file:
            run.log_file = Path(run._record.log_file)
        run.log_file.parent.mkdir(parents=True, exist_ok=True)
        return run

    def write_files(self) -> ContainerSpec | None:
        """Write the channel map and the job file into the output folder; the container that reads them
        (None for a local sorter)."""
        job = self.job
        mex_cache = None
        if self._image is not None:
            mex_cache = mex_cache_dir(self._image.short_id)
            mex_cache.mkdir(parents=True, exist_ok=True)
        job.output.mkdir(parents=True, exist_ok=True)
        if job.overwrite:
            remove_earlier_results(job.output)
        if job.temp_dir is not None:
            job.temp_dir.mkdir(parents=True, exist_ok=True)
        chan_map = job.effective_channel_map
        assert chan_map is not None and job.sample_rate is not None, "check problems() first"
        chan_map.write_mat(channel_map_file(job.output), job.sample_rate)
        self._document = job.document(mex_cache)
        write_json_atomically(job_file(job.output), self._document)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        return None if mex_cache is None else spec_for(job, mex_cache)

    def start(self) -> None:
        """Write the job's files, then start its container."""
        spec = self.write_files()
        self._started = datetime.now()
        if spec is None:
            assert self._environment is not None, "a local sorter needs its environment"
            driver = driver_path(KILOSORT4_DRIVER)
            self._container = LocalRun(local_spec_for(self.job, self._environment.python, driver), cwd=self.job.output)
        else:
            assert self._engine is not None
            self._container = self._engine.start(spec)
        self._record = self._new_record()
        history.save(self._record)

    def _new_record(self) -> history.RunRecord:
        return history.RunRecord(
            job_id=self.job.job_id,
            sorter=self.job.sorter.name,
            recording=str(self.job.recording.binary),
            output=str(self.job.output),
            image=self.job.image,
            log_file=str(self.log_file),
            started=self._started.isoformat(timespec="seconds"),
        )

    def events(self) -> Iterator[RunEvent]:
        """Everything the sort says until it ends; the last event is the Outcome."""
        assert self._container is not None, "start() first"
        tail: deque[str] = deque(maxlen=_TAIL_LINES)
        seen = 0  # complete lines relayed: when Docker comes back, the output is read again from its first line
        with self.log_file.open("w", encoding="utf-8") as log:
            while True:
                seen = yield from self._relay(log, tail, skip=seen)
                if self._detached.is_set():
                    return  # the container sorts on; a later launcher reattaches to it
                try:
                    exit_code = self._exit_code()
                    break
                except EngineLostError:
                    pass
                ended = yield from self._wait_for_engine(log)
                if self._detached.is_set():
                    return
                if ended is not None:
                    yield ended
                    return
        try:
            self._container.remove()
        except EngineLostError:  # gone again: the container stays; `ks-gui status --attach` removes it later
            self._note("Docker stopped answering again; the container is left for `ks-gui status --attach`.")
        yield self._finish(exit_code, tail)

    def _relay(self, log: IO[str], tail: deque[str], skip: int) -> Generator[RunEvent, None, int]:
        """The output's lines to the log, the tracker and the caller, but for the first `skip` complete lines
        (relayed before Docker went away). Returns how many complete lines the output has had so far."""
        assert self._container is not None
        count = 0
        for line in self._container.lines(idle_every=_TICK_SECONDS):
            if line.idle:  # quiet output: time or the temp file's size may still move the progress on
                if (event := self.tracker.tick()) is not None:
                    yield event
                continue
            count += line.complete
            if count <= skip and (line.complete or count < skip):
                continue
            log.write(line.text + "\n")
            log.flush()
            tail.append(line.text)
            yield LogLine(line.text)
            if (kind := _prompt_kind(line.text)) is not None:
                yield from self._on_prompt(kind, line.text)
                continue
            if (event := self.tracker.feed(line.text)) is not None:
                yield event
        return max(count, skip)

    def _exit_code(self) -> int:
        """The sorter's exit code. EngineLostError when Docker went away, also when its last act was to stop the
        container (a signal's exit code, and the engine no longer answers)."""
        assert self._container is not None
        exit_code = self._container.wait()
        if (
            exit_code in (KILLED, TERMINATED)
            and not self._cancelled.is_set()
            and self._engine is not None
            and not self._engine.answers()
        ):
            raise EngineLostError("Docker stopped the container on its way out")
        return exit_code

    def _wait_for_engine(self, log: IO[str]) -> Generator[RunEvent, None, Outcome | None]:
        """Docker stopped answering: wait for it (bounded backoff, engine_wait_seconds at most), then follow the
        container again, from its first line. An Outcome when there is nothing to follow: interrupted when Docker
        stays away, failed when it comes back without the container."""
        assert self._engine is not None and self._container is not None
        self._engine_lost = True
        yield self._notice(log, "Docker stopped answering; waiting for it to come back…")
        deadline = time.monotonic() + self.engine_wait_seconds
        container_id = self._container.id
        while True:
            if not wait_until_back(self._engine.answers, deadline, self._wake) or self._detached.is_set():
                return None if self._detached.is_set() else self._interrupted(log)
            try:
                again = self._engine.follow_again(container_id)
                break
            except EngineLostError:  # it went away again at once: look again in a moment, within the same deadline
                if time.monotonic() >= deadline:
                    return self._interrupted(log)
                self._wake.wait(0.5)
        if again is None:
            yield self._notice(log, "Docker answers again, but the sort's container is gone.")
            self._container = None
            return self._finish(None, deque(), gone=True)
        self._container = again
        if again.running:
            yield self._notice(log, "Docker answers again; the sort went on meanwhile, following it again.")
            if self._cancelled.is_set():
                self.cancel()
        else:
            yield self._notice(log, "Docker answers again; the sort's container has stopped.")
        return None

    def _notice(self, log: IO[str], text: str) -> Notice:
        _write_note(log, text)
        return Notice(text)

    def _note(self, text: str) -> None:
        """A line of the launcher's own in the log, once the sort's output is written (the log is closed)."""
        with self.log_file.open("a", encoding="utf-8") as log:
            _write_note(log, text)

    def _interrupted(self, log: IO[str]) -> Outcome:
        """Docker did not come back in time: the run is not over (its container may sort on, or be stopped), but
        this launcher stops following it. The history says interrupted until a launcher finds the container."""
        if self._cancelled.is_set():
            message = "Docker stopped answering, so the sort could not be stopped."
        else:
            message = f"Docker did not come back within {wait_text(self.engine_wait_seconds)}."
        failure = Failure(
            "engine_gone",
            message,
            "When Docker runs again, `ks-gui status --attach` (or opening ks-gui) finds the sort's container and "
            "records how it ended.",
            self.tracker.stage,
        )
        outcome = Outcome(
            False,
            self._cancelled.is_set(),
            None,
            self.job.output,
            self.log_file,
            failure=failure,
            interrupted=True,
        )
        _write_note(log, outcome.summary())
        history.finish(self._record, status="interrupted", summary=outcome.summary())
        return outcome

    def _on_prompt(self, kind: PromptKind, text: str) -> Iterator[RunEvent]:
        if kind == "email" and isinstance(self.job.license, MathWorksAccount):
            self.answer(self.job.license.email)  # the email is in the form; only the password is asked for
            return
        yield SignInPrompt(kind, text)

    def answer(self, text: str) -> None:
        """Answer a prompt on the container's stdin. The answer is never logged."""
        assert self._container is not None
        self._container.send(text + "\n")

    @property
    def can_detach(self) -> bool:
        """Whether the sort runs in a container that may go on without the launcher (it has been created)."""
        return not self.job.sorter.runs_locally and self._container is not None

    def detach(self) -> None:
        """Stop following a container sort and leave it running; events() then ends without an Outcome."""
        if not self.can_detach:
            raise ValueError("only a sort in a container can go on without the launcher")
        self._detached.set()
        self._wake.set()
        self._container.detach()

    def cancel(self) -> None:
        """Stop the container (SIGTERM, then SIGKILL); events() then ends with a cancelled Outcome."""
        self._cancelled.set()
        self._wake.set()
        container = self._container
        if container is not None:
            # Docker away: the wait for it ends now, and stops the container if it is back.
            with contextlib.suppress(EngineLostError):
                container.stop(timeout=10)

    def _stopped_with_engine(self, gone: bool) -> Failure:
        """Docker stopped during the run and took the sort with it (a daemon without --live-restore stops its
        containers on the way out)."""
        return Failure(
            "engine_stopped",
            "Docker stopped during the run; "
            + ("the sort's container is gone." if gone else "the container was stopped with it."),
            "The log so far is kept; sort again.",
            self.tracker.stage,
        )

    def _killed(self, exit_code: int, seen: Failure | None) -> Failure:
        """Ended by a signal nobody in the launcher sent: the system's memory killer, or someone else."""
        if getattr(self._container, "killed_for_memory", lambda: False)():
            return Failure(
                "host_out_of_memory",
                "The computer ran out of memory and the system stopped the sort.",
                "Close other programs, or sort on a machine with more memory.",
                self.tracker.stage,
            )
        if seen is not None and seen.kind == "host_out_of_memory":
            return seen
        how = "killed" if exit_code == KILLED else "stopped"
        return Failure(
            "killed",
            f"The sort was {how} from outside ks-gui (exit code {exit_code}).",
            "Was the container stopped by hand, or the Docker service restarted? Run the sort again.",
            self.tracker.stage,
        )

    def _engine_version(self) -> str | None:
        try:
            return None if self._engine is None else self._engine.version()
        except EngineLostError:
            return None

    def _write_provenance(self, exit_code: int | None, result: Result | None, outcome: str) -> None:
        write_provenance(
            self.job.output,
            Provenance(
                job=self._document,
                image=self._image,
                engine_version=self._engine_version(),
                gpu=self.job.gpu,
                started=self._started,
                ended=datetime.now(),
                exit_code=exit_code,
                result=result,
                log_file=self.log_file,
                environment=None if self._environment is None else self._environment.versions(),
                outcome=outcome,
            ),
        )

    def _finish(self, exit_code: int | None, tail: deque[str], gone: bool = False) -> Outcome:
        """The run's end, on record (history, run.json); `gone`: Docker came back without the container."""
        result = self.tracker.result
        complete = all((self.job.output / name).exists() for name in PHY_REQUIRED_FILES)
        if result is None and exit_code == 0 and complete and self._engine_lost:
            # The sort ended while Docker was away (--live-restore): Docker drops what a container prints while
            # no daemon reads it, the result marker with it. The phy folder says the same.
            result = read_counts(self.job.output)
        # MATLAB's entrypoint can exit 0 without running anything (a missing license file): trust the result.
        succeeded = exit_code == 0 and result is not None and complete and not self._cancelled.is_set()
        failure = (
            None
            if succeeded or self._cancelled.is_set()
            else diagnose(tail, stage=self.tracker.stage, sorter=self.job.sorter.name)
        )
        if gone or (
            self._engine_lost and not succeeded and not self._cancelled.is_set() and exit_code in (KILLED, TERMINATED)
        ):
            failure = self._stopped_with_engine(gone)
        elif not succeeded and not self._cancelled.is_set() and exit_code in (KILLED, TERMINATED):
            failure = self._killed(exit_code, failure)
        try:
            self._write_provenance(
                exit_code, result, "succeeded" if succeeded else "cancelled" if self._cancelled.is_set() else "failed"
            )
        except OSError as err:  # a full or vanished output disk: the log and the history still say what happened
            if failure is None and not succeeded:
                failure = diagnose([str(err)], stage=self.tracker.stage)
            self._note(f"the record of this run could not be written into {self.job.output}: {err}")
        outcome = Outcome(
            succeeded, self._cancelled.is_set(), exit_code, self.job.output, self.log_file, result, failure
        )
        history.finish(
            self._record,
            status="succeeded" if succeeded else "cancelled" if outcome.cancelled else "failed",
            exit_code=exit_code,
            units=result.units if result else None,
            good=result.good if result else None,
            spikes=result.spikes if result else None,
            summary=outcome.summary(),
        )
        return outcome


def _write_note(log: IO[str], text: str) -> None:
    """The launcher's own words in the run's log, told apart from the sorter's by their prefix."""
    log.write(f"ks-gui: {text}\n")
    log.flush()


def job_from_document(document: dict) -> SortJob:
    """The job a job file describes, for a run found again after the launcher restarted. Built from the file alone
    (the recording is not read again: it may be gone), so the progress and the result read as they did."""
    sorter = SORTERS[document["sorter"]]
    n_channels, sample_rate = int(document["n_channels"]), float(document["sample_rate"])
    recording = Recording(
        format="binary",
        binary=Path(document["binary"]),
        size_bytes=int(document["n_samples"]) * n_channels * 2,
        n_channels=n_channels,
        sample_rate=sample_rate,
    )
    output = Path(document["output"])
    temp_folder = Path(document["temp_file"]).parent if document.get("temp_file") else output
    return SortJob(
        recording=recording,
        output=output,
        license=None,
        sorter=sorter,
        image="",
        temp_dir=None if temp_folder == output else temp_folder,
        param_overrides={k: v for k, v in document["params"].items() if k in sorter.params},
        job_id=document["job_id"],
    )
