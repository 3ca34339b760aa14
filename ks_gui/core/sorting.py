"""The one way through: check a job on its place, choose its GPU once, start it. The CLI, the window and the tests
all call this; nothing that checks a job changes it (check() returns a copy that carries the chosen GPU)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ks_gui.core.doors.clusters import Cluster, remembered_cluster
from ks_gui.core.gpu_choice import GpuChoiceError, GpuRequest, choose_gpu
from ks_gui.core.ground.contract import LABEL_KEEPS
from ks_gui.core.job import Problem, SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Place, PlaceError, Readiness, RunOnRecord, kind_of
from ks_gui.core.places.outage import DEFAULT_WAIT_SECONDS
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.results import history
from ks_gui.core.settings import load_settings
from ks_gui.core.sorters.base import Sorter

if TYPE_CHECKING:
    from ks_gui.core.places.node_runners import NodeRunner
    from ks_gui.core.places.server_place import ServerPlace  # noqa: F401  (for the faces' casts)
    from ks_gui.core.places.shell import Shell
    from ks_gui.core.run import SortRun

# What the faces use of places, through this door.
__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "Checked",
    "FoundRun",
    "PathMap",
    "PlaceError",
    "SortRun",
    "check",
    "follow_found",
    "open_place",
    "plan",
    "prepare",
    "start",
]

# Where a sort can run, by the name `--on` takes (a server by its address, ssh://me@gpu-server).
PLACES = ("docker", "local", "ssh://USER@HOST", "slurm", "slurm+ssh://USER@LOGIN")
DEFAULT_PLACE = "docker"
# How long a face waits for Docker to answer when it connects: long enough for a busy engine.
CONNECT_TIMEOUT_S = 60


def places_for(sorter: Sorter) -> list[str]:
    """The places that can run `sorter`: this computer's, in the forms it ships in, then the servers and clusters the
    user added (a server runs containers; a cluster what its nodes run)."""
    from ks_gui.core.doors.servers import remembered_servers

    here = ("docker", "local")
    names = [name for name in here if PLACE_KINDS[name].form in sorter.forms]
    if PLACE_KINDS["ssh"].form in sorter.forms:
        names += list(remembered_servers())
    for name, stored in load_settings().settings.clusters.items():
        runs = stored.get("runs", "python") if isinstance(stored, dict) else "python"
        if ("python" if runs == "python" else "container") in sorter.forms:
            names.append(name)
    return names


def place_title(name: str) -> str:
    if name == "slurm":
        return "SLURM cluster"
    if kind_of(name) == "slurm":
        return f"{name.removeprefix('slurm+ssh://').rpartition('@')[2]} (SLURM)"
    if kind_of(name) == "ssh":
        return f"{name.removeprefix('ssh://').rpartition('@')[2]} (server)"
    return PLACE_KINDS[name].title


def _unknown_place(name: str) -> str:
    return f"there is no place called {name!r} (choose {' or '.join(PLACES)})"


def place_problem(sorter: Sorter, place: str, form: str | None = None) -> Problem | None:
    """Why `sorter` cannot run on `place` (it does not ship in that place's form), or None. `form`: the opened
    place's own (a cluster's depends on what runs on its nodes; unknown before it is opened)."""
    if kind_of(place) not in PLACE_KINDS:
        return Problem("place", _unknown_place(place), "--on")
    if form is None and kind_of(place) == "slurm":
        return None
    if (form or PLACE_KINDS[kind_of(place)].form) not in sorter.forms:
        kinds = [kind.name for kind in PLACE_KINDS.values() if kind.form in sorter.forms]
        where = " or ".join("a server (ssh://…)" if kind == "ssh" else f"'{kind}'" for kind in kinds)
        return Problem("place", f"{sorter.title} does not run on '{place}': it runs on {where}", "--on")
    return None


def open_place(
    name: str, timeout: int = CONNECT_TIMEOUT_S, path_map: PathMap | None = None, cluster: Cluster | None = None
) -> Place:
    """Reach the place (connect to Docker, log in to a server); PlaceError, with a sentence for the user, when it
    cannot be reached. `path_map` says how a server names this computer's folders (a server's remembered map when
    None)."""
    if kind_of(name) == "slurm":
        return _open_cluster(name, cluster or remembered_cluster(name), path_map)
    if kind_of(name) == "ssh":
        from ks_gui.core.doors.servers import remembered_path_map
        from ks_gui.core.places.server_place import ServerPlace
        from ks_gui.core.places.ssh import SshTarget

        try:
            target = SshTarget.parse(name)
        except ValueError as err:
            raise PlaceError(str(err)) from err
        return ServerPlace(target, remembered_path_map(target.url) if path_map is None else path_map, timeout)
    if name == "local":
        from ks_gui.core.places.local_env import LocalEnvPlace

        return LocalEnvPlace()
    if name == "docker":
        from ks_gui.core.places.docker_place import DockerPlace  # docker loads here, not when the window opens

        return DockerPlace.connect(timeout=timeout)
    raise PlaceError(_unknown_place(name))


def _open_cluster(name: str, cluster: Cluster, path_map: PathMap | None) -> Place:
    """A SLURM cluster, asked here (`slurm`, on its login node) or through SSH (`slurm+ssh://me@login`)."""
    from ks_gui.core.places.node_runners import ApptainerRunner, DockerRunner, PythonEnvRunner
    from ks_gui.core.places.shell import LocalShell
    from ks_gui.core.places.slurm_place import SlurmPlace
    from ks_gui.core.places.ssh import SshShell, SshTarget

    shell: Shell = LocalShell()
    if name != "slurm":
        try:
            shell = SshShell(SshTarget.parse(name.removeprefix("slurm+")))
        except ValueError as err:
            raise PlaceError(f"{name!r} is not a cluster: write slurm, or slurm+ssh://user@login-node") from err
    if cluster.runs == "apptainer":
        if not cluster.sif:
            raise PlaceError("Apptainer on the nodes needs the image's SIF file: give --sif PATH")
        runner: NodeRunner = ApptainerRunner(cluster.sif)
    elif cluster.runs == "docker":
        runner = DockerRunner()
    else:
        from ks_gui.core.places.kilosort4_env import env_dir

        runner = PythonEnvRunner(cluster.python_env or str(env_dir()))
    return SlurmPlace(name, shell, runner, cluster.options, cluster.path_map if path_map is None else path_map)


@dataclass(frozen=True)
class Checked:
    """A job as checked on its place: the copy that would start (its GPU chosen), and every reason it may not."""

    job: SortJob
    place: Place
    readiness: Readiness
    problems: tuple[Problem, ...]

    @property
    def may_start(self) -> bool:
        return not self.problems


def check(job: SortJob, place: Place, gpu_request: GpuRequest = "auto", gpus: list | None = None) -> Checked:
    """Everything that stops `job` on `place`: the job itself, what the place has, the GPU, the disk. `gpus` are the
    place's (asked when not given)."""
    found = job.input_problems()
    if (mismatch := place_problem(job.sorter, place.name, place.form)) is not None:
        found.append(mismatch)
    readiness = place.readiness(job.image)
    found += [Problem(field, message) for field, message in readiness.problems]
    if not found:
        found += [Problem(field, message) for field, message in place.launch_problems(launch_for(job))]
    if readiness.image is not None:
        found += [Problem("image", p) for p in readiness.image.problems(job.sorter.name)]
        keeps = readiness.image.labels.get(LABEL_KEEPS)
        if keeps and place.form == "container":  # folders this image names beyond those every ks-gui image keeps
            found += [p for p in job.mount_problems(keeps) if p not in found]
    gpus = place.gpus() if gpus is None else gpus
    try:
        gpu = _choose_gpu(place, readiness, gpu_request, gpus)
    except GpuChoiceError as err:
        gpu, found = None, [*found, Problem("gpu", str(err), "--gpu")]
    if gpu is not None and readiness.gpu_refusal:
        found.append(Problem("gpu", readiness.gpu_refusal, "--gpu none"))
    if readiness.image is not None and readiness.gpu_required and gpu is None and not found:
        found.append(
            Problem(
                "gpu", f"the image {job.image} needs an NVIDIA GPU, and none is chosen", "none found, or --gpu none"
            )
        )
    chosen = dataclasses.replace(job, gpu=gpu, cpu_only=gpu_request == "none")
    if not found:
        found += chosen.disk_problems()
    if job.overwrite and not found:
        found += _sorting_into(job.output, place)
    return Checked(chosen, place, readiness, tuple(found))


