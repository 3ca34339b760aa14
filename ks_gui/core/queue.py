"""Sorts waiting to run, and which may start now: at most `per_gpu` running sorts on each GPU (or on the CPU).

The queue holds the jobs themselves: whoever shows it (the window's list, a status line) reads them from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ks_gui.core.gpu_choice import GpuRequest
from ks_gui.core.job import SortJob
from ks_gui.core.places.gpus import Gpu
from ks_gui.core.readable import recording_title

CPU = "cpu"


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
    running: dict[str, int | str] = field(default_factory=dict)  # job id -> device

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

    def mark_running(self, job_id: str, device: int | str) -> None:
        """A sort that runs without having waited here (one an earlier launcher started) takes its device."""
        self.running[job_id] = device

    def finished(self, job_id: str) -> None:
        self.running.pop(job_id, None)

    def _load(self, device: int | str) -> int:
        return sum(1 for used in self.running.values() if used == device)

    def _device_for(self, request: GpuRequest, gpus: list[Gpu]) -> int | str | None:
        if request == "none" or (request == "auto" and not gpus):
            return CPU if self._load(CPU) < self.per_gpu else None
        if request == "auto":
            free = [g for g in gpus if self._load(g.index) < self.per_gpu]
            # Fewest of our own jobs first, then the one the rest of the machine uses least.
            best = min(free, key=lambda g: (self._load(g.index), g.memory_used_mib), default=None)
            return None if best is None else best.index
        return request if self._load(request) < self.per_gpu else None

    def start_next(self, gpus: list[Gpu]) -> list[Placement]:
        """Every waiting job that may start now, in queue order, moved to running."""
        placed = []
        for queued in list(self.waiting):
            device = self._device_for(queued.gpu_request, gpus)
            if device is None:
                continue
            self.waiting.remove(queued)
            self.running[queued.job_id] = device
            placed.append(Placement(queued, device))
        return placed
