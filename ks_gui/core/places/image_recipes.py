"""What building each sorter's image takes: its Dockerfile's folder (shipped: a checkout's docker/, or
<prefix>/share/ks-gui/docker once installed), the files the build context adds (Kilosort 4's driver, from the
installed package itself), the base image it pulls and about how much disk the image takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ks_gui import drivers
from ks_gui.core.ground.locations import shipped

DEFAULT_SORTER = "kilosort2.5"


@dataclass(frozen=True)
class ImageRecipe:
    sorter: str
    folder: Path  # holds the Dockerfile
    base_image: str  # FROM: pulled first when missing (with per-layer progress)
    size_bytes: int
    # Files the Dockerfile COPYs from outside its folder: path inside the build context -> the file here.
    files: dict[str, Path] = field(default_factory=dict)
    # The Dockerfile's ARG that names the base (an image of the user's own may replace it), if it has one.
    base_arg: str = ""

    def base_for(self, build_args: dict[str, str]) -> str:
        return build_args.get(self.base_arg, self.base_image) if self.base_arg else self.base_image


RECIPES = {
    "kilosort2.5": ImageRecipe(
        sorter="kilosort2.5",
        folder=shipped("docker/kilosort2.5"),
        base_image="mathworks/matlab-deep-learning:r2021b",
        size_bytes=17 * 1000**3,  # the seed README: "just under 17gb"; the base image is nearly all of it
    ),
    "kilosort4": ImageRecipe(
        sorter="kilosort4",
        folder=shipped("docker/kilosort4"),
        base_image="pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
        size_bytes=9 * 1000**3,  # the CUDA runtime base (about 7.6 GB unpacked) and Kilosort's packages
        files={
            f"ks_gui/drivers/{name}": Path(drivers.__file__).parent / name
            for name in (drivers.KILOSORT4_DRIVER, drivers.QUALITY_DRIVER)
        },
        base_arg="BASE_IMAGE",
    ),
}
