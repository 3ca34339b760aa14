"""Every run the launcher started: one JSON record per run under the user data directory.

A record is written when the run starts and updated when it ends, so a run whose launcher died stays on record
as "running" until the launcher looks again and calls it "interrupted".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

import platformdirs

from ks_gui.core.ground.atomic import write_json_atomically

# The name earlier versions gave Kilosort 4 in the local environment (sorters.SHORTHANDS).
LOCAL_SHORTHAND = "kilosort4-local"

Status = Literal["running", "succeeded", "failed", "cancelled", "interrupted"]


@dataclass(frozen=True)
class RunRecord:
    job_id: str
    sorter: str
    recording: str
    output: str
    image: str
    log_file: str
    started: str  # ISO 8601, local time
    status: Status = "running"
    ended: str | None = None
    exit_code: int | None = None
    units: int | None = None
    good: int | None = None
    spikes: int | None = None
    summary: str = ""
    place: str = "docker"  # where it ran (`--on`); records older than places have none: Docker, or the shorthand
    handle: str = ""  # the run as its place names it: "container 3f2a…", "SLURM job 12 on node7"

    def __post_init__(self) -> None:
        # Records written before sorters and places were apart name Kilosort 4's local runs "kilosort4-local".
        if self.sorter == LOCAL_SHORTHAND:
            object.__setattr__(self, "sorter", "kilosort4")
            object.__setattr__(self, "place", "local")

    @property
    def duration_seconds(self) -> float | None:
        if self.ended is None:
            return None
        return (datetime.fromisoformat(self.ended) - datetime.fromisoformat(self.started)).total_seconds()


def history_dir() -> Path:
    return Path(platformdirs.user_data_dir("ks-gui")) / "history"


def _path(job_id: str, folder: Path | None) -> Path:
    return (folder or history_dir()) / f"{job_id}.json"


def save(record: RunRecord, folder: Path | None = None) -> None:
    write_json_atomically(_path(record.job_id, folder), asdict(record))


def finish(record: RunRecord, folder: Path | None = None, **outcome) -> RunRecord:
    """The record with the run's end filled in, saved."""
    ended = replace(record, ended=datetime.now().isoformat(timespec="seconds"), **outcome)
    save(ended, folder)
    return ended


def find(job_id: str, folder: Path | None = None) -> RunRecord | None:
    path = _path(job_id, folder)
    try:
        return RunRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def load_all(folder: Path | None = None) -> list[RunRecord]:
    """Every readable record, newest first; an unreadable record is skipped, never fatal."""
    records = []
    for path in (folder or history_dir()).glob("*.json"):
        try:
            records.append(RunRecord(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(records, key=lambda r: r.started, reverse=True)


def unreadable_records(folder: Path | None = None) -> list[Path]:
    """The run records load_all() leaves out because they cannot be read (damaged, or not a record), to be said."""
    unreadable = []
    for path in sorted((folder or history_dir()).glob("*.json")):
        try:
            RunRecord(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            unreadable.append(path)
    return unreadable


def mark_interrupted(records: Iterable[RunRecord], alive_job_ids: set[str], folder: Path | None = None) -> None:
    """Runs on record as running whose container or process is gone ended without the launcher seeing it."""
    for record in records:
        if record.status == "running" and record.job_id not in alive_job_ids:
            finish(record, folder, status="interrupted", summary="The launcher stopped before this run ended.")
