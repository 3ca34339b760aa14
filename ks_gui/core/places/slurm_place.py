"""A SLURM cluster as a place: each sort one batch job, followed through its output file on the shared storage.

What runs on the node is the cluster's choice (a NodeRunner): Kilosort 4 in a Python environment on shared storage,
a container through Apptainer, or Docker on the node. The cluster is asked on this computer (a login node) or through
SSH on one (slurm+ssh://me@login); the output file is read here, through the shared storage (and the path map).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ks_gui.core.ground.contract import RUN_FOLDER
from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Launch, PlaceError, Readiness, RunOnRecord, SeesLocalFiles
from ks_gui.core.places.container_spec import MEX_CACHE_TARGET
from ks_gui.core.places.gpus import Gpu
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.node_runners import NodeRunner
from ks_gui.core.places.output_lines import OutputLine, OutputReader
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.places.shell import Shell
from ks_gui.core.places.slurm import JOB_NAME_PREFIX, JobState, Slurm, SlurmOptions, batch_script

SCRIPT_NAME = "job.sbatch"
POLL_SECONDS = 2.0  # how often SLURM is asked about a job while its output is quiet
_READ_SIZE = 65536


def output_file(output: Path, job: str) -> Path:
    return output / RUN_FOLDER / f"slurm-{job}.out"


class SlurmPlace(SeesLocalFiles):
    kind = PLACE_KINDS["slurm"]
    runs_detached = True  # a batch job runs on when the launcher closes; found again by its name
    service = "SLURM"

    def __init__(
        self, name: str, shell: Shell, runner: NodeRunner, options: SlurmOptions, path_map: PathMap | None = None
    ) -> None:
        self.name = name
        self.title = "SLURM cluster" if name == "slurm" else f"{name.removeprefix('slurm+ssh://')} (SLURM)"
        self.runner = runner
        self.form = runner.form
        self.options = options
        self.path_map = path_map or PathMap()
        self.slurm = Slurm(shell, "the login node" if name != "slurm" else "this computer")

    def make_folders(self, folders: list[Path]) -> None:
        """Made by the cluster's account (through SSH, the login node's), which then owns what the job writes; a
        container's job also gets a folder for its compiled mex files beside its job file."""
        if self.form == "container" and folders:
            folders = [*folders, folders[0] / "mex"]
        paths = [self.path_map.to_server(str(folder)) for folder in folders]
        done = self.slurm.shell.run(["mkdir", "-p", "--", *paths])
        if done.returncode != 0:
            raise PlaceError(f"cannot make {', '.join(paths)} on the cluster: {done.stderr.strip()}")

    def gpus(self) -> list[Gpu]:
        return []  # SLURM gives each job its GPU (--gres): nothing is chosen here

    def readiness(self, image: str, thorough: bool = False) -> Readiness:
        # An image's labels are read on the node, not here (the SIF or the node's Docker): not checked before.
        # The cluster answers (SSH logs in, SLURM's commands run: a PlaceError in words if not) and has the partition.
        partitions = self.slurm.partitions()
        problems = []
        if self.options.partition and self.options.partition not in partitions:
            problems.append(f"the cluster has no partition {self.options.partition} (it has {', '.join(partitions)})")
        problems += self.runner.problems(self.slurm.shell, image)
        # A container compiles its mex files into the job's own folder (kept with the results, not between jobs).
        mex_cache = Path(MEX_CACHE_TARGET) if self.form == "container" else None
        return Readiness(
            problems=tuple(("place", p) for p in problems), environment=self.runner.record(), mex_cache=mex_cache
        )

    def launch_problems(self, launch: Launch) -> list[tuple[str, str]]:
        if launch.secret_environment:
            return [("license", "a batch token cannot go to a cluster job without being written to a file: use a "
                     "license server or a license file on the cluster")]  # fmt: skip
        return []

    def _script(self, launch: Launch, readiness: Readiness) -> str:
        there = self.path_map.to_server
        output = there(str(launch.output))
        node = self.runner.command(launch, self.path_map, readiness)
        environment = dict(node.environment)
        options = replace(self.options, gpus=0) if launch.cpu_only else self.options
        if not options.gpus:
            environment["CUDA_VISIBLE_DEVICES"] = ""  # no GPU asked: none used, even on a GPU node
        return batch_script(
            launch.job_id,
            output,
            f"{output}/{RUN_FOLDER}/slurm-%j.out",
            options,
            environment,
            node.command,
            node.preamble,
        )

    def plan(self, launch: Launch, readiness: Readiness) -> tuple[dict, str]:
        script = self._script(launch, readiness)
        path = self.path_map.to_server(str(launch.output / RUN_FOLDER / SCRIPT_NAME))
        return {"sbatch_script": script, "runner": self.runner.describe()}, f"sbatch --parsable {path}"

    def start(self, launch: Launch, readiness: Readiness) -> SlurmRun:
        folder = launch.output / RUN_FOLDER
        self.runner.prepare(folder)
        script = folder / SCRIPT_NAME
        script.write_text(self._script(launch, readiness))
        job = self.slurm.submit(self.path_map.to_server(str(script)))
        return SlurmRun(self.slurm, job, output_file(launch.output, job))

    def found_runs(self) -> list[FoundRun]:
        return [
            FoundRun(
                id=job.job,
                job_id=job.name.removeprefix(JOB_NAME_PREFIX),
                output=self.path_map.to_local(job.workdir),
                running=True,
                image="",
                place=self.name,
            )
            for job in self.slurm.my_jobs()
        ]

    def ended_unseen(self, runs: list[RunOnRecord]) -> list[FoundRun]:
        ended = []
        for run in runs:
            job = run.handle.split()[2] if run.handle.startswith("SLURM job ") else ""  # SlurmRun.describe()
            if job and (found := self.found_ended(job, run.job_id, run.output)) is not None:
                ended.append(found)
        return ended

    def found_ended(self, job: str, job_id: str, output: str) -> FoundRun | None:
        """A job on record (`job_id` is ks-gui's id) that squeue no longer lists: it ended while nobody followed it.
        SLURM forgets an ended job after MinJobAge (300 s by default) where no accounting keeps it: then its output
        file, if there, says how it ended (SlurmRun.wait reads it)."""
        state = self.slurm.state(job)
        if state is None and not output_file(Path(output), job).is_file():
            return None  # nothing says the job ever ran
        if state is not None and not state.ended:
            return None
        return FoundRun(job, job_id, output, False, "", place=self.name)

    def follow(self, found: FoundRun) -> SlurmRun:
        return SlurmRun(self.slurm, found.id, output_file(Path(found.output), found.id))

    def follow_again(self, handle_id: str) -> None:
        return None  # nothing between here and the job goes away: its output file is read to the end

    def image_info(self, name: str) -> ImageInfo | None:
        return ImageInfo(name=name, id="") if name else None

    def answers(self) -> bool:
        try:
            return self.slurm.shell.run(["squeue", "--me", "--noheader"], timeout=15).returncode == 0
        except PlaceError:
            return False

    def version(self) -> str | None:
        try:
            done = self.slurm.shell.run(["sinfo", "--version"], timeout=15)
        except PlaceError:
            return None
        return done.stdout.strip() or None


