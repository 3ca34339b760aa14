"""Check setup: item by item, what is ready for a sort and how to fix what is not (`ks-gui doctor`, the window's
Check setup view)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ks_gui.core.ground.contract import LABEL_CONTRACT, LABEL_SORTER
from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.license import NoKeyringError, keyring_status
from ks_gui.core.places.docker_engine import Engine, EngineError, connect
from ks_gui.core.places.gpus import gpu_runtime_from_info, scan_gpus
from ks_gui.core.places.path_map import nearest_existing
from ks_gui.core.settings import load_settings
from ks_gui.core.setup.display import PLATFORM_TITLES, libraries_for_doctor
from ks_gui.core.sorters import SORTERS

# Below this, the temp file of a long recording will not fit (a 1-hour, 384-channel Neuropixels recording makes a
# temp file of about 80 GB; half an hour fits in 50 GB). Decimal, as human_bytes prints it.
FREE_DISK_WANTED = 50 * 1000**3
SELINUX_ENFORCE = Path("/sys/fs/selinux/enforce")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    optional: bool = False  # not needed to sort (phy, to curate): said, never counted as needing attention

    def to_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def _engine_check(connect_engine: Callable[[], Engine]) -> tuple[Check, Engine | None]:
    try:
        engine = connect_engine()
    except EngineError as err:
        fixes = {
            "not_running": "start Docker: sudo systemctl start docker",
            "permission": "add yourself to the docker group: sudo usermod -aG docker $USER, then log out and back in",
        }
        if err.kind in fixes:
            return Check("Docker engine", False, err.message.partition(": ")[0], fixes[err.kind]), None
        return Check("Docker engine", False, err.message, "check DOCKER_HOST and that Docker runs"), None
    return Check("Docker engine", True, f"{engine.product()} {engine.version()} answers"), engine


def _location_check(engine: Engine, info: dict) -> Check:
    host = os.environ.get("DOCKER_HOST", "")
    security = " ".join(info.get("SecurityOptions") or [])
    same_path = "ks-gui mounts the recording and output folders at the same path, so they must exist there too"
    if host and not host.startswith("unix://"):
        return Check(
            "Engine location",
            False,
            f"the engine at {host} runs on another machine ({info.get('Name', 'unknown')}); {same_path}",
            "use the local engine (unset DOCKER_HOST), or keep recordings and outputs on a folder that has the "
            "same path on both machines",
        )
    if engine.product() == "Podman Engine":
        return Check(
            "Engine location",
            False,
            f"Podman answers on the Docker socket; {same_path}, and rootless Podman maps your user id",
            "use Docker Engine, or check that files the sort writes belong to you",
        )
    if "rootless" in security:
        return Check(
            "Engine location",
            False,
            "the engine is rootless Docker: --user inside the container maps to another id on this machine, so "
            "the results would not belong to you",
            "use the system Docker engine (sudo systemctl start docker) with your user in the docker group",
        )
    return Check("Engine location", True, f"a local engine on this machine ({host or 'the default socket'})")


def _selinux_check(info: dict) -> Check:
    try:
        enforcing = SELINUX_ENFORCE.read_text().strip() == "1"
    except OSError:
        return Check("SELinux", True, "SELinux is not active on this machine")
    if enforcing:
        return Check(
            "SELinux",
            False,
            "SELinux is enforcing: containers cannot read bind-mounted folders without a relabel",
            "relabel the recording and output folders (chcon -Rt container_file_t FOLDER), or mount them with "
            "the :z option",
        )
    return Check("SELinux", True, "SELinux is not enforcing")


def _runtime_check(engine: Engine | None, info: dict) -> Check:
    if engine is None:
        return Check("NVIDIA container runtime", False, "not checked: no Docker engine", "fix the Docker engine first")
    remote = os.environ.get("DOCKER_HOST", "unix://").startswith(("tcp://", "ssh://"))
    runtime = gpu_runtime_from_info(info, toolkit_hook=False if remote else None)
    if runtime.ready:
        return Check("NVIDIA container runtime", True, runtime.explain())
    detail, _, fix = runtime.explain().partition(": ")
    return Check("NVIDIA container runtime", False, detail, fix)


def _gpu_check() -> Check:
    scan = scan_gpus()
    if not scan.gpus:
        detail, _, fix = scan.problem.partition(": ")
        return Check("GPUs", False, detail, fix or "check the NVIDIA driver (nvidia-smi)")
    return Check("GPUs", True, "; ".join(g.describe_in_full() for g in scan.gpus))


def _image_checks(engine: Engine | None, images: list[str] | None) -> list[Check]:
    names = images or [sorter.default_image for sorter in SORTERS.values() if sorter.default_image]  # local: none
    checks = []
    for name in names:
        title = f"Image {name}"
        if engine is None:
            checks.append(Check(title, False, "not checked: no Docker engine", "fix the Docker engine first"))
            continue
        try:
            image = engine.image(name)
        except EngineError as err:
            checks.append(Check(title, False, err.message))
            continue
        if image is None:
            checks.append(Check(title, False, f"{name} is not on this machine", _how_to_get(name)))
            continue
        sorter = image.labels.get(LABEL_SORTER, "")
        problems = image.problems(sorter)
        contract = image.labels.get(LABEL_CONTRACT, "none")
        if problems:
            checks.append(Check(title, False, problems[0], "rebuild the image with this ks-gui (ks-gui image build)"))
        else:
            checks.append(Check(title, True, f"{sorter} image {image.short_id}, contract {contract}"))
    return checks


def _how_to_get(image: str) -> str:
    """The fix for a missing sorter image: the app builds either image from the files it ships; Kilosort 4 needs
    none at all with the local Kilosort 4."""
    if image == SORTERS["kilosort4"].default_image:
        return (
            f"build it: ks-gui image build kilosort4 (image {image}), or sort with Kilosort 4 (local) after: "
            "ks-gui install kilosort4"
        )
    return f"build it: ks-gui image build (image {image})"


def _disk_check(folder: Path) -> Check:
    existing = nearest_existing(folder)
    free = shutil.disk_usage(existing).free
    detail = f"{human_bytes(free)} free in {existing} for Kilosort's temp file (as large as the recording)"
    if free < FREE_DISK_WANTED:
        detail += f"; half an hour of Neuropixels needs about {human_bytes(FREE_DISK_WANTED)}"
        return Check(
            "Free disk", False, detail, "free some space, or choose a temp folder on a larger disk (--temp-dir)"
        )
    return Check("Free disk", True, detail)


def _phy_check() -> Check:
    from ks_gui.core.results import phy  # the phy module finds the app's own phy, the configured one, or one on PATH

    try:
        found = phy.find_phy(load_settings().settings.phy_path or None)
    except phy.PhyNotFoundError as err:
        return Check("phy", False, err.message.rstrip("."), err.hint.rstrip("."))
    return Check("phy", True, f"phy found: {found.path} ({found.source})")


def _keyring_check() -> Check:
    try:
        return Check("Keyring for batch tokens", True, keyring_status())
    except NoKeyringError as err:
        return Check(
            "Keyring for batch tokens",
            False,
            str(err).split(" (")[0],
            "install and unlock GNOME Keyring or KWallet (only needed for batch tokens)",
        )


def _display_check() -> Check:
    """The system libraries the window's Qt plugin loads (ks_gui.core.setup.display); a sort needs none of them."""
    check = libraries_for_doctor()
    if check.platform == "other":
        return Check("Display libraries", True, "not checked: QT_QPA_PLATFORM names a plugin that needs no desktop")
    title = PLATFORM_TITLES.get(check.platform, "X11 (Qt's xcb plugin)")
    where = "no display in this session; " if check.platform == "none" else ""
    if check.missing:
        names = ", ".join(lib.soname for lib in check.missing)
        return Check(
            "Display libraries", False, f"{where}the window on {title} needs {names}", check.install_commands()
        )
    return Check("Display libraries", True, f"{where}the libraries the window needs on {title} load")


