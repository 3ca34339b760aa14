"""A Python environment on this computer as a place: the app's Kilosort 4 environment runs a driver in a process
of its own. No Docker, no image; the sort outlives its launcher and its terminal, as a container does, and a later
launcher finds it again (places/detached_process.py)."""

from __future__ import annotations

import shlex
from pathlib import Path

from ks_gui.core.ground.locations import local_runs_dir
from ks_gui.core.places import kilosort4_env
from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Launch, PlaceError, Readiness, RunOnRecord, SeesLocalFiles
from ks_gui.core.places.detached_process import DetachedRun
from ks_gui.core.places.gpus import Gpu, detect_gpus
from ks_gui.core.places.local_process import LocalSpec, local_spec_for
from ks_gui.drivers import driver_path


class LocalEnvPlace(SeesLocalFiles):
    name, title, form = PLACE_KINDS["local"].name, PLACE_KINDS["local"].title, PLACE_KINDS["local"].form
    runs_detached = True  # its own session, its output in a file: closing the launcher leaves it sorting
    service = ""

    def gpus(self) -> list[Gpu]:
        return detect_gpus()

    def readiness(self, image: str = "", thorough: bool = False) -> Readiness:
        """The environment must import kilosort and torch; a GPU is usable only when its torch can use one."""
        status = kilosort4_env.check(thorough=thorough)  # the driver says so if an import fails
        problems = () if status.ready else (("place", status.problem),)
        refusal = (
            ""
            if status.cuda
            else f"the Kilosort 4 environment's torch ({status.torch}) cannot use the GPU: choose no GPU, "
            "or reinstall it on this machine (ks-gui install kilosort4 --force)"
        )
        return Readiness(problems=problems, gpu_refusal=refusal, environment=status.versions())

    def process_spec(self, launch: Launch, readiness: Readiness) -> LocalSpec:
        """The driver run by the python of the environment readiness() looked at."""
        assert readiness.environment is not None, "readiness() first"
        python = kilosort4_env.env_python(Path(readiness.environment["path"]))
        return local_spec_for(launch, python, driver_path(launch.driver))

    def plan(self, launch: Launch, readiness: Readiness) -> tuple[dict, str]:
        spec = self.process_spec(launch, readiness)
        return {"process": spec.to_json(), "environment": readiness.environment}, shlex.join(spec.command)

    def start(self, launch: Launch, readiness: Readiness) -> DetachedRun:
        spec = self.process_spec(launch, readiness)
        return DetachedRun.start(
            spec, local_runs_dir() / launch.job_id, launch.job_id, launch.output, stdin_open=launch.stdin_open
        )

    def _runs(self) -> list[DetachedRun]:
        folders = sorted(local_runs_dir().iterdir()) if local_runs_dir().is_dir() else []
        return [run for folder in folders if (run := DetachedRun.found(folder)) is not None]

    def found_runs(self) -> list[FoundRun]:
        """The local sorts not yet followed to their end: running, or ended while no launcher followed them."""
        return [
            FoundRun(id=run.id, job_id=run.job_id, output=run.output, running=run.running, image="", place=self.name)
            for run in self._runs()
        ]

    def follow(self, found: FoundRun) -> DetachedRun:
        run = DetachedRun.found(local_runs_dir() / found.job_id)
        if run is None:
            raise PlaceError(f"the local sort {found.job_id} is no longer on record")
        return run

    def image_info(self, name: str) -> None:
        return None

    def answers(self) -> bool:
        return True

    def ended_unseen(self, runs: list[RunOnRecord]) -> list[FoundRun]:
        return []  # found_runs lists ended runs too, while they are there

    def follow_again(self, handle_id: str) -> None:
        return None

    def version(self) -> None:
        return None
