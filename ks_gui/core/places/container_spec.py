"""The container a job runs in, described as plain data before anything is started."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_JOB, LABEL_OUTPUT, job_file
from ks_gui.core.job import Mount, SortJob
from ks_gui.core.license import (
    CONTAINER_LICENSE_PATH,
    SIGNIN_CACHE_PATH,
    BatchToken,
    LicenseFile,
    container_environment,
    keeps_signin,
    mac_address,
    matlab_batch_invocation,
    needs_stdin,
    secret_environment,
    signin_volume_name,
)
from ks_gui.core.locations import mex_cache_dir
from ks_gui.core.places.images import ImageInfo

# The MATLAB image's documentation asks for at least 512 MB of /dev/shm.
SHM_SIZE = "512m"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvironmentVariableError(ValueError):
    """An environment assignment that is not KEY=VALUE; the message is for the user."""


class MountError(ValueError):
    """An extra mount that cannot be given to the container; the message is for the user."""


DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Named volumes the launcher creates carry this label (value: what the volume is for), so Storage can list them.
LABEL_VOLUME = "ks-gui.volume"
SIGNIN_VOLUME_PURPOSE = "matlab-signin"


def parse_mount(text: str) -> Mount:
    """`SRC[:DST][:ro]`: a folder of this machine, at DST inside the container (default: the same path)."""
    parts = text.split(":")
    read_only = parts[-1] == "ro"
    if read_only or parts[-1] == "rw":
        parts = parts[:-1]
    if not parts or len(parts) > 2 or not parts[0]:
        raise MountError(f"--mount {text!r} is not SRC[:DST][:ro]")
    source = Path(parts[0]).expanduser().absolute()
    target = parts[1] if len(parts) == 2 and parts[1] else str(source)
    if not source.exists():
        raise MountError(f"--mount {text!r}: {source} does not exist")
    if not target.startswith("/"):
        raise MountError(f"--mount {text!r}: the path inside the container must be absolute, not {target!r}")
    if str(source.resolve()) in DOCKER_SOCKETS or target in DOCKER_SOCKETS:
        raise MountError("the Docker socket is never given to a sorter's container")
    return Mount(source=source, target=target, read_only=read_only)


def parse_environment(assignments: list[str]) -> dict[str, str]:
    """`["HTTPS_PROXY=http://proxy:3128", ...]` as a dict, for variables passed to the container."""
    environment = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not _VARIABLE_NAME.match(key):
            raise EnvironmentVariableError(f"--env {text!r} is not KEY=VALUE")
        environment[key] = value
    return environment


@dataclass(frozen=True)
class DeviceRequestSpec:
    device_ids: tuple[str, ...]
    capabilities: tuple[tuple[str, ...], ...] = (("gpu",),)


@dataclass(frozen=True)
class VolumeMount:
    """A named Docker volume of the user's, mounted read-write. The engine creates it (labelled with `purpose`) when
    it is missing and hands its top folder to the container's user, since the container does not run as root."""

    name: str
    target: str
    purpose: str


