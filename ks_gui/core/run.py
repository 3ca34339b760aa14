"""One sort, from a checked job to its outcome: write the job file, start it on its place, follow its output.

Synchronous on purpose: `SortRun.events()` yields what happens, and the CLI or a Qt worker thread consumes it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from ks_gui.core.claim import claim_output, give_back
from ks_gui.core.events import LogLine, Notice, Outcome, PromptKind, RunEvent, SignInPrompt
from ks_gui.core.ground.atomic import write_json_atomically
from ks_gui.core.ground.contract import channel_map_file, job_file
from ks_gui.core.ground.locations import run_log_file
from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.license import MathWorksAccount
from ks_gui.core.places.base import FoundRun, Handle, Place, Readiness
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.outage import DEFAULT_WAIT_SECONDS, EngineLostError, wait_text, wait_until_back
from ks_gui.core.results import history, stage_times
from ks_gui.core.results.phy_folder import SORT_FILES, read_counts, remove_earlier_results
from ks_gui.core.results.provenance import Provenance, write_provenance
from ks_gui.core.sorters.diagnosis import Failure, diagnose
from ks_gui.core.sorters.progress import Result, Tracker

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


def _prompt_kind(text: str) -> PromptKind | None:
    for needle, kind in _PROMPTS:
        if needle in text:
            return kind
    return None


# Failures that say who sent the signal (the system's memory killer, a cluster's time limit): kept as diagnosed.
_SIGNAL_EXPLAINED = ("host_out_of_memory", "time_limit", "cluster_out_of_memory", "preempted", "node_failure")


class SortRun:
    def __init__(self, job: SortJob, place: Place, readiness: Readiness) -> None:
        """A checked job (sorting.check) on its place; start() or reattach() gives it a handle to follow."""
        self.job = job
        self.place = place
        self._readiness = readiness
        self.log_file = run_log_file(job.job_id)
        self.tracker = self._new_tracker()
        self._learns = False  # a run followed from its start records its stage times (not one reattached to)
        self._handle: Handle | None = None
        self._cancelled = threading.Event()
        self._detached = threading.Event()
        self._started = datetime.now()
        # How long to wait for the place's service (Docker) when it stops answering mid-run; then the run is
        # called interrupted.
        self.engine_wait_seconds = DEFAULT_WAIT_SECONDS
        self._wake = threading.Event()  # a cancel or detach ends the wait for Docker at once
        self._engine_lost = False  # Docker went away at least once during this run
        self._made_run_folder = False  # start() made <output>/.ks-gui/ (removed again when the place refuses)

    @classmethod
    def reattach(cls, place: Place, found: FoundRun) -> SortRun:
        """Follow a sort an earlier launcher started (and perhaps did not see end): its job file says what it runs,
        its output is read again from the beginning, its history record is finished when it ends."""
        document = json.loads(job_file(Path(found.output)).read_text(encoding="utf-8"))
        job = SortJob.from_document(document, place.path_map)
        image = place.image_info(found.image) or ImageInfo(name=found.image, id="")
        run = cls(job, place, Readiness(image=image if place.form == "container" else None))
        run._document = document
        run._handle = place.follow(found)
        run._record = history.find(job.job_id) or run._new_record()
        # On record as interrupted, yet its container is there: Docker stopped answering and the launcher gave up
        # waiting (a launcher that died leaves "running"), so a stopped container was stopped with Docker.
        run._engine_lost = run._record.status == "interrupted"
        run._started = datetime.fromisoformat(run._record.started)
        if run._record.log_file:
            run.log_file = Path(run._record.log_file)
        run.log_file.parent.mkdir(parents=True, exist_ok=True)
        return run

    def write_files(self) -> None:
        """Write the channel map and the job file into the output folder."""
        job = self.job
        self._made_run_folder = not job_file(job.output).parent.exists()
        # Made where the sorter runs (on a server: by its account, which then owns what the sorter writes).
        self.place.make_folders([job_file(job.output).parent, *([job.temp_dir] if job.temp_dir else [])])
        # The folder becomes this job's in one step, before anything in it is written or removed.
        claim_output(job.output, job.job_id, self.place.name, job.overwrite, self._still_running)
        if job.overwrite:
            remove_earlier_results(job.output)
        chan_map = job.effective_channel_map
        assert chan_map is not None and job.sample_rate is not None, "check problems() first"
        chan_map.write_mat(channel_map_file(job.output), job.sample_rate)
        self._document = job.document(self._readiness.mex_cache, self.place.path_map)
        # Readable by others: on a server, the sorter runs as the server's account (no secret is in the job file).
        write_json_atomically(job_file(job.output), self._document, mode=0o644)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)

    def _still_running(self, job_id: str) -> bool:
        """Whether the sort `job_id` still runs on this run's place (it claimed the output folder before)."""
        return any(found.running and found.job_id == job_id for found in self.place.found_runs())

    def start(self) -> None:
        """Write the job's files, then start it on its place. ClaimError (a PlaceError) when another sort has the
        output folder."""
        self.write_files()
        self._started = datetime.now()
        self.tracker = self._new_tracker()  # its clock starts with the sort
        self._learns = True
        try:
            self._handle = self.place.start(launch_for(self.job, self.place.path_map), self._readiness)
        except BaseException:
            # Nothing started: the folder is left as it was found, free for the next sort.
            give_back(self.job.output, whole_run_folder=self._made_run_folder)
            raise
        self._record = self._new_record()
        history.save(self._record)  # at submission: a cluster job's id is on record from the start
        # And in the output folder's run.json ("running": no end yet). Not written: the sort is started all the
        # same, and its end writes run.json again or says why it could not.
        with contextlib.suppress(OSError):
            self._write_provenance(None, None, "running")

    @property
    def place_handle(self) -> str:
        """The run as its place names it ("SLURM job 12 on node7")."""
        return self._handle.describe() if self._handle is not None else ""

    def sort_kind(self) -> stage_times.SortKind:
        gpu = self.job.gpu
        return stage_times.SortKind(self.job.sorter.name, self.place.name, gpu.name if gpu is not None else "cpu")

    def recording_size(self) -> float:
        """Channel-seconds of the part sorted (duration x channels): what the stages' times grow with."""
        job = self.job
        if not job.n_samples or not job.sample_rate or not job.n_channels:
            return 0.0
        length = job.n_samples / job.sample_rate
        start, end = job.sorter.time_range(job.params)
        end = length if end is None else min(end, length)
        return max(end - max(start, 0.0), 0.0) * job.n_channels

    def _new_tracker(self) -> Tracker:
        job = self.job
        kind, size = self.sort_kind(), self.recording_size()
        predicted, learned = stage_times.expected_seconds(job.sorter, kind, size)
        return Tracker(
            n_batches=job.n_batches,
            temp_file=job.temp_file,
            temp_file_bytes=job.temp_file_bytes,
            sorter=job.sorter,
            predicted=predicted,
            learned=learned,
            fixed_shares=stage_times.fixed_shares(job.sorter, kind, size),
        )

    def _learn(self) -> None:
        """A finished sort's stage times, for the next sort of its kind's estimate."""
        if not self._learns:
            return
        entry = stage_times.StageRecord(self.sort_kind(), self.recording_size(), self.tracker.stage_seconds())
        try:
            stage_times.record(entry)
        except OSError as err:  # a full or read-only data folder: only later estimates suffer
            self._note(f"the stage times of this run could not be kept for later estimates: {err}")

    def _new_record(self) -> history.RunRecord:
        kept = self.job.record()
        return history.RunRecord(
            **{key: kept[key] for key in ("job_id", "sorter", "recording", "output")},
            place=self.place.name,
            image=kept["image"] if self.place.form == "container" else "",
            log_file=str(self.log_file),
            started=self._started.isoformat(timespec="seconds"),
            handle=self.place_handle,
        )

    def events(self) -> Iterator[RunEvent]:
        """Everything the sort says until it ends; the last event is the Outcome."""
        assert self._handle is not None, "start() first"
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
            self._handle.remove()
        except EngineLostError:  # gone again: the container stays; `ks-gui status --attach` removes it later
            self._note(f"{self._service} stopped answering again; the container is left for `ks-gui status --attach`.")
        yield self._finish(exit_code, tail)

    def _relay(self, log: IO[str], tail: deque[str], skip: int) -> Generator[RunEvent, None, int]:
        """The output's lines to the log, the tracker and the caller, but for the first `skip` complete lines
        (relayed before Docker went away). Returns how many complete lines the output has had so far."""
        assert self._handle is not None
        count = 0
        for line in self._handle.lines(idle_every=_TICK_SECONDS):
            if line.notice:
                yield self._notice(log, line.notice)
                continue
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
        assert self._handle is not None
        if self._handle.output_lost():
            raise EngineLostError("the connection to the sort's output broke; it runs on")
        exit_code = self._handle.wait()
        if (
            exit_code in (KILLED, TERMINATED)
            and not self._cancelled.is_set()
            and self.place.service
            and not self.place.answers()
        ):
            raise EngineLostError("Docker stopped the container on its way out")
        return exit_code

    def _wait_for_engine(self, log: IO[str]) -> Generator[RunEvent, None, Outcome | None]:
        """Docker stopped answering: wait for it (bounded backoff, engine_wait_seconds at most), then follow the
        container again, from its first line. An Outcome when there is nothing to follow: interrupted when Docker
        stays away, failed when it comes back without the container."""
        assert self._handle is not None
        self._engine_lost = True
        yield self._notice(log, f"{self._service} stopped answering; waiting for it to come back…")
        deadline = time.monotonic() + self.engine_wait_seconds
        container_id = self._handle.id
        while True:
            if not wait_until_back(self.place.answers, deadline, self._wake) or self._detached.is_set():
                return None if self._detached.is_set() else self._interrupted(log)
            try:
                again = self.place.follow_again(container_id)
                break
            except EngineLostError:  # it went away again at once: look again in a moment, within the same deadline
                if time.monotonic() >= deadline:
                    return self._interrupted(log)
                self._wake.wait(0.5)
        if again is None:
            yield self._notice(log, f"{self._service} answers again, but the sort's container is gone.")
            self._handle = None
            return self._finish(None, deque(), gone=True)
        self._handle = again
        if again.running:
            yield self._notice(log, f"{self._service} answers again; the sort went on meanwhile, following it again.")
            if self._cancelled.is_set():
                self.cancel()
        else:
            yield self._notice(log, f"{self._service} answers again; the sort's container has stopped.")
        return None

    @property
    def _service(self) -> str:
        """What the run depends on, in words: "Docker", or a server's Docker."""
        return self.place.service or "Docker"

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
            message = f"{self._service} stopped answering, so the sort could not be stopped."
        else:
            message = f"{self._service} did not come back within {wait_text(self.engine_wait_seconds)}."
        failure = Failure(
            "engine_gone",
            message,
            f"When {self._service} runs again, `ks-gui status --attach` (or opening ks-gui) finds the sort's "
            "container and records how it ended.",
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
        assert self._handle is not None
        self._handle.send(text + "\n")

    @property
    def can_detach(self) -> bool:
        """Whether the sort runs in a container that may go on without the launcher (it has been created)."""
        return self.place.runs_detached and self._handle is not None

    def detach(self) -> None:
        """Stop following a container sort and leave it running; events() then ends without an Outcome."""
        if not self.can_detach:
            raise ValueError("only a sort in a container can go on without the launcher")
        self._detached.set()
        self._wake.set()
        assert self._handle is not None  # can_detach says so
        self._handle.detach()

    def cancel(self) -> None:
        """Stop the container (SIGTERM, then SIGKILL); events() then ends with a cancelled Outcome."""
        self._cancelled.set()
        self._wake.set()
        container = self._handle
        if container is not None:
            # Docker away: the wait for it ends now, and stops the container if it is back.
            with contextlib.suppress(EngineLostError):
                container.stop(timeout=10)

    def _stopped_with_engine(self, gone: bool) -> Failure:
        """Docker stopped during the run and took the sort with it (a daemon without --live-restore stops its
        containers on the way out)."""
        return Failure(
            "engine_stopped",
            f"{self._service} stopped during the run; "
            + ("the sort's container is gone." if gone else "the container was stopped with it."),
            "The log so far is kept; sort again.",
            self.tracker.stage,
        )

    def _killed(self, exit_code: int, seen: Failure | None) -> Failure:
        """Ended by a signal nobody in the launcher sent: the system's memory killer, or someone else."""
        if self._handle is not None and self._handle.killed_for_memory():
            return Failure(
                "host_out_of_memory",
                "The computer ran out of memory and the system stopped the sort.",
                "Close other programs, or sort on a machine with more memory.",
                self.tracker.stage,
            )
        if seen is not None and seen.kind in _SIGNAL_EXPLAINED:
            return seen
        how = "killed" if exit_code == KILLED else "stopped"
        hint = (
            "Was its process stopped by hand (kill), or the computer shutting down? Run the sort again."
            if self.place.form == "python"
            else "Was the container stopped by hand, or the Docker service restarted? Run the sort again."
        )
        return Failure(
            "killed", f"The sort was {how} from outside ks-gui (exit code {exit_code}).", hint, self.tracker.stage
        )

    def _write_provenance(self, exit_code: int | None, result: Result | None, outcome: str) -> None:
        """run.json: "running" at submission (no end yet), then how it ended."""
        write_provenance(
            self.job.output,
            Provenance(
                job=self._document,
                image=None if self._readiness.image is None else self._readiness.image.record(),
                engine_version=None if outcome == "running" else self.place.version(),  # a quick submission
                gpu=None if self.job.gpu is None else self.job.gpu.record(),
                started=self._started,
                ended=None if outcome == "running" else datetime.now(),
                exit_code=exit_code,
                result=result,
                log_file=self.log_file,
                environment=self._readiness.environment,
                outcome=outcome,
                place=self.place.name,
                handle=self.place_handle,
            ),
        )

    def _keep_numbers(self) -> None:
        """The unit table and drift map beside the results (a damaged folder is said in the log, not a failure)."""
        from ks_gui.core.results.phy_folder import PhyFolderError
        from ks_gui.core.results.units import keep_result_numbers

        try:
            keep_result_numbers(self.job.output)
        except (PhyFolderError, OSError, ValueError) as err:
            self._note(f"the unit table and drift map could not be kept: {err}")

    def _finish(self, exit_code: int | None, tail: deque[str], gone: bool = False) -> Outcome:
        """The run's end, on record (history, run.json); `gone`: Docker came back without the container."""
        result = self.tracker.result
        complete = all((self.job.output / name).exists() for name in SORT_FILES)
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
        if succeeded:
            self._keep_numbers()
        try:
            self._write_provenance(
                exit_code, result, "succeeded" if succeeded else "cancelled" if self._cancelled.is_set() else "failed"
            )
        except OSError as err:  # a full or vanished output disk: the log and the history still say what happened
            if failure is None and not succeeded:
                failure = diagnose([str(err)], stage=self.tracker.stage, sorter=self.job.sorter.name)
            self._note(f"the record of this run could not be written into {self.job.output}: {err}")
        outcome = Outcome(
            succeeded,
            self._cancelled.is_set(),
            exit_code,
            self.job.output,
            self.log_file,
            result,
            failure,
            quality=self.tracker.quality if succeeded else None,
        )
        if succeeded:
            self._learn()
        history.finish(
            self._record,
            status="succeeded" if succeeded else "cancelled" if outcome.cancelled else "failed",
            exit_code=exit_code,
            units=result.units if result else None,
            good=result.good if result else None,
            spikes=result.spikes if result else None,
            summary=outcome.summary(),
            handle=self.place_handle or self._record.handle,  # by now a cluster job names its node
        )
        return outcome


def _write_note(log: IO[str], text: str) -> None:
    """The launcher's own words in the run's log, told apart from the sorter's by their prefix."""
    log.write(f"ks-gui: {text}\n")
    log.flush()
