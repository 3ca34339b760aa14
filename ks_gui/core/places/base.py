"""What every place offers: start a Launch and get a Handle, list GPUs, find earlier runs, say whether it answers.

A place never asks which sorter it runs: it gets a Launch (plain data: an image or a driver, a command, folders,
variables, a GPU) and runs it. Core pairs sorters with places by the form a place runs (`container`, `python`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from ks_gui.core.places.path_map import PathMap

if TYPE_CHECKING:
    from ks_gui.core.places.gpus import Gpu
    from ks_gui.core.places.images import ImageInfo
    from ks_gui.core.places.output_lines import OutputLine

Form = Literal["container", "python"]


@dataclass(frozen=True)
class PlaceKind:
    """A kind of place as the faces list it, known without reaching it (nothing heavy is imported for this)."""

    name: str  # what `--on` takes
    title: str  # what the window shows
    form: Form  # what it runs: an image or a Python program


PLACE_KINDS: dict[str, PlaceKind] = {
    kind.name: kind
    for kind in (
        PlaceKind("docker", "This computer's Docker", "container"),
        PlaceKind("local", "This computer, no Docker", "python"),
        PlaceKind("ssh", "A GPU server's Docker, over SSH", "container"),
        # A cluster's nodes run a Python environment or a container: the cluster's runner says which.
        PlaceKind("slurm", "A SLURM cluster", "python"),
    )
}


def kind_of(place_name: str) -> str:
    """The kind a place's name is of: a server's name is its address (ssh://me@gpu-server)."""
    if place_name.startswith("ssh://"):
        return "ssh"
    if place_name == "slurm" or place_name.startswith("slurm+ssh://"):
        return "slurm"
    return place_name


class PlaceError(Exception):
    """A place cannot do what was asked (not reachable, refused); `message` is for the user, in one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Mount:
    """A folder (or file) of this computer the sorter reads or writes, at `target` inside a container."""

    source: Path
    target: str
    read_only: bool


@dataclass(frozen=True)
class VolumeMount:
    """A named Docker volume of the user's, mounted read-write. The engine creates it (labelled with `purpose`) when
    it is missing and hands its top folder to the container's user, since the container does not run as root."""

    name: str
    target: str
    purpose: str


@dataclass(frozen=True)
class Launch:
    """One sort as a place starts it. `command` follows the image's entrypoint (a container) or the driver (a
    Python environment); `mounts` are the folders it needs, each at the same path unless a target says otherwise."""

    job_id: str
    output: Path
    command: list[str]
    image: str = ""  # the container form
    driver: str = ""  # the python form: a file of ks_gui/drivers
    environment: dict[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    gpu: Gpu | None = None
    cpu_only: bool = False  # the user asked for no GPU (--gpu none): a place that requests GPUs requests none
    stdin_open: bool = False
    mac_address: str | None = None
    entrypoint: list[str] | None = None
    volumes: tuple[VolumeMount, ...] = ()
    # Secret variables (a batch token): handed over at start only; shown by name, never by value.
    secret_environment: dict[str, str] = field(default_factory=dict, repr=False)
    # Whether the sort may reach the network (a MATLAB license does); a container without it gets none at all.
    network: bool = False


@dataclass(frozen=True)
class Readiness:
    """What a place found about running one image or driver: empty `problems` means it can."""

    problems: tuple[tuple[str, str], ...] = ()  # (form field, message)
    gpu_refusal: str = ""  # why no GPU can be used here (a CPU build of torch); "" when one can
    gpu_required: bool = False  # the container form: the image's label says it needs one
    image: ImageInfo | None = None  # what runs, for the run's record
    environment: dict | None = None  # the python form's versions, for the run's record
    mex_cache: Path | None = None  # where the MATLAB image keeps compiled mex files (the job file names it)


@dataclass(frozen=True)
class FoundRun:
    """A sort this user started earlier on the place, found again (running or ended, not yet removed)."""

    id: str
    job_id: str
    output: str
    running: bool
    image: str
    gpu_uuids: tuple[str, ...] = ()  # the GPUs it holds, so a new queue counts them as taken
    place: str = "docker"  # where it runs, by the name `--on` takes


@dataclass(frozen=True)
class RunOnRecord:
    """A run the launcher's history has as running on a place: ks-gui's job id, the place's own name for it
    ("SLURM job 12 on node7"), its output folder."""

    job_id: str
    handle: str
    output: str


class Handle(Protocol):
    """One started run: its output as lines, its stdin, its end."""

    @property
    def id(self) -> str: ...

    @property
    def running(self) -> bool: ...

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]: ...

    def send(self, text: str) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def stop(self, timeout: int = 10) -> None: ...

    def detach(self) -> None: ...

    def remove(self) -> None: ...

    def killed_for_memory(self) -> bool: ...

    def output_lost(self) -> bool:
        """Whether the output ended while the run goes on (the connection to it broke): then it is followed again."""
        ...

    def describe(self) -> str:
        """The run as its place names it, for the history ("container 3f2a…", "SLURM job 12 on node7")."""
        ...


class Place(Protocol):
    """Where sorts run. `name` is what `--on` takes; `title` what the window shows."""

    name: str
    title: str
    form: Form
    # Whether a run may go on without the launcher (a container does; a child process does not).
    runs_detached: bool
    # The service the place depends on, in words ("Docker"), for notices when it stops answering; "" for none.
    service: str

    def gpus(self) -> list[Gpu]: ...

    def readiness(self, image: str, thorough: bool = False) -> Readiness: ...

    def plan(self, launch: Launch, readiness: Readiness) -> tuple[dict, str]:
        """What start() would run: a document, and one line a user can read or type."""
        ...

    def start(self, launch: Launch, readiness: Readiness) -> Handle: ...

    def image_info(self, name: str) -> ImageInfo | None: ...

    def found_runs(self) -> list[FoundRun]: ...

    def ended_unseen(self, runs: list[RunOnRecord]) -> list[FoundRun]:
        """Those of `runs` (on record as running, not among found_runs) that the place knows ended while nobody
        followed them (a SLURM job squeue forgot); [] where a place keeps no such memory."""
        ...

    def follow(self, found: FoundRun) -> Handle: ...

    def answers(self) -> bool: ...

    def follow_again(self, handle_id: str) -> Handle | None: ...

    def version(self) -> str | None: ...

    # How this place sees this computer's files (places that see them as they are: SeesLocalFiles).
    path_map: PathMap

    def launch_problems(self, launch: Launch) -> list[tuple[str, str]]:
        """(form field, message) for each folder of `launch` the place cannot see or write."""
        ...

    def make_folders(self, folders: list[Path]) -> None:
        """Make a run's folders where the sorter runs, before the launcher writes into them."""
        ...


class SeesLocalFiles:
    """A place on this computer: it sees this computer's files under their own names."""

    path_map = PathMap()

    def launch_problems(self, launch: Launch) -> list[tuple[str, str]]:
        return []

    def make_folders(self, folders: list[Path]) -> None:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
