"""The machine's NVIDIA GPUs (read with nvidia-smi), whether Docker can hand one to a container, and the choice of
one for a job."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

QUERY_FIELDS = "index,uuid,name,memory.total,memory.used,utilization.gpu,compute_cap,driver_version"
# Drivers older than R510 do not know compute_cap; nvidia-smi then refuses the whole query (exit 2).
QUERY_FIELDS_OLD_DRIVER = QUERY_FIELDS.replace(",compute_cap", "")
# A GPU this busy is marked as busy in the picker (and auto avoids it when another is free).
BUSY_MEMORY_FRACTION = 0.5
BUSY_UTILIZATION_PERCENT = 50


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

    @property
    def busy(self) -> bool:
        used = self.memory_used_mib / max(self.memory_total_mib, 1)
        return used >= BUSY_MEMORY_FRACTION or self.utilization_percent >= BUSY_UTILIZATION_PERCENT

    def record(self) -> dict:
        """What a run's record (run.json) says of the GPU."""
        return {
            "name": self.name,
            "uuid": self.uuid,
            "driver": self.driver_version,
            "compute_capability": self.compute_capability,
        }

    def describe(self) -> str:
        return f"GPU {self.index}: {self.name}, {self.memory_total_mib / 1024:.0f} GiB"

    def describe_in_full(self) -> str:
        """Index, name, memory, compute capability and how busy it is, for the GPU picker."""
        capability = f", compute {self.compute_capability}" if self.compute_capability else ""
        load = (
            f" — busy: {self.memory_used_mib / 1024:.1f} GiB used, {self.utilization_percent}% load"
            if self.busy
            else ""
        )
        return f"{self.describe()}{capability}{load}"


def _int(text: str) -> int:
    """The number at the start of a cell ("81559", "81559 MiB", "87 %"); 0 for "[N/A]"."""
    number = re.match(r"\s*(\d+(\.\d+)?)", text)
    return int(float(number.group(1))) if number else 0


def parse_nvidia_smi(csv_text: str, fields: str = QUERY_FIELDS) -> list[Gpu]:
    """Parse `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]` (rows whose first cell is not an
    index, such as a header or an error text, are skipped). Fields missing from `fields` read as unknown ("")."""
    names = fields.split(",")
    gpus = []
    for row in csv_text.splitlines():
        cells = [cell.strip() for cell in row.split(",")]
        if len(cells) > len(names) and "name" in names:
            # A GPU name with a comma: the extra cells belong to the name.
            at, extra = names.index("name"), len(cells) - len(names)
            cells[at : at + extra + 1] = [", ".join(cells[at : at + extra + 1])]
        if len(cells) != len(names) or not cells[0].isdigit():
            continue
        cell = dict(zip(names, cells, strict=True))
        capability = cell.get("compute_cap", "")
        gpus.append(
            Gpu(
                index=int(cell["index"]),
                uuid=cell.get("uuid", ""),
                name=cell.get("name", ""),
                memory_total_mib=_int(cell.get("memory.total", "")),
                memory_used_mib=_int(cell.get("memory.used", "")),
                utilization_percent=_int(cell.get("utilization.gpu", "")),
                compute_capability="" if capability.startswith("[") else capability,
                driver_version=cell.get("driver_version", ""),
            )
        )
    return gpus


@dataclass(frozen=True)
class GpuScan:
    """What looking for GPUs found: the GPUs, or in words why there are none."""

    gpus: list[Gpu]
    problem: str = ""


def _run_query(exe: str, fields: str) -> subprocess.CompletedProcess[str]:
    import subprocess

    return subprocess.run(
        [exe, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )


def scan_gpus() -> GpuScan:
    """The NVIDIA GPUs nvidia-smi reports, or why there are none (no driver, a driver that does not answer)."""
    import subprocess  # here: the window imports this module before its first frame, and runs nvidia-smi after it

    exe = shutil.which("nvidia-smi")
    if exe is None:
        return GpuScan([], "no NVIDIA driver found (nvidia-smi is not installed): install the NVIDIA driver")
    try:
        done = _run_query(exe, QUERY_FIELDS)
        fields = QUERY_FIELDS
        if done.returncode != 0 and "not a valid field" in done.stdout + done.stderr:
            done, fields = _run_query(exe, QUERY_FIELDS_OLD_DRIVER), QUERY_FIELDS_OLD_DRIVER
    except (OSError, subprocess.TimeoutExpired) as err:
        return GpuScan([], f"nvidia-smi did not answer ({err})")
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip().splitlines()
        return GpuScan([], f"nvidia-smi failed: {said[0] if said else f'exit code {done.returncode}'}")
    gpus = parse_nvidia_smi(done.stdout, fields)
    return GpuScan(gpus, "" if gpus else "the NVIDIA driver reports no GPU")


def detect_gpus() -> list[Gpu]:
    """The NVIDIA GPUs nvidia-smi reports; empty when there is no driver or no GPU."""
    return scan_gpus().gpus


@dataclass(frozen=True)
class GpuRuntime:
    """Whether the Docker engine can give a container an NVIDIA GPU (`docker info`, plus the toolkit's hook)."""

    nvidia_runtime: bool
    cdi_devices: tuple[str, ...]
    toolkit_hook: bool

    @property
    def ready(self) -> bool:
        return self.nvidia_runtime or self.toolkit_hook or any(d.startswith("nvidia.com/gpu") for d in self.cdi_devices)

    def explain(self) -> str:
        if not self.ready:
            return (
                "Docker has no NVIDIA runtime and no NVIDIA CDI devices: install the NVIDIA Container Toolkit, run "
                "`sudo nvidia-ctk runtime configure --runtime=docker` and restart Docker"
            )
        found = []
        if self.nvidia_runtime:
            found.append("the nvidia runtime")
        if self.toolkit_hook:
            found.append("the NVIDIA Container Toolkit's hook")
        if self.cdi_devices:
            found.append("CDI devices " + ", ".join(self.cdi_devices))
        return "Docker can give containers a GPU through " + " and ".join(found)


def gpu_runtime_from_info(info: Mapping, toolkit_hook: bool | None = None) -> GpuRuntime:
    """Read `docker info` (as the API returns it): `Runtimes` names `nvidia` when the toolkit registered its
    runtime; Docker 25+ lists CDI devices in `DiscoveredDevices`. Docker's `--gpus` also works through the
    toolkit's `nvidia-container-runtime-hook` on the engine's PATH, which `docker info` does not show: for a local
    engine, `toolkit_hook` None looks for it here."""
    runtimes = info.get("Runtimes") or {}
    devices = tuple(
        str(d.get("ID", "")) for d in info.get("DiscoveredDevices") or () if str(d.get("Source", "")) == "cdi"
    )
    if toolkit_hook is None:
        toolkit_hook = shutil.which("nvidia-container-runtime-hook") is not None
    return GpuRuntime(nvidia_runtime="nvidia" in runtimes, cdi_devices=devices, toolkit_hook=toolkit_hook)
