"""The sorter images as the faces handle them: building one (with the base image's download), and clearing the
compiled mex files kept for one. The work is the engine's (core/places/image_build.py, mex_cache.py); this is
the window's and the CLI's door to it."""

from __future__ import annotations

from ks_gui.core.places.image_build import (
    BASE_IMAGE,
    IMAGE_CONTEXT,
    BuildFinished,
    BuildLine,
    ImageBuild,
    LayerProgress,
    space_check,
)
from ks_gui.core.places.mex_cache import clear_compiled_files
from ks_gui.core.places.node_runners import sif_build_command

__all__ = [
    "BASE_IMAGE",
    "IMAGE_CONTEXT",
    "BuildFinished",
    "BuildLine",
    "ImageBuild",
    "LayerProgress",
    "clear_compiled_files",
    "sif_build_command",
    "space_check",
]
