"""One sort per output folder: a sort claims its output in one atomic step before it writes anything there.

The claim is `<output>/.ks-gui/claim.json`, created with O_EXCL (only one creator can succeed) while the claimers
of the folder on this computer take turns on an flock of `<output>/.ks-gui/claim.lock`, so that the look at what the
folder holds, the claim and an --overwrite's take-over are one step. Every face (the CLI, the window, its queue)
starts sorts through core/run.py, which claims here; so do all places, whose output folders this computer sees.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from ks_gui.core.ground.contract import RUN_FOLDER, channel_map_file, job_file, provenance_file
from ks_gui.core.places.base import PlaceError

CLAIM_FILE = "claim.json"
CLAIM_LOCK_FILE = "claim.lock"


class ClaimError(PlaceError):
    """The output folder is another sort's: nothing was started (a face that shows a PlaceError shows this one);
    the message is one sentence for the user."""


def claim_file(output: Path) -> Path:
    return output / RUN_FOLDER / CLAIM_FILE


def _read_json(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def claimed_by(output: Path) -> str | None:
    """The job id that claimed `output` last; None when none did (or the claim cannot be read)."""
    job_id = _read_json(claim_file(output)).get("job_id")
    return job_id if isinstance(job_id, str) else None


def _ended(output: Path, job_id: str) -> bool:
    """Whether the output's run record says how the sort `job_id` ended."""
    record = _read_json(provenance_file(output))
    job = record.get("job")
    return isinstance(job, dict) and job.get("job_id") == job_id and record.get("outcome") not in (None, "running")


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _held(output: Path, claim: dict, still_running: Callable[[str], bool]) -> bool:
    """Whether the sort that claimed `output` may still write there: it has not recorded its end, and it runs on
    its place, or its launcher still lives on this computer (it may be about to start it)."""
    job_id = claim.get("job_id")
    if not isinstance(job_id, str) or _ended(output, job_id):
        return False
    if still_running(job_id):
        return True
    return claim.get("host") == socket.gethostname() and _alive(claim.get("pid"))


@contextlib.contextmanager
def _taking_turns(run_folder: Path) -> Iterator[None]:
    fd = os.open(run_folder / CLAIM_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def claim_output(output: Path, job_id: str, place: str, overwrite: bool, still_running: Callable[[str], bool]) -> None:
    """Make `output` this job's, or ClaimError. Without `overwrite` only a folder no sort has claimed or written
    (no run record, no params.py) can be claimed; with it, one whose claiming sort has ended: its end is on record,
    or it runs neither on its place (`still_running(job_id)`, asked of the place) nor in a launcher alive here.
    `<output>/.ks-gui/` must exist."""
    run_folder = output / RUN_FOLDER
    claimer = {"job_id": job_id, "place": place, "host": socket.gethostname(), "pid": os.getpid()}
    content = json.dumps(claimer).encode()
    with _taking_turns(run_folder):
        claim = claim_file(output)
        if not overwrite and (provenance_file(output).exists() or (output / "params.py").exists()):
            raise ClaimError(f"{output} already holds a sort: choose a new output folder")
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            earlier_claim = _read_json(claim)
            earlier = claimed_by(output)
            if not overwrite:
                raise ClaimError(
                    f"{output} was just taken by another sort{f' ({earlier})' if earlier else ''}: "
                    "choose a new output folder"
                ) from None
            if _held(output, earlier_claim, still_running):
                raise ClaimError(f"a sort is still running into {output}: wait for it to end, or cancel it") from None
            fd = os.open(claim, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, content)
        finally:
            os.close(fd)


def give_back(output: Path, whole_run_folder: bool) -> None:
    """Undo a claim whose sort did not start (its place refused it): the run folder when the sort made it (a place's
    own files in it too, such as a batch script), else the job file, the channel map and the claim."""
    folder = output / RUN_FOLDER
    if whole_run_folder:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in (job_file(output), channel_map_file(output), claim_file(output)):
        with contextlib.suppress(OSError):
            path.unlink()
