"""A lab's GPU server as a place: its Docker engine over SSH, its GPUs, its account, its storage.

Everything that belongs to the server is asked from the server: the account the container runs as (so results
belong to it), the GPUs (its nvidia-smi), the folders it sees (through the path map), the compiled mex files (a
named volume there, per image). The sort itself runs in the server's Docker and goes on when this computer sleeps.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Launch, Mount, PlaceError, Readiness, VolumeMount
from ks_gui.core.places.container_spec import MEX_CACHE_TARGET, ContainerSpec, spec_for
from ks_gui.core.places.docker_engine import connect
from ks_gui.core.places.docker_place import DockerPlace
from ks_gui.core.places.gpus import QUERY_FIELDS, Gpu, GpuScan, parse_nvidia_smi
from ks_gui.core.places.path_map import PathMap, nearest_existing
from ks_gui.core.places.ssh import SshShell, SshTarget, put_options_on_sdk_ssh

MEX_VOLUME_PURPOSE = "compiled mex files"


def mex_volume_name(image_short_id: str) -> str:
    return f"ks-gui-mex-{image_short_id}"


class ServerPlace(DockerPlace):
    form = PLACE_KINDS["ssh"].form
    runs_detached = True

    def __init__(self, target: SshTarget, path_map: PathMap, timeout: int = 60) -> None:
        self.target = target
        self.name = target.url
        self.title = f"{target.name} (server)"
        self.service = f"{target.name}'s Docker"
        self.path_map = path_map
        self.shell = SshShell(target)
        account = self.shell.run(["sh", "-c", "id -u; id -g"], timeout=timeout)  # fails in words when SSH does
        ids = account.stdout.split()
        if account.returncode != 0 or len(ids) != 2:
            raise PlaceError(f"{target.url}: cannot tell which account logs in ({account.stderr.strip()})")
        put_options_on_sdk_ssh()
        super().__init__(connect(timeout=timeout, base_url=target.docker_url()))
        # The container runs as the SSH account, so every file the sorter writes belongs to it on the server.
        self.uid, self.gid = int(ids[0]), int(ids[1])

    @classmethod
    def connect(cls, timeout: int = 60) -> DockerPlace:  # a server is opened with its address: see __init__
        raise TypeError("open a server with ServerPlace(target, path_map)")

    # --- what the server has ---------------------------------------------------------------------------------

    def scan_gpus(self) -> GpuScan:
        done = self.shell.run(["nvidia-smi", f"--query-gpu={QUERY_FIELDS}", "--format=csv,noheader,nounits"])
        if done.returncode == 127:
            return GpuScan([], f"{self.target.name} has no NVIDIA driver (nvidia-smi is not installed there)")
        if done.returncode != 0:
            said = (done.stdout + done.stderr).strip().splitlines()
            return GpuScan([], f"nvidia-smi on {self.target.name} failed: {said[0] if said else done.returncode}")
        gpus = parse_nvidia_smi(done.stdout)
        return GpuScan(gpus, "" if gpus else f"the NVIDIA driver on {self.target.name} reports no GPU")

    def gpus(self) -> list[Gpu]:
        return self.scan_gpus().gpus

    def readiness(self, image: str, thorough: bool = False) -> Readiness:
        info = self.engine.image(image)
        if info is None:
            return Readiness(
                problems=(
                    (
                        "image",
                        f"the image {image} is not on {self.target.name}: build it there first "
                        f"(ks-gui image build --on {self.target.url})",
                    ),
                )
            )
        return Readiness(gpu_required=info.gpu_required, image=info, mex_cache=Path(MEX_CACHE_TARGET))

    def launch_problems(self, launch: Launch) -> list[tuple[str, str]]:
        """The folders the container gets, as the server sees them: each must exist there, and those it writes
        (or the folder they will be made in) must be writable there."""
        checks = []  # (form field, local path, test flag)
        for mount in launch.mounts:
            field = "output" if mount.source in (launch.output, *launch.output.parents) else "recording"
            checks.append(
                (field, mount.source, "-e") if mount.read_only else (field, nearest_existing(mount.source), "-w")
            )
        script = " ; ".join(
            f"test -e {path} || echo {index} missing ; test {flag} {path} || echo {index} refused"
            for index, (_, local, flag) in enumerate(checks)
            for path in [shlex.quote(self.path_map.to_server(str(local)))]
        )
        done = self.shell.run(["sh", "-c", script])
        said = {tuple(line.split()) for line in done.stdout.splitlines()}
        problems = []
        for index, (field, local, _) in enumerate(checks):
            if (str(index), "missing") in said:
                problems.append((field, self._unseen(local)))
            elif (str(index), "refused") in said:
                there = self.path_map.to_server(str(local))
                problems.append((field, f"{self.target.name} cannot write into {there}: choose a folder it may write"))
        return problems

    def _unseen(self, local: Path) -> str:
        there = self.path_map.to_server(str(local))
        if there == str(local):
            return (
                f"{self.target.name} does not see {local}: put it on storage both machines share, or map the "
                "folder with --path-map LOCAL=SERVER"
            )
        return f"{self.target.name} does not see {local} (as {there} there): check the path map"

    def free_bytes(self, folder: str) -> int | None:
        """Free space in `folder` (a path on the server), or None when the server cannot tell."""
        done = self.shell.run(["sh", "-c", f"df -Pk {shlex.quote(folder)} | tail -n 1"])
        fields = done.stdout.split()
        if done.returncode != 0 or len(fields) < 4 or not fields[3].isdigit():
            return None
        return int(fields[3]) * 1024

    def make_folders(self, folders: list[Path]) -> None:
        """Make the run's folders on the server, so they belong to the account the container runs as."""
        paths = [self.path_map.to_server(str(folder)) for folder in folders]
        done = self.shell.run(["mkdir", "-p", "--", *paths])
        if done.returncode != 0:
            raise PlaceError(f"cannot make {', '.join(paths)} on {self.target.name}: {done.stderr.strip()}")

    # --- what runs there ---------------------------------------------------------------------------------------

    def container_spec(self, launch: Launch, readiness: Readiness) -> ContainerSpec:
        """The container with every path as the server sees it, the mex files in the server's named volume."""
        mounts = tuple(self._server_mount(mount) for mount in launch.mounts)
        volumes = launch.volumes
        if readiness.image is not None:
            name = mex_volume_name(readiness.image.short_id)
            volumes = (*volumes, VolumeMount(name, MEX_CACHE_TARGET, MEX_VOLUME_PURPOSE))
        server_launch = dataclasses.replace(
            launch,
            mounts=mounts,
            volumes=volumes,
            output=Path(self.path_map.to_server(str(launch.output))),
        )
        return spec_for(server_launch, self.user, None)

    def _server_mount(self, mount: Mount) -> Mount:
        source = self.path_map.to_server(str(mount.source))
        same_path = mount.target == str(mount.source)
        return Mount(Path(source), source if same_path else mount.target, mount.read_only)

    def start(self, launch: Launch, readiness: Readiness):
        return self.engine.start(self.container_spec(launch, readiness))

    def found_runs(self) -> list[FoundRun]:
        return [
            dataclasses.replace(found, output=self.path_map.to_local(found.output), place=self.name)
            for found in self.engine.launched_containers(uid=self.uid)
        ]
