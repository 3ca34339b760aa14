"""Jobs waiting to run, and which may start now: at most `per_gpu` running jobs on each GPU (or on the CPU)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ks_gui.core.places.gpus import Gpu, GpuRequest

CPU = "cpu"


@dataclass
class QueuedJob:
    job_id: str
    gpu_request: GpuRequest
    label: str = ""  # what the queue view shows, e.g. the recording's name


@dataclass
class Placement:
    """A queued job that may start now, and the device it gets ("cpu" or a GPU's index)."""

    job: QueuedJob
    device: int | str


@dataclass
class JobQueue:
    per_gpu: int = 1
    waiting: list[QueuedJob] = field(default_factory=list)
    running: dict[str, int | str] = field(default_factory=dict)  # job id -> device

    def add(self, job: QueuedJob) -> None:
        self.waiting.append(job)

    def remove(self, job_id: str) -> None:
        self.waiting = [job for job in self.waiting if job.job_id != job_id]

    def move(self, job_id: str, places: int) -> None:
        """Move a waiting job up (negative) or down (positive) the queue."""
        index = next(i for i, job in enumerate(self.waiting) if job.job_id == job_id)
        job = self.waiting.pop(index)
        self.waiting.insert(max(0, min(len(self.waiting), index + places)), job)

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
        for job in list(self.waiting):
            device = self._device_for(job.gpu_request, gpus)
            if device is None:
                continue
            self.waiting.remove(job)
            self.running[job.job_id] = device
            placed.append(Placement(job, device))
        return placed