def _choose_gpu(place: Place, readiness: Readiness, request: GpuRequest, gpus: list):
    if place.form == "python":  # auto picks a GPU only when the environment's torch can use one
        return choose_gpu(request, [] if request == "auto" and readiness.gpu_refusal else gpus)
    image = readiness.image
    if request == "auto" and image is not None and not image.gpu_required and not gpus:
        return None
    return choose_gpu(request, gpus)


def _sorting_into(output: Path, place: Place) -> list[Problem]:
    """--overwrite replaces an earlier sort's results, never those of a sort still running into the folder."""
    if any(found.running and Path(found.output) == output for found in place.found_runs()):
        return [Problem("output", f"a sort is still running into {output}: wait for it to end, or cancel it")]
    return []


def plan(checked: Checked) -> dict:
    """A dry run: what would start (the place's own description, and the line a user can read), the job file, and
    the problems, without starting or writing anything."""
    job = checked.job
    document, line = checked.place.plan(launch_for(job, checked.place.path_map), checked.readiness)
    has_facts = bool(job.n_channels and job.sample_rate)
    return {
        **document,
        "job": job.document(checked.readiness.mex_cache, checked.place.path_map) if has_facts else None,
        "command_line": line,
        "problems": [p.command_line_text() for p in checked.problems],
    }


