"""The machine's NVIDIA GPUs (read with nvidia-smi) and the choice of one for a job."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

QUERY_FIELDS = "index,uuid,name,memory.total,memory.used,utilization.gpu,compute_cap,driver_version"


@dataclass(frozen=True)
class Gpu:
    index: int
    uuid: str
    name: str
    memory_total_mib: int
    memory_used_mib: int
    utilization_percent: int
    compute_capability: str
    driver_version: str

    @property
    def needs_forward_compatibility(self) -> bool:
        """MATLAB R2021b's CUDA 11.0 libraries predate Hopper (compute capability 9.0) and newer."""
        try:
            return float(self.compute_capability) >= 9.0
        except ValueError:
            return False

    def describe(self) -> str:
        return f"GPU {self.index}: {self.name}, {self.memory_total_mib / 1024:.0f} GiB"


class GpuChoiceError(ValueError):
    """A --gpu value that cannot be used; the message is for the user."""


# What the user asked for: "auto", "none" or a GPU index.
GpuRequest = str | int


def parse_gpu_request(text: str) -> GpuRequest:
    text = text.strip().lower()
    if text in ("auto", "none"):
        return text
    if text.isdigit():
        return int(text)
    raise GpuChoiceError(f"--gpu {text!r} must be auto, none or a GPU index such as 0")


def _int(text: str) -> int:
    """The number at the start of a cell ("81559", "81559 MiB", "87 %"); 0 for "[N/A]"."""
    number = re.match(r"\s*(\d+(\.\d+)?)", text)
    return int(float(number.group(1))) if number else 0


def parse_nvidia_smi(csv_text: str) -> list[Gpu]:
    """Parse `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits`."""
    gpus = []
    for row in csv_text.splitlines():
        cells = [cell.strip() for cell in row.split(",")]
        if len(cells) != 8 or not cells[0].isdigit():
            continue
        index, uuid, name, total, used, util, capability, driver = cells
        gpus.append(Gpu(int(index), uuid, name, _int(total), _int(used), _int(util), capability, driver))
    return gpus


def detect_gpus() -> list[Gpu]:
    """The NVIDIA GPUs nvidia-smi reports; empty when there is no driver or no GPU."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        done = subprocess.run(
            [exe, f"--query-gpu={QUERY_FIELDS}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_nvidia_smi(done.stdout) if done.returncode == 0 else []


def choose_gpu(request: GpuRequest, gpus: list[Gpu]) -> Gpu | None:
    """The GPU a request names: auto takes the least busy one (None when there is none)."""
    if request == "none":
        return None
    if request == "auto":
        return min(
            gpus, key=lambda g: (g.memory_used_mib / max(g.memory_total_mib, 1), g.utilization_percent), default=None
        )
    for gpu in gpus:
        if gpu.index == request:
            return gpu
    found = ", ".join(str(g.index) for g in gpus) or "none found"
    raise GpuChoiceError(f"there is no GPU {request} (GPUs on this machine: {found})")
