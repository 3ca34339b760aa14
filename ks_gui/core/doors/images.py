"""The sorter images as the faces handle them: building one (with the base image's download), and clearing the
compiled mex files kept for one. The work is the engine's (core/places/image_build.py, mex_cache.py); this is
the window's and the CLI's door to it."""

from __future__ import annotations

from ks_gui.core.places.image_build import (
    BASE_IMAGE,
    IMAGE_CONTEXT,
    BuildEngine,
    BuildFinished,
    BuildLine,
    ImageBuild,
    LayerProgress,
    SpaceCheck,
    space_check,
)
from ks_gui.core.places.image_recipes import DEFAULT_SORTER, RECIPES, ImageRecipe
from ks_gui.core.places.mex_cache import clear_compiled_files
from ks_gui.core.places.node_runners import sif_build_command


def build_for(
    engine: BuildEngine, recipe: ImageRecipe, tag: str, build_args: dict[str, str] | None = None
) -> ImageBuild:
    """The build of `recipe`'s image as `tag`: its base pulled when missing (an ARG may name another base)."""
    args = dict(build_args or {})
    return ImageBuild(
        engine, tag=tag, context=recipe.folder, base_image=recipe.base_for(args), files=recipe.files, build_args=args
    )


__all__ = [
    "BASE_IMAGE",
    "DEFAULT_SORTER",
    "IMAGE_CONTEXT",
    "RECIPES",
    "BuildFinished",
    "BuildLine",
    "ImageBuild",
    "ImageRecipe",
    "LayerProgress",
    "SpaceCheck",
    "build_for",
    "clear_compiled_files",
    "sif_build_command",
    "space_check",
]
