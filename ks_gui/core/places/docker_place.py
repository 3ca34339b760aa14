"""This computer's Docker as a place: its engine, its GPUs, the invoking user, the mex cache kept per image."""

from __future__ import annotations

import os

from ks_gui.core.ground.locations import mex_cache_dir
from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Launch, Readiness, RunOnRecord, SeesLocalFiles
from ks_gui.core.places.container_spec import ContainerSpec, spec_for
from ks_gui.core.places.docker_engine import ContainerRun, Engine, connect
from ks_gui.core.places.gpus import Gpu, detect_gpus
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.outage import EngineLostError


class DockerPlace(SeesLocalFiles):
    name, title, form = PLACE_KINDS["docker"].name, PLACE_KINDS["docker"].title, PLACE_KINDS["docker"].form
    runs_detached = True  # a container sorts on when the launcher closes; found again by its labels
    service = "Docker"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The container runs as the invoking user, so every file the sorter writes is theirs.
        self.uid, self.gid = os.getuid(), os.getgid()

    @classmethod
    def connect(cls, timeout: int = 60) -> DockerPlace:
        """EngineError (a PlaceError) when Docker cannot be reached, in words for the user."""
        return cls(connect(timeout=timeout))

    @property
    def user(self) -> str:
        return f"{self.uid}:{self.gid}"

    def gpus(self) -> list[Gpu]:
        return detect_gpus()

    def readiness(self, image: str, thorough: bool = False) -> Readiness:
        info = self.engine.image(image)
        if info is None:
            return Readiness(problems=(("image", f"the image {image} is not on this machine: build it first"),))
        return Readiness(gpu_required=info.gpu_required, image=info, mex_cache=mex_cache_dir(info.short_id))

    def container_spec(self, launch: Launch, readiness: Readiness) -> ContainerSpec:
        """What start() would create, also before the image is built (a dry run)."""
        mex_cache = readiness.mex_cache
        if mex_cache is None:  # not built yet: the folder its id will name
            mex_cache = mex_cache_dir(ImageInfo(name=launch.image, id="not-on-this-machine").short_id)
        return spec_for(launch, self.user, mex_cache)

    def plan(self, launch: Launch, readiness: Readiness) -> tuple[dict, str]:
        """What would run, as a document and as the `docker run` line a user could type."""
        spec = self.container_spec(launch, readiness)
        return {"container": spec.to_json(), "docker_run": spec.docker_run_command()}, spec.docker_run_command()

    def start(self, launch: Launch, readiness: Readiness) -> ContainerRun:
        if readiness.mex_cache is not None:
            readiness.mex_cache.mkdir(parents=True, exist_ok=True)
        return self.engine.start(self.container_spec(launch, readiness))

    def found_runs(self) -> list[FoundRun]:
        return self.engine.launched_containers(uid=self.uid)

    def follow(self, found: FoundRun) -> ContainerRun:
        return self.engine.attach(found.id)

    def image_info(self, name: str) -> ImageInfo | None:
        return self.engine.image(name)

    def answers(self) -> bool:
        return self.engine.answers()

    def ended_unseen(self, runs: list[RunOnRecord]) -> list[FoundRun]:
        return []  # found_runs lists ended runs too, while they are there

    def follow_again(self, handle_id: str) -> ContainerRun | None:
        return self.engine.follow_again(handle_id)

    def version(self) -> str | None:
        try:
            return self.engine.version()
        except EngineLostError:
            return None
