"""What runs a sort on a cluster's node (a choice per cluster): Kilosort 4 in a Python environment on shared
storage, a container through Apptainer (from a SIF built from our images), or Docker where the node allows it.
Each turns a Launch into the command the batch script ends with."""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from ks_gui.core.places.base import Form, Launch, Mount, Readiness
from ks_gui.core.places.container_spec import MEX_CACHE_TARGET, spec_for
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.places.shell import Shell
from ks_gui.drivers import QUALITY_DRIVER, driver_path

# Where the Kilosort 2.5 image writes whoever runs it (MATLAB's prefs, its licensing cache): a read-only SIF needs
# a writable layer there (docker/CONTRACT.md, User).
APPTAINER_WRITABLE = "--writable-tmpfs"


@dataclass(frozen=True)
class NodeCommand:
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    preamble: tuple[str, ...] = ()  # shell lines before it, as written (they may read SLURM's own variables)


class NodeRunner(Protocol):
    @property
    def form(self) -> Form: ...  # read-only: the runners are frozen dataclasses

    def problems(self, shell: Shell, image: str) -> list[str]: ...

    def prepare(self, folder: Path) -> None:
        """Put what the node needs beside the job file (`folder`: the run's folder, on the shared storage)."""
        ...

    def command(self, launch: Launch, path_map: PathMap, readiness: Readiness) -> NodeCommand: ...

    def record(self) -> dict | None: ...

    def describe(self) -> str: ...


def _container_mounts(launch: Launch, path_map: PathMap) -> list[Mount]:
    """The launch's folders as the node sees them, and the job's own mex folder (prepare() made it)."""
    mex = Path(path_map.to_server(str(launch.output / ".ks-gui" / "mex")))
    return [*_mapped(launch.mounts, path_map), Mount(mex, MEX_CACHE_TARGET, False)]


def _mapped(mounts: tuple[Mount, ...], path_map: PathMap) -> list[Mount]:
    """The launch's folders as the node sees them (a same-path mount keeps its path there)."""
    mapped = []
    for mount in mounts:
        source = path_map.to_server(str(mount.source))
        mapped.append(
            Mount(Path(source), source if mount.target == str(mount.source) else mount.target, mount.read_only)
        )
    return mapped


@dataclass(frozen=True)
class PythonEnvRunner:
    """The driver run by a Python environment's python on the node (`ks-gui install kilosort4 --into PATH` makes
    one on shared storage). The driver is copied beside the job file: ks-gui itself need not be on the node."""

    environment_path: str
    form: Form = "python"

    @property
    def python(self) -> str:
        return f"{self.environment_path.rstrip('/')}/bin/python"

    def problems(self, shell: Shell, image: str) -> list[str]:
        if shell.run(["test", "-x", self.python]).returncode != 0:
            return [
                f"no Python environment at {self.environment_path} on the cluster: make one there with "
                f"ks-gui install kilosort4 --into {self.environment_path}"
            ]
        return []

    def prepare(self, folder: Path) -> None:
        # The driver and the quality stage's program beside the job file, where the node sees them (the app itself
        # may not be installed there).
        for name in ("ks_gui_kilosort4.py", QUALITY_DRIVER):
            shutil.copyfile(driver_path(name), folder / name)

    def command(self, launch: Launch, path_map: PathMap, readiness: Readiness) -> NodeCommand:
        driver = path_map.to_server(str(launch.output / ".ks-gui" / Path(driver_path(launch.driver)).name))
        environment = {**launch.environment, "MPLBACKEND": "Agg"}
        return NodeCommand([self.python, driver, *launch.command], environment)

    def record(self) -> dict:
        return {"path": self.environment_path, "runs": "python"}

    def describe(self) -> str:
        return f"the Python environment {self.environment_path} on the node"


@dataclass(frozen=True)
class DockerRunner:
    """`docker run` on the node, as the job's own user (its uid and gid, asked there)."""

    form: Form = "container"

    def problems(self, shell: Shell, image: str) -> list[str]:
        return []  # the node's Docker is only reached from the node

    def prepare(self, folder: Path) -> None:
        pass  # the place made its mex folder beside the job file

    def command(self, launch: Launch, path_map: PathMap, readiness: Readiness) -> NodeCommand:
        node_launch = replace(launch, mounts=tuple(_container_mounts(launch, path_map)), gpu=None)
        spec = spec_for(node_launch, "${KS_GUI_USER}", None)
        # No ks-gui labels: the launcher follows the job, not the container (a Docker place must not claim it).
        spec = replace(spec, labels={})
        words = shlex.split(spec.docker_run_command())
        words[words.index("--user") + 1] = '"$(id -u):$(id -g)"'  # the job's own user on the node
        line = " ".join(word if word.startswith('"$(') else shlex.quote(word) for word in words)
        return NodeCommand(["sh", "-c", f"exec {line}"])

    def record(self) -> dict:
        return {"runs": "docker on the node"}

    def describe(self) -> str:
        return "Docker on the node"


@dataclass(frozen=True)
class ApptainerRunner:
    """`apptainer run` of a SIF built from our images: --nv for the node's GPU, restricted to the one SLURM gave;
    --cleanenv with the sort's variables passed one by one; the recording bound read-only, the output read-write."""

    sif: str
    form: Form = "container"

    def problems(self, shell: Shell, image: str) -> list[str]:
        if shell.run(["test", "-r", self.sif]).returncode != 0:
            return [f"no Apptainer image at {self.sif} on the cluster: build it with ks-gui image sif"]
        return []

    def prepare(self, folder: Path) -> None:
        pass  # the place made its mex folder beside the job file

    def command(self, launch: Launch, path_map: PathMap, readiness: Readiness) -> NodeCommand:
        return NodeCommand(
            apptainer_command(launch, path_map, self.sif),
            # The GPU SLURM gave is the only one the container sees (--cleanenv passes APPTAINERENV_* alone).
            preamble=('export APPTAINERENV_CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"',),
        )

    def record(self) -> dict:
        return {"sif": self.sif, "runs": "apptainer"}

    def describe(self) -> str:
        return f"Apptainer with {self.sif}"


def apptainer_command(launch: Launch, path_map: PathMap, sif: str) -> list[str]:
    command = ["apptainer", "run", "--nv", "--cleanenv", APPTAINER_WRITABLE]
    for mount in _container_mounts(launch, path_map):
        command += ["--bind", f"{mount.source}:{mount.target}:{'ro' if mount.read_only else 'rw'}"]
    for key, value in sorted(launch.environment.items()):
        command += ["--env", f"{key}={value}"]
    return [*command, sif, *launch.command]


def sif_build_command(image: str, sif: str) -> list[str]:
    """A SIF from an image in this computer's Docker (`docker-daemon:`, one colon after it)."""
    return ["apptainer", "build", sif, f"docker-daemon:{image}"]
