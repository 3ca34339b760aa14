"""The Python environment the app manages for Kilosort 4 (the `local` place): where it is, whether it works,
and how to create or repair it with venv and pip, with the torch build that fits the machine.

torch is installed first, pinned: an unpinned `torch` from PyPI is a CUDA build of several GB, which a machine
without an NVIDIA GPU does not need. With a GPU, PyPI's torch (a CUDA build) is the right one; without, the CPU
build comes from PyTorch's CPU index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ks_gui.core.places.gpus import Gpu
from ks_gui.core.places.kilosort4_folder import ENV_VARIABLE, env_dir, env_python  # noqa: F401 (also this module's)
from ks_gui.core.places.local_process import LocalRun, LocalSpec

TORCH_INDEX_VARIABLE = "KS_GUI_TORCH_INDEX"  # where the CPU build of torch comes from ("" = the default index)
TORCH_VERSION = "2.13.0"
KILOSORT_VERSION = "4.1.7"
SPIKEINTERFACE_VERSION = "0.105.3"  # the quality stage after each sort (ks_gui/drivers/ks_gui_quality.py)
PANDAS_VERSION = "3.1.1"  # SpikeInterface's metrics and Bombcell's labels are DataFrames (Kilosort brings the rest)
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
_CHECK_TIMEOUT_S = 180  # importing torch the first time after an install can take a while

# Run by the environment's python before each sort: what is installed, from the packages' metadata alone (importing
# torch takes seconds, which every sort would pay again). A CUDA build of torch: "+cu…" in its version, or PyPI's
# Linux build, which depends on NVIDIA's CUDA runtime package.
_QUICK_PROBE = """
import json, platform
from importlib.metadata import PackageNotFoundError, distributions, version
found = {"python": platform.python_version()}
for name in ("torch", "kilosort"):
    try:
        found[name] = version(name)
    except PackageNotFoundError as err:
        found[f"{name}_error"] = f"{name} is not installed"
torch = found.get("torch", "")
nvidia = any((d.metadata["Name"] or "").lower().startswith("nvidia-cuda-runtime") for d in distributions())
found["cuda"] = "+cpu" not in torch and ("+cu" in torch or nvidia)
print(json.dumps(found))
"""

# Run by the environment's python after an install: everything imports, and whether torch sees a GPU.
_PROBE = """
import json, platform
found = {"python": platform.python_version()}
try:
    import torch
    found["torch"] = torch.__version__
    found["cuda"] = bool(torch.cuda.is_available())
    found["torch_cuda"] = torch.version.cuda
except Exception as err:
    found["torch_error"] = f"{type(err).__name__}: {err}"
try:
    from importlib.metadata import version
    import kilosort
    found["kilosort"] = version("kilosort")
except Exception as err:
    found["kilosort_error"] = f"{type(err).__name__}: {err}"
print(json.dumps(found))
"""


@dataclass(frozen=True)
class EnvStatus:
    """What the environment holds; `problem` says, for the user, why it cannot sort (empty when it can)."""

    folder: Path
    python_version: str | None = None
    kilosort: str | None = None
    torch: str | None = None
    cuda: bool = False
    problem: str = ""

    @property
    def ready(self) -> bool:
        return not self.problem

    @property
    def python(self) -> Path:
        return env_python(self.folder)

    def versions(self) -> dict:
        """For the run's provenance, in place of an image."""
        return {
            "path": str(self.folder),
            "python": self.python_version,
            "kilosort": self.kilosort,
            "torch": self.torch,
            "cuda": self.cuda,
        }

    def describe(self) -> str:
        if not self.ready:
            return self.problem
        build = "CUDA" if self.cuda else "CPU"
        return f"Kilosort {self.kilosort}, torch {self.torch} ({build}), Python {self.python_version} in {self.folder}"


def _install_hint(folder: Path) -> str:
    return f"install it from the window or with `ks-gui install kilosort4` ({folder})"


