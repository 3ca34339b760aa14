"""A Python environment on this computer as a place: the app's Kilosort 4 environment runs a driver as a child
process. No Docker, no image; a sort ends with the launcher that started it."""

from __future__ import annotations

import shlex
from pathlib import Path

from ks_gui.core.places import kilosort4_env
from ks_gui.core.places.base import PLACE_KINDS, FoundRun, Launch, PlaceError, Readiness, RunOnRecord, SeesLocalFiles
from ks_gui.core.places.gpus import Gpu, detect_gpus
from ks_gui.core.places.local_process import LocalRun, LocalSpec, local_spec_for
from ks_gui.drivers import driver_path


class LocalEnvPlace(SeesLocalFiles):
    name, title, form = PLACE_KINDS["local"].name, PLACE_KINDS["local"].title, PLACE_KINDS["local"].form
    runs_detached = False  # a child process: closing the launcher stops it
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

    def start(self, launch: Launch, readiness: Readiness) -> LocalRun:
        return LocalRun(self.process_spec(launch, readiness), stdin_open=launch.stdin_open, cwd=launch.output)

    def found_runs(self) -> list[FoundRun]:
        return []  # a child process does not outlive the launcher that started it

    def follow(self, found: FoundRun) -> LocalRun:
        raise PlaceError("a sort in the local environment cannot be followed again after its launcher closed")

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
