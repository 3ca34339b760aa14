"""A folder given to the container where it would hide one the image needs (`/`, `/usr`, `/etc`, the image's own
folders) is refused in one sentence before anything starts (issue 20); one below such a folder is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SIM_IMAGE, build_image, run_cli, sim_sort_args

pytestmark = pytest.mark.engine

NOT_BUILT = "ks-gui/not-built:latest"  # where a refusal could fail to come, the sort still could not start


def refused(done, words: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ks-gui: ") and words in lines[0], lines[0]
    assert "is not on this machine" not in lines[0]


def sort_args(recording, tmp_path: Path, *extra: str) -> list[str]:
    args = sim_sort_args(recording.folder, tmp_path / "out", *extra)
    args[args.index("--image") + 1] = NOT_BUILT
    return args


def test_temp_dir_etc(recording, tmp_path, count_containers):
    done = run_cli(*sort_args(recording, tmp_path, "--temp-dir", "/etc"))
    refused(done, "the temp folder /etc would hide the container's own /etc: choose a folder elsewhere (--temp-dir)")
    assert not Path("/etc/temp_wh.dat").exists()


def test_mount_root(recording, tmp_path, count_containers):
    refused(run_cli(*sort_args(recording, tmp_path, "--mount", "/")), "the mount / would hide the container's own /")


def test_mount_usr(recording, tmp_path, count_containers):
    refused(run_cli(*sort_args(recording, tmp_path, "--mount", "/usr")), "the mount /usr would hide")


def test_mount_bin_at_bin(recording, tmp_path, count_containers):
    refused(run_cli(*sort_args(recording, tmp_path, "--mount", "/bin:/bin")), "the mount /bin would hide")


@pytest.mark.parametrize(
    ("target", "hidden"),
    [
        ("/opt", "/opt/ks-gui, which is inside it"),
        ("/lib64", "/lib64"),
        ("/home", "/home/matlab, which is inside it"),
        ("/proc", "/proc"),
        ("/sys:ro", "/sys"),
        ("/dev/", "/dev"),
        ("/usr/local", "/usr/local/bin, which is inside it"),
        ("/opt/ks-gui", "/opt/ks-gui"),
        ("/opt/conda", "/opt/conda"),
        ("/srv/../etc", "/etc"),
    ],
    ids=["opt", "lib64", "home", "proc", "sys-ro", "dev-slash", "usr-local", "install", "conda", "dotdot-etc"],
)
def test_mount_hiding_a_needed_folder(recording, tmp_path, count_containers, target, hidden):
    source = tmp_path / "extra"
    source.mkdir()
    done = run_cli(*sort_args(recording, tmp_path, "--mount", f"{source}:{target}"))
    refused(done, f"would hide the container's own {hidden}")
    assert done.stderr.rstrip().endswith("(--mount)")


def test_output_at_the_root(recording, tmp_path, count_containers):
    refused(run_cli(*sort_args(recording, tmp_path, "--output", "/")), "the output folder / would hide")


def test_dry_run_names_it_too(recording, tmp_path):
    done = run_cli(*sort_args(recording, tmp_path, "--mount", "/usr", "--dry-run"))
    assert done.returncode == 2
    assert "ks-gui: the mount /usr would hide the container's own /usr" in done.stderr


def test_a_folder_below_a_needed_one_is_allowed(recording, tmp_path):
    source = tmp_path / "extra"
    source.mkdir()
    for target in ("/opt/data/rec1", "/usr/local/data", "/home/someone/sorts"):
        args = sim_sort_args(recording.folder, tmp_path / "out", "--mount", f"{source}:{target}", "--dry-run")
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        assert f"target={target}" in done.stdout


def test_an_images_own_label_adds_its_folders(recording, tmp_path, engine, sim_image, count_containers):
    tag = "ks-gui-test/keeps-srv:latest"
    build_image(tag, f'FROM {SIM_IMAGE}\nLABEL ks-gui.keeps="/srv/model"\n')
    source = tmp_path / "extra"
    source.mkdir()
    args = sim_sort_args(recording.folder, tmp_path / "out", "--mount", f"{source}:/srv")
    args[args.index("--image") + 1] = tag
    refused(run_cli(*args), "the mount /srv would hide the container's own /srv/model, which is inside it")
    assert not (tmp_path / "out").exists()
