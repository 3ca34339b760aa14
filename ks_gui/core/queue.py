"""Sorts waiting to run, and which may start now: at most `per_gpu` running sorts on each GPU (or on the CPU) of
each machine (this computer, each GPU server).

The queue holds the jobs themselves: whoever shows it (the window's list, a status line) reads them from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ks_gui.core.gpu_choice import GpuRequest
from ks_gui.core.ground.readable import recording_title
from ks_gui.core.job import SortJob
from ks_gui.core.places.base import kind_of
from ks_gui.core.places.gpus import Gpu

CPU = "cpu"
HERE = "this computer"  # the machine of the places on this computer (its Docker, its Python environment)


def machine_of(place: str) -> str:
    """Whose GPUs a place uses: this computer's, or a server's (its address)."""
    return place if kind_of(place) == "ssh" else HERE


@dataclass
class QueuedJob:
    job: SortJob
    gpu_request: GpuRequest

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def label(self) -> str:
        """What the queue view shows: the recording, named by its folder."""
        return recording_title(self.job.recording.binary)


@dataclass
class Placement:
    """A queued job that may start now, and the device it gets ("cpu" or a GPU's index)."""

    queued: QueuedJob
    device: int | str

    @property
    def job(self) -> SortJob:
        return self.queued.job

    @property
    def gpu_request(self) -> GpuRequest:
        """The request the sort starts with: the GPU chosen here, so nothing chooses again. On the CPU's line the
        user's own request stands (auto before nvidia-smi answered may still find a GPU at the check)."""
        return self.queued.gpu_request if self.device == CPU else int(self.device)


@dataclass
class JobQueue:
    per_gpu: int = 1
    waiting: list[QueuedJob] = field(default_factory=list)
    running: dict[str, tuple[str, int | str]] = field(default_factory=dict)  # job id -> (machine, device)

    def add(self, job: SortJob, gpu_request: GpuRequest) -> QueuedJob:
        queued = QueuedJob(job, gpu_request)
        self.waiting.append(queued)
        return queued

    def remove(self, job_id: str) -> None:
        self.waiting = [queued for queued in self.waiting if queued.job_id != job_id]

    def move(self, job_id: str, places: int) -> None:
        """Move a waiting job up (negative) or down (positive) the queue."""
        index = next(i for i, queued in enumerate(self.waiting) if queued.job_id == job_id)
        queued = self.waiting.pop(index)
        self.waiting.insert(max(0, min(len(self.waiting), index + places)), queued)

    def mark_running(self, job_id: str, device: int | str, place: str = "docker") -> None:
        """A sort that runs without having waited here (one an earlier launcher started) takes its device."""
        self.running[job_id] = (machine_of(place), device)

    def finished(self, job_id: str) -> None:
        self.running.pop(job_id, None)

    def _load(self, machine: str, device: int | str) -> int:
        return sum(1 for used in self.running.values() if used == (machine, device))

    def _device_for(self, request: GpuRequest, machine: str, gpus: list[Gpu]) -> int | str | None:
        if request == "none" or (request == "auto" and not gpus):
            return CPU if self._load(machine, CPU) < self.per_gpu else None
        if request == "auto":
            free = [g for g in gpus if self._load(machine, g.index) < self.per_gpu]
            # Fewest of our own jobs first, then the one the rest of the machine uses least.
            best = min(free, key=lambda g: (self._load(machine, g.index), g.memory_used_mib), default=None)
            return None if best is None else best.index
        return request if self._load(machine, request) < self.per_gpu else None

    def start_next(self, gpus: list[Gpu], server_gpus: dict[str, list[Gpu]] | None = None) -> list[Placement]:
        """Every waiting job that may start now, in queue order, moved to running. `gpus` are this computer's,
        `server_gpus` each server's (by address) as far as they are known; a server's sorts wait on its own GPUs."""
        placed = []
        for queued in list(self.waiting):
            if kind_of(queued.job.place) == "slurm":  # the cluster's own queue places its jobs: all go at once
                self.waiting.remove(queued)
                self.running[queued.job_id] = (queued.job.place, CPU)
                placed.append(Placement(queued, CPU))
                continue
            machine = machine_of(queued.job.place)
            if machine != HERE and machine not in (server_gpus or {}):
                continue  # its GPUs are not known yet
            known = gpus if machine == HERE else (server_gpus or {})[machine]
            device = self._device_for(queued.gpu_request, machine, known)
            if device is None:
                continue
            self.waiting.remove(queued)
            self.running[queued.job_id] = (machine, device)
            placed.append(Placement(queued, device))
        return placed

    def expected_starts(
        self, seconds_left: dict[str, float | None], gpus: list[Gpu], server_gpus: dict[str, list[Gpu]] | None = None
    ) -> dict[str, float]:
        """For each waiting job that follows a running sort into its place, the seconds until it starts: when the
        first running sort it may follow ends (`seconds_left` by job id). A job that waits behind another waiting job
        is left out: how long that one takes is not known before it runs. Cluster jobs wait in SLURM's queue."""
        free_at: dict[tuple[str, int | str], list[float | None]] = {}
        for job_id, slot in self.running.items():
            free_at.setdefault(slot, []).append(seconds_left.get(job_id))
        starts: dict[str, float] = {}
        for queued in self.waiting:
            machine = machine_of(queued.job.place)
            known = gpus if machine == HERE else (server_gpus or {}).get(machine, [])
            request = queued.gpu_request
            if request == "none" or (request == "auto" and not known):
                devices: list[int | str] = [CPU]
            else:
                devices = [g.index for g in known] if request == "auto" else [request]
            ends = [(end, slot) for slot in ((machine, d) for d in devices) for end in free_at.get(slot, [])]
            known_ends = [(end, slot) for end, slot in ends if end is not None]
            if kind_of(queued.job.place) == "slurm" or not known_ends:
                continue
            end, slot = min(known_ends, key=lambda pair: pair[0])
            starts[queued.job_id] = end
            free_at[slot].remove(end)
            free_at[slot].append(None)  # then this job runs there, for a time not known yet
        return starts
