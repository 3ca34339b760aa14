"""The images of a fresh desktop-less Debian 12 for tests/desktop, each made once per machine and reused while what
it is made of is the same (a label holds that), so repeated `make test` runs spend seconds here, not minutes.

fresh:   Debian's minbase with Python, OpenGL, fontconfig, D-Bus and xkbcommon (what the issue's user had), no xcb-util
app:     fresh + a venv at /opt/ks-gui with ks-gui's dependencies, from wheels downloaded on this machine (pip in a
         container would meet the TLS inspection here; see shared/reference/building_images_here.md); the project's
         own wheel is installed when a container starts, so a code change rebuilds nothing
derived: app + Debian packages installed with apt-get (the ones ks-gui named; weston for Wayland)"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from pathlib import Path

import tomllib

REPOSITORY = Path(__file__).resolve().parents[2]
CACHE = REPOSITORY / "build" / "desktop-test"
WHEELS = CACHE / "wheels"
LABEL = "ks-gui.test.made-of"
FRESH = "ks-gui-test-fresh-desktop"
FRESH_PACKAGES = ["python3-venv", "libgl1", "libegl1", "libfontconfig1", "libdbus-1-3", "libxkbcommon0"]
FRESH_PACKAGES += ["libxkbcommon-x11-0"]
VENV = "/opt/ks-gui"


def docker(*args: str, timeout: float = 600) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"docker {' '.join(args[:3])}…: {done.stderr[-2000:]}"
    return done.stdout.strip()


def _made_of(image: str) -> str:
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", f'{{{{index .Config.Labels "{LABEL}"}}}}', image],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def _commit_after(parent: str, name: str, made_of: str, script: str, mounts: list[str] = ()) -> str:
    """`name`: `parent` after `script` ran in it, unless an image of that name is already made of the same."""
    if _made_of(name) == made_of:
        return name
    container = f"ks-gui-test-build-{uuid.uuid4().hex[:8]}"
    try:
        docker("run", "--name", container, *[f"-v{m}" for m in mounts], parent, "bash", "-ec", script)
        docker("commit", "--change", f"LABEL {LABEL}={made_of}", container, name)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    return name


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def fresh_image() -> str:
    subprocess.run([str(REPOSITORY / "tests/setup/debian-image.sh"), FRESH, *FRESH_PACKAGES], check=True, timeout=900)
    return FRESH


def project_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(REPOSITORY)],
        check=True,
        timeout=300,
    )
    return next(folder.glob("ks_gui-*.whl"))


def dependency_wheels(wheel: Path) -> list[str]:
    """The wheels of everything ks-gui depends on, downloaded once per set of requirements."""
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    requirements = "\n".join(project["dependencies"])
    stamp = WHEELS / ".requirements"
    if not stamp.exists() or stamp.read_text() != requirements:
        WHEELS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary=:all:",
                "--dest",
                str(WHEELS),
                str(wheel),
            ],
            check=True,
            timeout=900,
        )
        for own in WHEELS.glob("ks_gui-*.whl"):
            own.unlink()
        stamp.write_text(requirements)
    return sorted(path.name for path in WHEELS.glob("*.whl"))


def app_image(wheel: Path) -> str:
    wheels = dependency_wheels(wheel)
    fresh = fresh_image()
    made_of = _digest(docker("image", "inspect", "--format", "{{.Id}}", fresh), *wheels)
    script = f"python3 -m venv {VENV}; {VENV}/bin/pip install --quiet --no-index /deps/*.whl"
    return _commit_after(fresh, "ks-gui-test-desktop-app", made_of, script, [f"{WHEELS}:/deps:ro"])


def with_packages(parent: str, name: str, packages: list[str]) -> str:
    """`parent` with Debian packages installed from Debian's archive (reachable from containers here)."""
    made_of = _digest(docker("image", "inspect", "--format", "{{.Id}}", parent), *packages)
    script = (
        "apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        f"{' '.join(packages)} >/dev/null"
    )
    return _commit_after(parent, name, made_of, script)
