"""Which GPU a sort gets: what the user asks for (auto, none, an index), the choice among a place's GPUs, and CUDA
forward compatibility for the MATLAB image."""

from __future__ import annotations

from ks_gui.core.places.gpus import Gpu, GpuScan, detect_gpus, scan_gpus  # the faces read GPUs here

__all__ = ["Gpu", "GpuChoiceError", "GpuScan", "detect_gpus", "scan_gpus"]


class GpuChoiceError(ValueError):
    """A --gpu value that cannot be used; the message is for the user."""


# CUDA forward compatibility for the MATLAB sorter: "auto" switches it on for a GPU newer than MATLAB R2021b's CUDA
# 11.0 supports natively (Gpu.needs_forward_compatibility); "on" and "off" override that.
FORWARD_COMPAT_CHOICES = ("auto", "on", "off")


def parse_forward_compat(text: str) -> str:
    choice = text.strip().lower()
    if choice not in FORWARD_COMPAT_CHOICES:
        raise GpuChoiceError(f"--cuda-forward-compat {text!r} must be auto, on or off")
    return choice


def forward_compat_enabled(choice: str, gpu: Gpu | None) -> bool:
    """Whether the sorter switches CUDA forward compatibility on for `gpu` under the user's choice."""
    if choice == "on":
        return True
    if choice == "off":
        return False
    return gpu is not None and gpu.needs_forward_compatibility


# What the user asked for: "auto", "none" or a GPU index.
GpuRequest = str | int


def parse_gpu_request(text: str) -> GpuRequest:
    text = text.strip().lower()
    if text in ("auto", "none"):
        return text
    if text.isdigit():
        return int(text)
    raise GpuChoiceError(f"--gpu {text!r} must be auto, none or a GPU index such as 0")


def choose_gpu(request: GpuRequest, gpus: list[Gpu]) -> Gpu | None:
    """The GPU a request names: auto takes the least busy one (None when there is none)."""
    if request == "none":
        return None
    if request == "auto":
        return min(
            gpus,
            key=lambda g: (g.busy, g.memory_used_mib / max(g.memory_total_mib, 1), g.utilization_percent, g.index),
            default=None,
        )
    for gpu in gpus:
        if gpu.index == request:
            return gpu
    found = ", ".join(str(g.index) for g in gpus) or "none found"
    raise GpuChoiceError(f"there is no GPU {request} (GPUs on this machine: {found})")
