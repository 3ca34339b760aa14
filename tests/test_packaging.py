"""What `pipx install .` (or pip) installs: the package, the `ks-gui` command, the icon and desktop entry."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.kilosort4_image.conftest import KS4_BASE, ks4_image  # noqa: F401 (a fixture)

REPOSITORY = Path(__file__).resolve().parents[1]


def build_wheel(folder: Path) -> Path:
    """The wheel `pip` makes of this checkout, in `folder`."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(REPOSITORY)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = folder.glob("ks_gui-*.whl")
    return wheel


def test_the_wheel_holds_the_app_and_its_resources(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert (
        "ks_gui/drivers/ks_gui_kilosort4.py" in names  # the Kilosort 4 image's driver: its build copies it in
        and "ks_gui/core/places/docker_engine.py" in names
        and "ks_gui/ui/main_window.py" in names
        and "ks_gui/cli/sort.py" in names
    )
    for shipped in (
        "resources/ks-gui.svg",
        "resources/ks-gui.desktop",
        "docker/kilosort2.5/Dockerfile",
        "docker/kilosort2.5/ks_gui_run.m",
        "docker/kilosort4/Dockerfile",
        "docker/CONTRACT.md",
    ):
        assert any(name.endswith(f".data/data/share/ks-gui/{shipped}") for name in names), shipped
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "ks-gui = ks_gui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.engine
@pytest.mark.timeout(900)
def test_an_installed_wheel_builds_the_kilosort4_image(tmp_path: Path, ks4_image):  # noqa: F811
    """`ks-gui image build kilosort4` (doctor's hint) from a wheel installed in a fresh environment, run outside the
    checkout: its Dockerfile from <prefix>/share/ks-gui, its driver from the installed package, the build's progress
    on stdout. The base is the tests' CPU base (no registry here); the layers the tests' build made are reused."""
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing of a checkout's may stand in for it
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, timeout=300, env=env, cwd=tmp_path)

    def installed_python_says(code: str) -> str:
        done = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, check=True, env=env, cwd=tmp_path
        )
        return done.stdout.strip()

    # ks-gui's dependencies from the test run's own environment (not its ks_gui: the wheel's comes first).
    site = installed_python_says("import sysconfig; print(sysconfig.get_paths()['purelib'])")
    Path(site, "ks_gui_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    tag = "ks-gui-test/kilosort4-from-wheel:latest"
    build_args = ["--build-arg", f"BASE_IMAGE={KS4_BASE}"]
    try:
        done = subprocess.run(
            [str(venv / "bin" / "ks-gui"), "image", "build", "kilosort4", "--tag", tag, *build_args],
            capture_output=True,
            text=True,
            timeout=800,
            cwd=tmp_path,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "Step 1/" in done.stdout and f"Built {tag}" in done.stdout  # the build's log, line by line
        inspected = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, text=True, check=True)
        labels = json.loads(inspected.stdout)[0]["Config"]["Labels"]
        assert labels["ks-gui.sorter"] == "kilosort4" and labels["ks-gui.contract"] == "1"
        where = installed_python_says("import ks_gui.core.doors.images as i; print(i.RECIPES['kilosort4'].folder)")
        assert where == str(venv / "share" / "ks-gui" / "docker" / "kilosort4")
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True, check=False)
