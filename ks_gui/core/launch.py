"""A job as its place starts it: the sorter's command on the job file, the folders it reads and writes, the license's
files and variables, the GPU. Plain data (places/base.py Launch): the place decides how to run it."""

from __future__ import annotations

from ks_gui.core.ground.contract import job_file
from ks_gui.core.job import SortJob
from ks_gui.core.license import (
    CONTAINER_LICENSE_PATH,
    SIGNIN_CACHE_PATH,
    SIGNIN_VOLUME_PURPOSE,
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
from ks_gui.core.places.base import Launch, Mount, VolumeMount
from ks_gui.core.places.path_map import PathMap


def launch_for(job: SortJob, path_map: PathMap | None = None) -> Launch:
    """What the place starts for `job`: the sorter's command on the job file (named as the place sees it), the
    recording read-only and the output read-write at their own paths, the license's files and variables."""
    mounts = [Mount(job.recording.folder, str(job.recording.folder), True), Mount(job.output, str(job.output), False)]
    temp_folder = job.temp_file.parent
    if temp_folder != job.output and job.output not in temp_folder.parents:
        mounts.append(Mount(temp_folder, str(temp_folder), False))
    license = job.license
    if isinstance(license, LicenseFile):
        mounts.append(Mount(license.path, CONTAINER_LICENSE_PATH, True))
    mounts += job.extra_mounts
    environment = dict(job.environment)
    if license is not None:
        environment.update(container_environment(license))
    command = job.sorter.command((path_map or PathMap()).to_server(str(job_file(job.output))))
    entrypoint = None
    if isinstance(license, BatchToken):
        entrypoint, command = matlab_batch_invocation(command)
    volumes = (
        (VolumeMount(signin_volume_name(), SIGNIN_CACHE_PATH, SIGNIN_VOLUME_PURPOSE),) if keeps_signin(license) else ()
    )
    return Launch(
        job_id=job.job_id,
        output=job.output,
        command=command,
        image=job.image,
        driver=job.sorter.driver,
        environment=environment,
        mounts=tuple(mounts),
        gpu=job.gpu,
        cpu_only=job.cpu_only,
        stdin_open=needs_stdin(license),
        mac_address=mac_address(license),
        entrypoint=entrypoint,
        volumes=volumes,
        secret_environment=secret_environment(license),
        # Only a MATLAB license (a server, a sign-in, a token, a node-locked file's MAC) needs the network.
        network=license is not None,
    )