def prepare(checked: Checked) -> SortRun:
    """The run of a checked job, not started yet (its settings, such as engine_wait_seconds, may be changed)."""
    from ks_gui.core.run import SortRun

    assert checked.may_start, "check() found problems"
    return SortRun(checked.job, checked.place, checked.readiness)


def start(checked: Checked, engine_wait_seconds: float | None = None) -> SortRun:
    """Write the job's files and start it on its place. PlaceError when the place refuses; OSError when a local
    program cannot start."""
    run = prepare(checked)
    if engine_wait_seconds is not None:
        run.engine_wait_seconds = engine_wait_seconds
    run.start()
    return run


def follow_found(place: Place, found: FoundRun) -> SortRun:
    """Follow again a sort an earlier launcher started on `place` (and perhaps did not see end)."""
    from ks_gui.core.run import SortRun

    return SortRun.reattach(place, found)


def earlier_runs(place: Place) -> list[FoundRun]:
    """The sorts this user started on `place` that are still there (running, or ended while nobody followed them).
    A run on record as running that is not among them ended without its launcher: it is marked interrupted."""
    found = place.found_runs()
    mine = [record for record in history.load_all() if record.place == place.name]  # others answer for their own
    alive = {f.job_id for f in found}
    # A SLURM job squeue no longer lists may have ended unseen: SLURM still knows it.
    found += place.ended_unseen(
        [RunOnRecord(r.job_id, r.handle, r.output) for r in mine if r.status == "running" and r.job_id not in alive]
    )
    history.mark_interrupted(mine, alive_job_ids={f.job_id for f in found})
    return found


def places_with_earlier_runs() -> list[str]:
    """Where sorts of this user's may still run: this computer's Docker, and each server, cluster or local
    environment with a sort on record as running or interrupted (the connection broke; it may sort on there)."""
    elsewhere = {
        record.place
        for record in history.load_all()
        if kind_of(record.place) in ("ssh", "slurm", "local") and record.status in ("running", "interrupted")
    }
    return [DEFAULT_PLACE, *sorted(elsewhere)]


def earlier_runs_everywhere(timeout: int = CONNECT_TIMEOUT_S) -> tuple[list[FoundRun], list[str]]:
    """earlier_runs() of every place in places_with_earlier_runs(), and why a place could not be asked (in words)."""
    found: list[FoundRun] = []
    unreachable: list[str] = []
    for name in places_with_earlier_runs():
        try:
            found += earlier_runs(open_place(name, timeout=timeout))
        except PlaceError as err:
            unreachable.append(err.message)
    return found, unreachable