def check(folder: Path | None = None, thorough: bool = True) -> EnvStatus:
    """Ask the environment's own python what it has (never imports torch into this process). `thorough` imports
    torch and kilosort there (seconds); otherwise the packages' metadata is read (a fraction of a second)."""
    folder = env_dir() if folder is None else folder
    python = env_python(folder)
    if not python.exists():
        return EnvStatus(folder, problem=f"Kilosort 4 is not installed: {_install_hint(folder)}")
    try:
        done = subprocess.run(
            [str(python), "-c", _PROBE if thorough else _QUICK_PROBE],
            capture_output=True,
            text=True,
            timeout=_CHECK_TIMEOUT_S,
            check=False,
        )
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return EnvStatus(
            folder, problem=f"the Kilosort 4 environment does not start: repair it; {_install_hint(folder)}"
        )
    status = EnvStatus(
        folder,
        python_version=found.get("python"),
        kilosort=found.get("kilosort"),
        torch=found.get("torch"),
        cuda=bool(found.get("cuda")),
    )
    missing = [name for name in ("torch", "kilosort") if f"{name}_error" in found]
    if missing:
        detail = found.get(f"{missing[0]}_error", "")
        return EnvStatus(
            folder,
            status.python_version,
            status.kilosort,
            status.torch,
            status.cuda,
            problem=f"the Kilosort 4 environment lacks a working {missing[0]} ({detail}): repair it; "
            + _install_hint(folder),
        )
    return status


# --- installing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallStep:
    title: str
    command: list[str]


def torch_build(gpus: list[Gpu]) -> str:
    """ "cuda" when the machine has an NVIDIA GPU, else "cpu"."""
    return "cuda" if gpus else "cpu"


def install_plan(folder: Path, gpus: list[Gpu], torch_index: str | None = None) -> list[InstallStep]:
    """The commands that create (or repair) the environment. `torch_index` None: the default for the build."""
    python = str(env_python(folder))
    steps = []
    if not env_python(folder).exists():
        steps.append(InstallStep("Creating the environment", [sys.executable, "-m", "venv", str(folder)]))
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
    build = torch_build(gpus)
    if torch_index is None:
        torch_index = os.environ.get(TORCH_INDEX_VARIABLE, CPU_TORCH_INDEX if build == "cpu" else "")
    index = ["--extra-index-url", torch_index] if torch_index else []
    steps.append(
        InstallStep(
            f"Installing torch {TORCH_VERSION} ({build.upper()} build)", [*pip, *index, f"torch=={TORCH_VERSION}"]
        )
    )
    steps.append(InstallStep(f"Installing Kilosort {KILOSORT_VERSION}", [*pip, f"kilosort=={KILOSORT_VERSION}"]))
    steps.append(
        InstallStep(
            f"Installing SpikeInterface {SPIKEINTERFACE_VERSION} (quality metrics)",
            [*pip, f"spikeinterface=={SPIKEINTERFACE_VERSION}", f"pandas=={PANDAS_VERSION}"],
        )
    )
    return steps


@dataclass(frozen=True)
class InstallProgress:
    """Step `step` (1-based) of `steps` is running; `line` is what it just printed ("" when it begins)."""

    step: int
    steps: int
    title: str
    line: str = ""


@dataclass(frozen=True)
class InstallOutcome:
    succeeded: bool
    cancelled: bool
    status: EnvStatus
    message: str


class Installer:
    """Runs an install plan step by step; `events()` yields InstallProgress and ends with an InstallOutcome.
    `cancel()` (from any thread) stops the running step; a later install repairs what was left half-done."""

    def __init__(self, folder: Path, plan: list[InstallStep]) -> None:
        self.folder = folder
        self.plan = plan
        self._cancelled = threading.Event()
        self._current: LocalRun | None = None
        self._lock = threading.Lock()

    def events(self) -> Iterator[InstallProgress | InstallOutcome]:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        for number, step in enumerate(self.plan, start=1):
            if self._cancelled.is_set():
                break
            yield InstallProgress(number, len(self.plan), step.title)
            with self._lock:
                self._current = LocalRun(LocalSpec(step.command, {"PYTHONUNBUFFERED": "1"}))
            tail: list[str] = []
            for line in self._current.lines():
                if line.text.strip():
                    tail = [*tail[-19:], line.text]
                    yield InstallProgress(number, len(self.plan), step.title, line.text)
            code = self._current.wait()
            self._current.remove()
            if self._cancelled.is_set():
                break
            if code != 0:
                last = next((t for t in reversed(tail) if "error" in t.lower()), tail[-1] if tail else "")
                yield InstallOutcome(
                    False, False, check(self.folder), f"{step.title} failed (exit code {code}): {last}"
                )
                return
        if self._cancelled.is_set():
            yield InstallOutcome(False, True, check(self.folder), "Cancelled: install again to finish the environment")
            return
        status = check(self.folder)
        message = f"Installed: {status.describe()}" if status.ready else status.problem
        yield InstallOutcome(status.ready, False, status, message)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            if self._current is not None:
                self._current.stop(timeout=5)
