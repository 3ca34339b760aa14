"""What ks-gui keeps on the user's disk — sorter images, its own environments, compiled mex files, logs, the
MATLAB sign-in volume — with sizes, and how to remove each."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from ks_gui.core.ground.contract import LABEL_CONTRACT
from ks_gui.core.license import SIGNIN_VOLUME_PURPOSE
from ks_gui.core.places.container_spec import LABEL_VOLUME

if TYPE_CHECKING:
    from ks_gui.core.places.docker_engine import Engine

APP = "ks-gui"


@dataclass(frozen=True)
class StoredItem:
    kind: str  # image | environment | mex cache | logs | volume
    name: str
    size_bytes: int
    location: str  # a folder, or the image's name

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def is_volume(self) -> bool:
        return self.kind == "volume"


def folder_size(folder: Path) -> int:
    """Bytes actually used by the files below `folder` (sparse files count what they occupy)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += min(stat.st_size, stat.st_blocks * 512)
    return total


def _folders() -> list[tuple[str, str, Path]]:
    data, cache, logs = (
        Path(f(APP)) for f in (platformdirs.user_data_dir, platformdirs.user_cache_dir, platformdirs.user_log_dir)
    )
    found = [("environment", "phy", data / "phy-env"), ("environment", "Kilosort 4", data / "kilosort4-env")]
    mex = cache / "mex"
    if mex.is_dir():
        found += [("mex cache", f"compiled mex files, image {p.name}", p) for p in sorted(mex.iterdir()) if p.is_dir()]
    found.append(("logs", "run logs", logs))
    return found


def stored_items(engine: Engine | None) -> list[StoredItem]:
    """Everything ks-gui keeps; images only when an engine is given."""
    items = []
    if engine is not None:
        items += [StoredItem("image", i.name, i.size_bytes, i.name) for i in engine.images_labelled(LABEL_CONTRACT)]
        items += [
            StoredItem("volume", _volume_title(purpose, name), max(size, 0), name)
            for name, purpose, size in engine.volumes_labelled(LABEL_VOLUME)
        ]
    items += [StoredItem(kind, name, folder_size(path), str(path)) for kind, name, path in _folders() if path.is_dir()]
    return items


def _volume_title(purpose: str, name: str) -> str:
    if purpose == SIGNIN_VOLUME_PURPOSE:
        return f"MATLAB sign-in kept between runs (Docker volume {name})"
    return f"Docker volume {name}"


def remove(item: StoredItem, engine: Engine | None) -> None:
    if item.is_image or item.is_volume:
        if engine is None:
            raise ValueError(f"removing {item.name} needs the Docker engine")
        if item.is_image:
            engine.remove_image(item.location)
        else:
            engine.remove_volume(item.location)  # removing the sign-in volume signs MATLAB out
    else:
        shutil.rmtree(item.location, ignore_errors=True)
