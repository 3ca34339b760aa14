"""The record a sort leaves behind in its output folder: what ran, on what, when, and how it ended."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ks_gui import __version__
from ks_gui.core.ground.atomic import write_json_atomically
from ks_gui.core.ground.contract import provenance_file
from ks_gui.core.sorters.progress import Result


@dataclass(frozen=True)
class Provenance:
    job: dict
    image: dict | None  # name, id, digests, labels; None where no container ran
    engine_version: str | None
    gpu: dict | None  # name, uuid, driver, compute capability
    started: datetime
    ended: datetime | None  # None while the sort runs (written at submission: a cluster job's id is on record)
    exit_code: int | None
    result: Result | None
    log_file: Path
    # A local sorter's environment: its path and the versions of what sorted (kilosort, torch, python).
    environment: dict | None = None
    # How it ended: "succeeded", "failed" or "cancelled". Anything but "succeeded" marks what the folder holds as
    # partial output, which is never opened as a result (phy_folder.folder_problems).
    outcome: str | None = None
    # Where it ran and the place's own name for the run ("SLURM job 12 on node7"; a container's id), so the folder
    # itself says which job wrote it.
    place: str = ""
    handle: str = ""

    def document(self) -> dict:
        return {
            "launcher": {"name": "ks-gui", "version": __version__, "host": platform.node()},
            "sorter": self.job["sorter"],
            "image": self.image,
            "environment": self.environment,
            "engine_version": self.engine_version,
            "gpu": self.gpu,
            "started": self.started.isoformat(timespec="seconds"),
            "ended": None if self.ended is None else self.ended.isoformat(timespec="seconds"),
            "exit_code": self.exit_code,
            "outcome": self.outcome,
            "place": self.place,
            "handle": self.handle,
            "result": None if self.result is None else vars(self.result),
            "log_file": str(self.log_file),
            "job": self.job,
        }


def write_provenance(output: Path, provenance: Provenance) -> Path:
    path = provenance_file(output)
    write_json_atomically(path, provenance.document())
    return path
