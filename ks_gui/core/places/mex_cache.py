"""The compiled mex files kept per image (locations.mex_cache_dir): what is there, and clearing them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ks_gui.core.ground.locations import mex_cache_dir
from ks_gui.core.places.images import ImageInfo


@dataclass(frozen=True)
class ClearedCache:
    image: ImageInfo
    folder: Path
    files: int

    def message(self) -> str:
        if not self.files:
            return f"No compiled files to clear for {self.image.name} (image {self.image.short_id})."
        return (
            f"Cleared {self.files} compiled file{'s' * (self.files != 1)} of {self.image.name} "
            f"(image {self.image.short_id}); the next sort compiles them again."
        )


def compiled_files(image: ImageInfo) -> list[Path]:
    folder = mex_cache_dir(image.short_id)
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def clear_compiled_files(image: ImageInfo) -> ClearedCache:
    """Remove the image's mex cache folder (the driver recreates it and compiles all files again)."""
    folder = mex_cache_dir(image.short_id)
    files = len(compiled_files(image))
    if folder.exists():
        shutil.rmtree(folder)
    return ClearedCache(image, folder, files)
