"""SLURM as the plain commands a login node has: the batch script ks-gui writes (readable, re-submittable by hand),
`sbatch --parsable`, `squeue`, `scontrol show job`, `scancel`. No scheduler library: these commands are what every
cluster has, and over SSH they are all a workstation can reach."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ks_gui.core.places.base import PlaceError
from ks_gui.core.places.shell import Shell

JOB_NAME_PREFIX = "ks-gui-"  # a job's name is this and the ks-gui job id: how earlier jobs are found again
# States of a job that has not ended (squeue/scontrol's words).
WAITING_STATES = ("PENDING", "CONFIGURING", "REQUEUED", "RESV_DEL_HOLD", "REQUEUE_HOLD", "SUSPENDED")
RUNNING_STATES = ("RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", *WAITING_STATES)
# Why a job waits, in words (squeue's %r); others are shown as SLURM says them.
WAIT_REASONS = {
    "Priority": "other jobs come first (priority)",
    "Resources": "waiting for a free node with what it asks for (resources)",
    "QOSMaxJobsPerUserLimit": "you have as many jobs running as your QoS allows",
    "AssocMaxJobsLimit": "your account has as many jobs running as it may",
    "ReqNodeNotAvail": "the nodes it asks for are not available",
    "PartitionTimeLimit": "its time limit is longer than the partition allows",
    "BeginTime": "its start time has not come",
    "Dependency": "it waits for another job",
    "None": "about to start",
}


_TIME = re.compile(r"^(?:\d+-)?\d+(?::\d+){0,2}$|^(?i:unlimited|infinite)$")
_MEMORY = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_PARTITIONS = re.compile(r"^[A-Za-z0-9_.-]+(?:,[A-Za-z0-9_.-]+)*$")


def _directive_problem(line: str) -> str | None:
    """Why `line` (an --sbatch value) is not one #SBATCH directive, or None."""
    if any(char in line for char in "\r\n\0"):
        return f"{line!r} holds a line end: give one #SBATCH option per --sbatch"
    text = line.strip().removeprefix("#SBATCH").strip()
    try:
        words = shlex.split(text)
    except ValueError:
        words = []
    one = len(words) == 1 or (len(words) == 2 and "=" not in words[0] and not words[1].startswith("-"))
    if not words or not words[0].startswith("-") or not one or "#" in words[0]:
        return f"{line!r} is not one #SBATCH option (such as --constraint=a100)"
    return None


@dataclass(frozen=True)
class SlurmOptions:
    """What each job asks of the cluster (remembered per cluster in the window). Empty means the cluster's default."""

    partition: str = ""
    time: str = ""  # e.g. 4:00:00
    memory: str = ""  # e.g. 64G
    cpus: int = 0
    gpus: int = 1  # --gres=gpu:N; 0 asks for none (a CPU sort)
    account: str = ""
    qos: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)  # more #SBATCH lines, as the user wrote them

    def sbatch_lines(self) -> list[str]:
        lines = []
        for flag, value in (
            ("--partition", self.partition),
            ("--time", self.time),
            ("--mem", self.memory),
            ("--cpus-per-task", str(self.cpus) if self.cpus else ""),
            ("--gres", f"gpu:{self.gpus}" if self.gpus else ""),
            ("--account", self.account),
            ("--qos", self.qos),
        ):
            if value:
                lines.append(f"#SBATCH {flag}={value}")
        lines += [line if line.startswith("#SBATCH") else f"#SBATCH {line}" for line in self.extra if line.strip()]
        return lines

    def problems(self) -> list[tuple[str, str]]:
        """What SLURM would refuse, or what would write more than the one #SBATCH line each option makes: (the
        command line's option, a sentence). Checked before a job is submitted and before the options are kept."""
        found = []
        if self.time and not _TIME.match(self.time):
            found.append(("--time", f"{self.time!r} is not a SLURM time limit (4:00:00, 90, 2-12:00:00)"))
        if self.memory and not _MEMORY.match(self.memory):
            found.append(("--mem", f"{self.memory!r} is not an amount of memory (64G, 8000M)"))
        for option, number, what in (("--cpus", self.cpus, "CPUs"), ("--gpus-per-job", self.gpus, "GPUs")):
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                found.append((option, f"{number!r} is not a number of {what}"))
        for option, name, pattern in (
            ("--partition", self.partition, _PARTITIONS),
            ("--account", self.account, _NAME),
            ("--qos", self.qos, _NAME),
        ):
            if name and not pattern.match(name):
                found.append((option, f"{name!r} is not a SLURM name (letters, digits, '-', '_' and '.')"))
        found += [("--sbatch", problem) for line in self.extra if (problem := _directive_problem(line))]
        return found

    def to_json(self) -> dict:
        return {**self.__dict__, "extra": list(self.extra)}

    @classmethod
    def from_json(cls, document: dict) -> SlurmOptions:
        known = {key: document[key] for key in cls.__dataclass_fields__ if key in document}
        return cls(**{**known, "extra": tuple(known.get("extra", ()))})


