"""The sorts still waiting in the window's queue when it closed with sorts left running, kept so that the next
window queues them again.

One JSON file under the data directory, taken (read and removed) by the next window. Never a secret: a batch
token is kept as its email and read from the system keyring again; a MathWorks password is asked for again.
The recording is inspected again when the sort is queued again, so its channel map is read as at any drop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ks_gui.core.gpu_choice import GpuRequest
from ks_gui.core.ground.atomic import write_json_atomically
from ks_gui.core.job import SortJob
from ks_gui.core.license import LicenseError
from ks_gui.core.recordings.inspection import inspect_all
from ks_gui.core.recordings.recording import RecordingError


def waiting_sorts_file() -> Path:
    return Path(platformdirs.user_data_dir("ks-gui")) / "waiting-sorts.json"


@dataclass(frozen=True)
class Restored:
    """What became of one kept sort: its job and GPU request, or why it cannot be queued again."""

    label: str  # the recording's file name, for messages
    job: SortJob | None = None
    gpu: GpuRequest = "auto"
    problem: str = ""


def keep(waiting: list[tuple[SortJob, GpuRequest]]) -> None:
    """Keep these sorts, in queue order, for the next window (none: forget any kept before)."""
    if not waiting:
        waiting_sorts_file().unlink(missing_ok=True)
        return
    write_json_atomically(waiting_sorts_file(), {"sorts": [_document(job, gpu) for job, gpu in waiting]})


def take() -> list[Restored]:
    """The kept sorts, in queue order, each rebuilt or with its problem; the file is gone afterwards. A file that
    cannot be read gives nothing (the sorts are lost, not the window)."""
    path = waiting_sorts_file()
    try:
        documents = json.loads(path.read_text(encoding="utf-8"))["sorts"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):
        documents = []
    path.unlink(missing_ok=True)
    return [_restore(document) for document in documents if isinstance(document, dict)]


def _document(job: SortJob, gpu: GpuRequest) -> dict:
    return {**job.record(), "gpu": gpu}


def _restore(document: dict) -> Restored:
    binary = Path(str(document.get("recording", "")))
    try:
        recording = next(r for r in inspect_all(binary.parent).recordings if r.binary == binary)
        # Queued again, it is a new run of the same job: a new id.
        job = SortJob.from_record({**document, "job_id": ""}, recording)
    except StopIteration:
        return Restored(binary.name, problem=f"{binary} is no longer there")
    except (RecordingError, LicenseError) as err:
        return Restored(binary.name, problem=str(err))
    except (KeyError, TypeError, ValueError) as err:
        return Restored(binary.name, problem=f"its record could not be read ({err})")
    problems = job.input_problems()
    if problems:
        return Restored(binary.name, problem=problems[0].message)
    return Restored(binary.name, job=job, gpu=document.get("gpu", "auto"))
