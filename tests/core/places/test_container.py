import os
import shlex
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import LABEL_JOB, LABEL_OUTPUT
from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.license import parse_license
from ks_gui.core.places.base import Mount
from ks_gui.core.places.container_spec import spec_for
from ks_gui.core.places.gpus import parse_nvidia_smi
from ks_gui.core.recordings.inspection import inspect
from tests.conftest import write_recording


def spec_for_job(job: SortJob, mex_cache: Path):
    """The container this computer's Docker would create for `job`, run as the invoking user."""
    return spec_for(launch_for(job), f"{os.getuid()}:{os.getgid()}", mex_cache)


def make_job(tmp_path: Path, license: str) -> SortJob:
    rec = write_recording(tmp_path / "data" / "rec", seconds=1)
    return SortJob(
        recording=inspect(rec.folder),
        output=tmp_path / "results",
        license=parse_license(license),
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
        temp_dir=tmp_path / "fast",
        environment={"HTTPS_PROXY": "http://proxy:3128"},
    )


def test_same_path_mounts_and_read_only_recording(tmp_path: Path):
    job = make_job(tmp_path, "server:27000@lic")
    spec = spec_for_job(job, tmp_path / "cache" / "mex" / "abc")
    mounts = {m.target: m for m in spec.mounts}
    assert mounts[str(job.recording.folder)].read_only
    assert mounts[str(job.recording.folder)].source == job.recording.folder
    assert not mounts[str(job.output)].read_only
    assert not mounts[str(tmp_path / "fast")].read_only  # the temp file's own folder
    assert not mounts[str(tmp_path / "cache" / "mex" / "abc")].read_only
    assert spec.environment == {"HTTPS_PROXY": "http://proxy:3128", "MLM_LICENSE_FILE": "27000@lic"}
    assert spec.user == f"{os.getuid()}:{os.getgid()}"
    assert spec.labels[LABEL_JOB] == job.job_id and spec.labels[LABEL_OUTPUT] == str(job.output)
    assert spec.command == ["-batch", f"ks_gui_run('{job.output}/.ks-gui/job.json')"]
    assert spec.device_requests == [] and not spec.stdin_open
    assert "/var/run/docker.sock" not in {m.target for m in spec.mounts}


def test_license_file_is_mounted_read_only(tmp_path: Path):
    lic = tmp_path / "network.lic"
    lic.write_text("SERVER lic 0 27000\n")
    spec = spec_for_job(make_job(tmp_path, f"file:{lic}"), tmp_path / "mex")
    (mount,) = [m for m in spec.mounts if m.source == lic]
    assert mount.read_only and mount.target == "/licenses/license.lic"
    assert spec.environment["MLM_LICENSE_FILE"] == "/licenses/license.lic"


def test_account_sign_in_opens_stdin_and_gpu_by_uuid(tmp_path: Path):
    job = make_job(tmp_path, "account:ada@example.org")
    job.gpu = parse_nvidia_smi("1, GPU-7a9d, NVIDIA RTX A6000, 49140, 4, 0, 8.6, 550.54.15\n")[0]
    spec = spec_for_job(job, tmp_path / "mex")
    assert spec.stdin_open
    assert "MLM_LICENSE_FILE" not in spec.environment
    assert [r.device_ids for r in spec.device_requests] == [("GPU-7a9d",)]


def test_docker_run_line_says_the_same(tmp_path: Path):
    job = make_job(tmp_path, "server:27000@lic")
    job.gpu = parse_nvidia_smi("0, GPU-a, NVIDIA RTX A6000, 49140, 4, 0, 8.6, 550.54.15\n")[0]
    spec = spec_for_job(job, tmp_path / "mex")
    words = shlex.split(spec.docker_run_command())
    assert words[:3] == ["docker", "run", "--rm"]
    assert words[words.index("--gpus") + 1] == '"device=GPU-a"'
    assert f"type=bind,source={job.recording.folder},target={job.recording.folder},readonly" in words
    assert words[-3:] == [spec.image, "-batch", spec.command[1]]


def test_extra_mounts(tmp_path: Path):
    from ks_gui.core.mounts import MountError, parse_mount

    probes = tmp_path / "probes"
    probes.mkdir()
    assert parse_mount(str(probes)) == Mount(probes, str(probes), read_only=False)
    assert parse_mount(f"{probes}:/probes:ro") == Mount(probes, "/probes", read_only=True)
    for text, words in (
        (f"{tmp_path}/none", "does not exist"),
        (f"{probes}:probes", "must be absolute"),
        ("/var/run/docker.sock", "never given"),
        (f"{probes}:/a:/b", "is not SRC"),
    ):
        if text == "/var/run/docker.sock" and not Path(text).exists():
            text = f"{probes}:/var/run/docker.sock"
        with pytest.raises(MountError, match=words):
            parse_mount(text)
    job = make_job(tmp_path, "server:27000@lic")
    job.extra_mounts = (parse_mount(f"{probes}:/probes:ro"),)
    assert Mount(probes, "/probes", read_only=True) in spec_for_job(job, tmp_path / "mex").mounts
