"""The container a Launch runs in, described as plain data before anything is started."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_JOB, LABEL_OUTPUT
from ks_gui.core.places.base import Launch, Mount, VolumeMount

# The MATLAB image's documentation asks for at least 512 MB of /dev/shm.
SHM_SIZE = "512m"

# Where a container sees the compiled mex files when they are not kept at the same path as here (a server's named
# volume, a cluster job's folder).
MEX_CACHE_TARGET = "/ks-gui/mex-cache"

# Named volumes the launcher creates carry this label (value: what the volume is for), so Storage can list them.
LABEL_VOLUME = "ks-gui.volume"


@dataclass(frozen=True)
class DeviceRequestSpec:
    device_ids: tuple[str, ...]
    capabilities: tuple[tuple[str, ...], ...] = (("gpu",),)


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
    network: bool = True  # False: the container has no network at all (`--network none`)

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
            "network": "default" if self.network else "none",
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
        if not self.network:
            args += ["--network", "none"]
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


def spec_for(launch: Launch, user: str, mex_cache: Path | None) -> ContainerSpec:
    """The container for `launch`, run as `user` (UID:GID) with the image's mex cache folder when it has one."""
    mounts = list(launch.mounts)
    if mex_cache is not None:
        mounts.append(_same_path(mex_cache, read_only=False))
    devices = []
    if launch.gpu is not None:
        devices.append(DeviceRequestSpec(device_ids=(launch.gpu.uuid or str(launch.gpu.index),)))
    return ContainerSpec(
        image=launch.image,
        command=list(launch.command),
        environment=dict(launch.environment),
        mounts=mounts,
        device_requests=devices,
        shm_size=SHM_SIZE,
        user=user,
        labels={LABEL_JOB: launch.job_id, LABEL_OUTPUT: str(launch.output), LABEL_CONTRACT: str(CONTRACT_VERSION)},
        stdin_open=launch.stdin_open,
        mac_address=launch.mac_address,
        entrypoint=launch.entrypoint,
        secret_environment=dict(launch.secret_environment),
        volumes=list(launch.volumes),
        network=launch.network,
    )


# Secret variables reach the container on its stdin, never in its config (`docker inspect` shows a container's
# environment to every member of the docker group for as long as it exists): a shell reads each value from a line,
# exports it, and runs the real entrypoint.
_READ_SECRETS = "IFS= read -r {name} || exit 125; export {name}; "


def secrets_on_stdin(spec: ContainerSpec) -> tuple[list[str], list[str], str]:
    """The entrypoint and command that read `spec.secret_environment` from stdin before running `spec`'s own
    entrypoint and command, and the text to send (one value a line). The spec's own stdin (account sign-in) stays
    open after the secrets; otherwise the sorter gets none."""
    if not spec.entrypoint:
        raise ValueError("secret variables need the spec's entrypoint, to run it after reading them")
    names = sorted(spec.secret_environment)
    if any("\n" in spec.secret_environment[name] for name in names):
        raise ValueError("a secret value cannot hold a line end")
    script = "".join(_READ_SECRETS.format(name=name) for name in names)
    script += 'exec "$@"' if spec.stdin_open else 'exec "$@" </dev/null'
    text = "".join(f"{spec.secret_environment[name]}\n" for name in names)
    return ["/bin/sh", "-c", script, "ks-gui"], [*spec.entrypoint, *spec.command], text
