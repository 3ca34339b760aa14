"""Check setup for a GPU server (`ks-gui doctor --on ssh://…`): SSH, its Docker, its NVIDIA runtime and GPUs, the
images there, free disk there for the temp file, and the path map."""

from __future__ import annotations

from pathlib import Path

from ks_gui.core.ground.contract import LABEL_SORTER
from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.places.base import PlaceError
from ks_gui.core.places.gpus import gpu_runtime_from_info
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.setup.doctor import FREE_DISK_WANTED, Check
from ks_gui.core.sorters import SORTERS


def server_checks(
    address: str, path_map: PathMap | None = None, images: list[str] | None = None, temp_folder: Path | None = None
) -> list[Check]:
    """Every check of the server at `address`, in the order a user fixes them (the first failing one may make the
    rest "not checked")."""
    from ks_gui.core import sorting
    from ks_gui.core.places.server_place import ServerPlace

    try:
        place = sorting.open_place(address, timeout=20, path_map=path_map)
    except PlaceError as err:
        return [Check("SSH and Docker", False, err.message, "see the README: Sorting on a GPU server")]
    assert isinstance(place, ServerPlace)
    name = place.target.name
    checks = [
        Check("SSH and Docker", True, f"logged in to {name} as uid {place.uid}; Docker {place.version()} answers")
    ]
    runtime = gpu_runtime_from_info(place.engine.info(), toolkit_hook=False)
    detail, _, fix = runtime.explain().partition(": ")
    checks.append(
        Check("NVIDIA container runtime", runtime.ready, detail if not runtime.ready else runtime.explain(), fix)
    )
    scan = place.scan_gpus()
    checks.append(
        Check("GPUs", True, "; ".join(g.describe_in_full() for g in scan.gpus))
        if scan.gpus
        else Check("GPUs", False, scan.problem, f"install the NVIDIA driver on {name}")
    )
    for image_name in images or [s.default_image for s in SORTERS.values() if s.default_image]:
        image = place.engine.image(image_name)
        if image is None:
            checks.append(
                Check(
                    f"Image {image_name}",
                    False,
                    f"not on {name}",
                    f"build it there: DOCKER_HOST={address} docker build …",
                )
            )
        else:
            problems = image.problems(image.labels.get(LABEL_SORTER, ""))
            checks.append(
                Check(f"Image {image_name}", not problems, problems[0] if problems else f"image {image.short_id}")
            )
    checks.append(_free_disk(place, temp_folder or Path.home()))
    checks.append(_path_map(place))
    return checks


def _free_disk(place, folder: Path) -> Check:
    there = place.path_map.to_server(str(folder))
    free = place.free_bytes(there)
    if free is None:
        return Check("Free disk", False, f"{place.target.name} cannot tell the free space in {there}", "")
    detail = f"{human_bytes(free)} free in {there} on {place.target.name} for Kilosort's temp file"
    if free < FREE_DISK_WANTED:
        return Check("Free disk", False, detail, "choose a temp folder on a larger disk there (--temp-dir)")
    return Check("Free disk", True, detail)


def _path_map(place) -> Check:
    pairs = place.path_map.pairs
    if not pairs:
        return Check("Path map", True, "none: folders have the same path on both machines")
    missing = []
    for local, server in pairs:
        if place.shell.run(["test", "-d", server]).returncode != 0:
            missing.append(f"{server} (for {local})")
    if missing:
        return Check("Path map", False, f"{place.target.name} has no folder {', '.join(missing)}", "check --path-map")
    return Check("Path map", True, ", ".join(f"{local} is {server} there" for local, server in pairs))