def run_checks(
    images: list[str] | None = None,
    temp_folder: Path | None = None,
    connect_engine: Callable[[], Engine] = lambda: connect(timeout=10),
) -> list[Check]:
    """Every check, in the order a user fixes them."""
    engine_check, engine = _engine_check(connect_engine)
    checks = [engine_check]
    info: dict = {}
    if engine is not None:
        try:
            info = engine.info()
        except EngineError as err:
            checks.append(Check("Docker engine info", False, err.message))
        checks.append(_location_check(engine, info))
    checks.append(_selinux_check(info))
    checks.append(_runtime_check(engine, info))
    checks.append(_gpu_check())
    checks += _image_checks(engine, images)
    checks.append(_disk_check(temp_folder or Path.home()))
    checks.append(_phy_check())
    checks.append(_keyring_check())
    checks.append(_display_check())
    return checks


def _kilosort4_env_check() -> Check:
    from ks_gui.core.places.kilosort4_env import check

    status = check(thorough=False)
    if not status.ready:
        detail, _, fix = status.problem.partition(": ")
        return Check("Kilosort 4 environment", False, detail, fix)
    return Check("Kilosort 4 environment", True, status.describe())


def local_kilosort4_checks(temp_folder: Path | None = None) -> list[Check]:
    """What a Kilosort 4 sort in the app's own environment needs, and nothing else: no Docker, no image, no MATLAB
    license. Without a GPU it sorts on the CPU, so a missing GPU is said, not counted against it."""
    gpu = _gpu_check()
    if not gpu.ok:
        gpu = Check("GPUs", False, "none: Kilosort 4 sorts on the CPU, more slowly", gpu.detail, optional=True)
    phy = _phy_check()
    if not phy.ok:
        phy = Check("phy", False, f"{phy.detail} (needed to curate, not to sort)", phy.fix, optional=True)
    return [_kilosort4_env_check(), gpu, _disk_check(temp_folder or Path.home()), phy, _display_check()]