def batch_script(
    job_id: str,
    workdir: str,
    output_file: str,
    options: SlurmOptions,
    environment: dict[str, str],
    command: list[str],
    preamble: tuple[str, ...] = (),
) -> str:
    """The batch script of one sort: SLURM's requests, the output (stdout and stderr together, unbuffered) into a
    file the launcher follows, the variables, the command."""
    lines = [
        "#!/bin/bash",
        f"# ks-gui sort {job_id}: written by ks-gui; `sbatch` this file to run the same sort again by hand.",
        f"#SBATCH --job-name={JOB_NAME_PREFIX}{job_id}",
        f"#SBATCH --chdir={workdir}",
        f"#SBATCH --output={output_file}",
        *options.sbatch_lines(),
        "",
        "export PYTHONUNBUFFERED=1",
        *(f"export {key}={shlex.quote(value)}" for key, value in sorted(environment.items())),
        *preamble,
        "",
        f"exec {shlex.join(command)}",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class JobState:
    """What `scontrol show job` says of a job (None fields: it did not say)."""

    job: str
    state: str  # RUNNING, PENDING, COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED, NODE_FAIL, PREEMPTED…
    reason: str = ""
    exit_code: int | None = None
    signal: int | None = None
    node: str = ""
    name: str = ""
    workdir: str = ""

    @property
    def ended(self) -> bool:
        return self.state not in RUNNING_STATES

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES

    def waiting_words(self) -> str:
        return WAIT_REASONS.get(self.reason, self.reason or "waiting")


def parse_scontrol(text: str) -> JobState | None:
    """`scontrol show job -o ID` (one line of KEY=VALUE words); None when it names no job."""
    fields = dict(re.findall(r"(\w+)=(\S*)", text))
    if "JobId" not in fields:
        return None
    exit_code = signal = None
    if match := re.fullmatch(r"(\d+):(\d+)", fields.get("ExitCode", "")):
        exit_code, signal = int(match.group(1)), int(match.group(2))
    return JobState(
        job=fields["JobId"],
        state=fields.get("JobState", ""),
        reason=fields.get("Reason", ""),
        exit_code=exit_code,
        signal=signal,
        node="" if fields.get("NodeList") in (None, "(null)") else fields["NodeList"],
        name=fields.get("JobName", ""),
        workdir=fields.get("WorkDir", ""),
    )


# What `sacct` is asked of one job: the allocation's own line (-X), no header, fields split by |.
SACCT_FIELDS = ("JobID", "JobName", "State", "ExitCode", "NodeList", "WorkDir")


def parse_sacct(text: str) -> JobState | None:
    """`sacct -X -n -P -o SACCT_FIELDS -j ID`: the job's line; None when it names no job. sacct adds who cancelled
    ("CANCELLED by 1000"): only the state's first word is kept."""
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) != len(SACCT_FIELDS) or not parts[0]:
            continue
        job, name, state, exit_code, node, workdir = parts
        match = re.fullmatch(r"(\d+):(\d+)", exit_code)
        return JobState(
            job=job,
            state=state.split()[0] if state else "",
            exit_code=int(match.group(1)) if match else None,
            signal=int(match.group(2)) if match else None,
            node="" if node in ("", "None assigned") else node,
            name=name,
            workdir=workdir,
        )
    return None


class Slurm:
    """The cluster's commands, run where the cluster is reached (this computer, or a login node over SSH)."""

    def __init__(self, shell: Shell, where: str = "this computer") -> None:
        self.shell = shell
        self.where = where

    def _run(self, command: list[str], stdin: str | None = None):
        done = self.shell.run(command, stdin=stdin)
        if done.returncode == 127 or "command not found" in done.stderr:
            raise PlaceError(f"{command[0]} is not on {self.where}: is SLURM installed there (and on PATH)?")
        return done

    def submit(self, script_path: str) -> str:
        """The job id of the submitted script; PlaceError with SLURM's own words when it refuses."""
        done = self._run(["sbatch", "--parsable", script_path])
        if done.returncode != 0:
            said = done.stderr.strip().removeprefix("sbatch: error: ").splitlines()
            first = said[0] if said else f"sbatch exit code {done.returncode}"
            if "Requested node configuration is not available" in first or "Invalid generic resource" in first:
                first += " (does the partition have GPUs? choose a GPU partition with --partition, or --gpus-per-job 0)"
            raise PlaceError(f"SLURM refused the job: {first}")
        return done.stdout.strip().split(";")[0]

    def state(self, job: str) -> JobState | None:
        """The job's state: scontrol while the controller keeps it, then sacct where the cluster keeps accounting;
        None when neither knows it (ended longer ago than MinJobAge, and no accounting)."""
        done = self._run(["scontrol", "show", "job", "-o", job])
        if done.returncode == 0 and (state := parse_scontrol(done.stdout)) is not None:
            return state
        try:
            done = self._run(["sacct", "-X", "-n", "-P", "-o", ",".join(SACCT_FIELDS), "-j", job])
        except PlaceError:  # no sacct where scontrol is: no accounting to ask
            return None
        return parse_sacct(done.stdout) if done.returncode == 0 else None  # rc 1: "accounting storage is disabled"

    def my_jobs(self) -> list[JobState]:
        """This user's jobs that ks-gui submitted and that have not ended (squeue)."""
        done = self._run(["squeue", "--me", "--noheader", "--format=%i|%j|%T|%r|%Z|%N"])
        jobs = []
        for line in done.stdout.splitlines():
            parts = line.split("|")
            if len(parts) == 6 and parts[1].startswith(JOB_NAME_PREFIX):
                job, name, state, reason, workdir, node = parts
                jobs.append(JobState(job, state, reason, name=name, workdir=workdir, node=node))
        return jobs

    def cancel(self, job: str, hard: bool = False) -> None:
        """Gentle: SIGTERM to the batch script itself (the sorter may end cleanly); hard: scancel's own end."""
        self._run(["scancel", job] if hard else ["scancel", "--batch", "--signal=TERM", job])

    def partitions(self) -> list[str]:
        done = self._run(["sinfo", "--noheader", "--format=%P"])
        return [line.strip().rstrip("*") for line in done.stdout.splitlines() if line.strip()]