@dataclass(frozen=True)
class ContainerSpec:
    image: str
    command: list[str]
    environment: dict[str, str]
    mounts: list[Mount]
    device_requests: list[DeviceRequestSpec]
    shm_size: str
    user: str
    labels: dict[str, str]
    stdin_open: bool
    mac_address: str | None = None
    entrypoint: list[str] | None = None
    # Secret variables (a batch token): given to the engine at create time only; shown by name, never by value.
    secret_environment: dict[str, str] = field(default_factory=dict, repr=False)
    volumes: list[VolumeMount] = field(default_factory=list)

    def to_json(self) -> dict:
        document = {
            "image": self.image,
            "command": self.command,
            "environment": self.environment,
            "mounts": [{"source": str(m.source), "target": m.target, "read_only": m.read_only} for m in self.mounts],
            "device_requests": [
                {"device_ids": list(r.device_ids), "capabilities": [list(c) for c in r.capabilities]}
                for r in self.device_requests
            ],
            "shm_size": self.shm_size,
            "user": self.user,
            "labels": self.labels,
            "stdin_open": self.stdin_open,
            "mac_address": self.mac_address,
        }
        # Shown only when used (a batch token): the entrypoint, and the secret variables by name, never by value.
        if self.entrypoint:
            document["entrypoint"] = self.entrypoint
        if self.secret_environment:
            document["secret_environment"] = sorted(self.secret_environment)
        if self.volumes:
            document["volumes"] = [{"name": v.name, "target": v.target, "purpose": v.purpose} for v in self.volumes]
        return document

    def docker_run_command(self) -> str:
        """The equivalent `docker run` command line, for users who want to see or reproduce it."""
        args = ["docker", "run", "--rm"]
        if self.stdin_open:
            args.append("-i")
        for request in self.device_requests:
            args += ["--gpus", f'"device={",".join(request.device_ids)}"']
        args += ["--shm-size", self.shm_size, "--user", self.user]
        if self.mac_address:
            args += ["--mac-address", self.mac_address]
        if self.entrypoint:
            args += ["--entrypoint", shlex.join(self.entrypoint)]
        for key, value in self.labels.items():
            args += ["--label", f"{key}={value}"]
        for key, value in self.environment.items():
            args += ["--env", f"{key}={value}"]
        for key in sorted(self.secret_environment):
            args += ["--env", key]  # `--env NAME` takes the value from the caller's environment: it is not shown
        for mount in self.mounts:
            spec = f"type=bind,source={mount.source},target={mount.target}"
            args += ["--mount", spec + (",readonly" if mount.read_only else "")]
        for volume in self.volumes:
            args += ["--mount", f"type=volume,source={volume.name},target={volume.target}"]
        args.append(self.image)
        args += self.command
        return shlex.join(args)


def _same_path(folder: Path, read_only: bool) -> Mount:
    return Mount(source=folder, target=str(folder), read_only=read_only)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def spec_for(job: SortJob, mex_cache: Path) -> ContainerSpec:
    """The container for `job`: same-path mounts, its license, its GPU, run as the invoking user."""
    mounts = [_same_path(job.recording.folder, read_only=True), _same_path(job.output, read_only=False)]
    temp_folder = job.temp_file.parent
    if not _inside(temp_folder, job.output):
        mounts.append(_same_path(temp_folder, read_only=False))
    mounts.append(_same_path(mex_cache, read_only=False))
    if isinstance(job.license, LicenseFile):
        mounts.append(Mount(source=job.license.path, target=CONTAINER_LICENSE_PATH, read_only=True))
    mounts += job.extra_mounts

    environment = dict(job.environment)
    if job.license is not None:
        environment.update(container_environment(job.license))

    devices = []
    if job.gpu is not None:
        devices.append(DeviceRequestSpec(device_ids=(job.gpu.uuid or str(job.gpu.index),)))

    volumes = []
    if keeps_signin(job.license):
        volumes.append(VolumeMount(signin_volume_name(), SIGNIN_CACHE_PATH, SIGNIN_VOLUME_PURPOSE))

    command = job.sorter.command(str(job_file(job.output)))
    entrypoint = None
    if isinstance(job.license, BatchToken):
        entrypoint, command = matlab_batch_invocation(command)

    return ContainerSpec(
        image=job.image,
        command=command,
        environment=environment,
        mounts=mounts,
        device_requests=devices,
        shm_size=SHM_SIZE,
        user=f"{os.getuid()}:{os.getgid()}",
        labels={LABEL_JOB: job.job_id, LABEL_OUTPUT: str(job.output), LABEL_CONTRACT: str(CONTRACT_VERSION)},
        stdin_open=needs_stdin(job.license),
        mac_address=mac_address(job.license),
        entrypoint=entrypoint,
        secret_environment=secret_environment(job.license),
        volumes=volumes,
    )


def planned_spec(job: SortJob, image: ImageInfo | None) -> tuple[ContainerSpec, Path]:
    """The container `job` would get and its mex cache folder, also before its image is built (dry runs)."""
    mex_cache = mex_cache_dir((image or ImageInfo(name=job.image, id="not-on-this-machine")).short_id)
    return spec_for(job, mex_cache), mex_cache
