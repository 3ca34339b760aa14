"""What `pipx install .` (or pip) installs: the package, the `ks-gui` command, the icon and desktop entry."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_app_and_its_resources(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(REPOSITORY)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("ks_gui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert (
        "ks_gui/core/places/docker_engine.py" in names
        and "ks_gui/ui/main_window.py" in names
        and "ks_gui/cli/sort.py" in names
    )
    for shipped in (
        "resources/ks-gui.svg",
        "resources/ks-gui.desktop",
        "docker/kilosort2.5/Dockerfile",
        "docker/kilosort2.5/ks_gui_run.m",
        "docker/kilosort4/Dockerfile",
        "docker/kilosort4/ks_gui/drivers/ks_gui_kilosort4.py",  # the Kilosort 4 image's whole build context
        "docker/CONTRACT.md",
    ):
        assert any(name.endswith(f".data/data/share/ks-gui/{shipped}") for name in names), shipped
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "ks-gui = ks_gui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
