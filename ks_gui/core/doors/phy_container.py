"""phy inside the Kilosort image, on the user's screen: the alternative to installing phy on the host.

The container gets the output folder at the same path (so `dat_path` stays valid), the host's X11 socket, `DISPLAY`,
and an X authority file holding the cookie for that one display only. Access is never opened to everyone
(`xhost +` is never run). Described as a ContainerSpec; `ks_gui.core.places.docker_engine` starts it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ks_gui.core.ground.contract import (
    CONTRACT_VERSION,
    LABEL_CONTRACT,
    LABEL_JOB,
    LABEL_OUTPUT,
    job_file,
    provenance_file,
)
from ks_gui.core.ground.locations import APP_NAME
from ks_gui.core.job import Mount
from ks_gui.core.places.container_spec import SHM_SIZE, ContainerSpec
from ks_gui.core.results.phy_folder import PARAMS_FILE, plan_dat_path
from ks_gui.core.sorters import DEFAULT_SORTER, SORTERS

X11_SOCKET_DIR = Path("/tmp/.X11-unix")
CONTAINER_XAUTHORITY = "/tmp/ks-gui-phy.xauth"
CONTAINER_HOME = "/tmp"  # phy writes ~/.phy; the container runs as the user, who owns no home in the image
LABEL_PHY = "ks-gui.phy"
# The X authority family that matches any host name: the container's host name differs from the host's.
_FAMILY_WILD = "ffff"
_LOCAL_DISPLAY = re.compile(r"^(?:unix)?:(\d+)(?:\.\d+)?$")


class DisplayError(Exception):
    """The display cannot be shared with a container; the message says why and what to do."""


def local_display_number(display: str | None) -> int:
    """The number of a local X display (`:0`, `:1.0`, `unix:0`); a remote or missing one is an error."""
    if not display:
        raise DisplayError("No screen to show phy on: DISPLAY is not set. Run ks-gui from a desktop session.")
    match = _LOCAL_DISPLAY.match(display)
    if not match:
        raise DisplayError(
            f"DISPLAY={display} is not a local screen (ssh -X?): phy in a container needs the local X11 socket."
        )
    number = int(match.group(1))
    if not (X11_SOCKET_DIR / f"X{number}").exists():
        raise DisplayError(f"The X11 socket {X11_SOCKET_DIR}/X{number} does not exist (Wayland without Xwayland?).")
    return number


def cookie_file(display_number: int) -> Path:
    """Where the one-display cookie is kept: the user's runtime folder, readable by the user only."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        base = Path(platformdirs.user_runtime_dir(APP_NAME))
    else:  # no per-user runtime folder (a bare session): the user's cache folder, never a shared /tmp path
        base = Path(platformdirs.user_cache_dir(APP_NAME)) / "xauth"
    return base / f"phy-display-{display_number}.xauth"


def write_display_cookie(display: str, target: Path) -> Path:
    """Copy the X authority entry of `display` (only that one) into `target`, any-host, mode 0600.

    Reads the user's own authority file ($XAUTHORITY or ~/.Xauthority) with `xauth`, as `xauth nlist` prints it."""
    number = local_display_number(display)
    try:
        listed = subprocess.run(
            ["xauth", "nlist", f":{number}"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except FileNotFoundError as err:
        raise DisplayError("xauth is missing: install it (Debian/Ubuntu: sudo apt-get install xauth).") from err
    entries = [_FAMILY_WILD + line[4:] for line in listed.splitlines() if line.strip()]
    if not entries:
        raise DisplayError(f"No X authority cookie for display :{number}: is this the user who owns the screen?")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    merged = subprocess.run(
        ["xauth", "-f", str(target), "nmerge", "-"],
        input="\n".join(entries[:1]) + "\n",  # one display, one cookie
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if merged.returncode != 0:
        target.unlink(missing_ok=True)
        raise DisplayError(f"Could not write the X authority file {target}: {merged.stderr.strip()}")
    return target


@dataclass(frozen=True)
class PhyContainerPlan:
    spec: ContainerSpec
    cookie: Path


def image_of_run(folder: Path) -> str:
    """The image the run in `folder` used (its provenance), else the default sorter's image."""
    for path in (provenance_file(folder), job_file(folder)):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        image = document.get("image")
        if isinstance(image, dict) and isinstance(image.get("name"), str):
            return image["name"]
        sorter = SORTERS.get(str(document.get("sorter")))
        if sorter is not None:
            return sorter.default_image
    return SORTERS[DEFAULT_SORTER].default_image


def _job_id(folder: Path) -> str | None:
    try:
        return str(json.loads(job_file(folder).read_text(encoding="utf-8"))["job_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def phy_container_spec(folder: Path, image: str, display: str, cookie: Path) -> ContainerSpec:
    """The container that shows phy for `folder` on `display`; `cookie` holds that display's X authority."""
    folder = folder.absolute()
    number = local_display_number(display)
    mounts = [Mount(source=folder, target=str(folder), read_only=False)]
    plan = plan_dat_path(folder)
    for data in plan.params.dat_paths:
        data_path = Path(data) if Path(data).is_absolute() else folder / data
        parent = data_path.parent
        if data_path.is_file() and parent != folder and folder not in parent.parents:
            mounts.append(Mount(source=parent, target=str(parent), read_only=True))
    mounts += [
        Mount(source=X11_SOCKET_DIR, target=str(X11_SOCKET_DIR), read_only=True),
        Mount(source=cookie, target=CONTAINER_XAUTHORITY, read_only=True),
    ]
    labels = {LABEL_OUTPUT: str(folder), LABEL_CONTRACT: str(CONTRACT_VERSION), LABEL_PHY: "1"}
    if (job_id := _job_id(folder)) is not None:
        labels[LABEL_JOB] = job_id
    return ContainerSpec(
        image=image,
        entrypoint=["phy"],
        command=["template-gui", str(folder / PARAMS_FILE)],
        environment={
            "DISPLAY": f":{number}",
            "XAUTHORITY": CONTAINER_XAUTHORITY,
            "HOME": CONTAINER_HOME,
            # The container has its own IPC namespace, so Qt's shared-memory images to the X server would fail.
            "QT_X11_NO_MITSHM": "1",
        },
        mounts=mounts,
        device_requests=[],
        shm_size=SHM_SIZE,
        user=f"{os.getuid()}:{os.getgid()}",
        labels=labels,
        stdin_open=False,
    )


def plan_phy_container(folder: Path, image: str | None = None, display: str | None = None) -> PhyContainerPlan:
    """Everything in-container phy needs: the one-display cookie (written now) and the container spec."""
    display = display if display is not None else os.environ.get("DISPLAY")
    number = local_display_number(display)
    cookie = write_display_cookie(f":{number}", cookie_file(number))
    return PhyContainerPlan(phy_container_spec(folder, image or image_of_run(folder), f":{number}", cookie), cookie)