class SlurmRun:
    """A submitted batch job: its output file read as it grows, its state asked from SLURM while it is quiet."""

    def __init__(self, slurm: Slurm, job: str, output: Path) -> None:
        self._slurm = slurm
        self._job = job
        self._output = output
        self._state: JobState | None = None
        self._said_waiting = ""
        self._detached = threading.Event()
        self._reader = OutputReader(self._chunks(), name=f"slurm-output-{job}")

    @property
    def id(self) -> str:
        return self._job

    @property
    def running(self) -> bool:
        return self._state is None or not self._state.ended

    @property
    def state(self) -> JobState | None:
        return self._state

    def _ask(self) -> JobState | None:
        state = self._slurm.state(self._job)
        if state is not None:
            self._state = state
        return state

    def _chunks(self) -> Iterator[bytes]:
        """The output file's bytes as they come; it ends once SLURM says the job ended and the file is read."""
        position, asked = 0, 0.0
        while not self._detached.is_set():
            data = b""
            if self._output.exists():
                with self._output.open("rb") as handle:
                    handle.seek(position)
                    data = handle.read(_READ_SIZE)
            if data:
                position += len(data)
                yield data
                continue
            if time.monotonic() - asked >= POLL_SECONDS:
                asked = time.monotonic()
                state = self._ask()
                if state is None or state.ended:
                    if not self._output.exists() or self._output.stat().st_size <= position:
                        return
                    continue
            time.sleep(0.2)

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        started = False  # once the sorter prints, the job no longer waits
        for line in self._reader.lines(quiet_after, idle_every):
            started = started or not line.idle
            state = self._state
            if (
                line.idle
                and not started
                and state is not None
                and state.waiting
                and state.reason not in ("None", self._said_waiting)
            ):
                self._said_waiting = state.reason
                yield OutputLine(
                    "", complete=False, idle=True, notice=f"Waiting in SLURM's queue: {state.waiting_words()}."
                )
                continue
            yield line

    def send(self, text: str) -> None:
        raise RuntimeError("a batch job has no stdin")

    def wait(self, timeout: float | None = None) -> int:
        """The job's exit code once it ended (a signal's as 128 + N). SLURM's state says what ended it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self._ask()
            if state is None:  # SLURM forgot it (ended long ago): the output says whether the sort got to its end
                return 0 if _ended_well(self._output) else 1
            if state.ended:
                if state.signal:
                    return 128 + state.signal
                return state.exit_code or (0 if state.state == "COMPLETED" else 1)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"SLURM job {self._job} still runs")
            time.sleep(POLL_SECONDS)

    def stop(self, timeout: int = 10) -> None:
        """scancel: SIGTERM to the batch script first, then SLURM's own end after `timeout` seconds (at once for a
        job still waiting: nothing runs that could end cleanly)."""
        state = self._ask()
        if state is None or state.ended:
            return
        self._slurm.cancel(self._job, hard=state.waiting)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._ask()
            if state is None or state.ended:
                return
            time.sleep(0.5)
        self._slurm.cancel(self._job, hard=True)

    def detach(self) -> None:
        self._detached.set()  # the job runs on; a later launcher follows its output file again

    def remove(self) -> None:
        self._detached.set()  # the output file stays: it is the sort's log on the cluster

    def killed_for_memory(self) -> bool:
        return False  # a job over its own --mem, not this computer out of memory: its output file says so

    def describe(self) -> str:
        node = self._state.node if self._state is not None else ""
        return f"SLURM job {self._job}" + (f" on {node}" if node else "")

    def output_lost(self) -> bool:
        return False  # the file stays where it is


def _ended_well(output: Path) -> bool:
    try:
        with output.open("rb") as handle:
            handle.seek(max(0, output.stat().st_size - 4096))
            return b"[ks-gui] stage done" in handle.read()
    except OSError:
        return False
