"""The SLURM clusters a user sorts on, each with what its jobs ask for and what runs on its nodes (kept in the
settings, so the window and the CLI remember them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ks_gui.core.places.path_map import PathMap
from ks_gui.core.places.slurm import SlurmOptions
from ks_gui.core.settings import load_settings, save_settings

__all__ = ["NODE_RUNNERS", "Cluster", "SlurmOptions", "remember_cluster", "remembered_cluster"]

NODE_RUNNERS = ("python", "apptainer", "docker")  # what runs a sort on a node: see places/node_runners.py


@dataclass(frozen=True)
class Cluster:
    options: SlurmOptions = field(default_factory=SlurmOptions)
    runs: str = "python"  # one of NODE_RUNNERS
    python_env: str = ""  # the python runner's environment on shared storage ("" : the app's own)
    sif: str = ""  # the apptainer runner's image
    path_map: PathMap = field(default_factory=PathMap)

    def to_json(self) -> dict:
        return {
            "options": self.options.to_json(),
            "runs": self.runs,
            "python_env": self.python_env,
            "sif": self.sif,
            "path_map": self.path_map.texts(),
        }

    @classmethod
    def from_json(cls, document: dict) -> Cluster:
        try:
            path_map = PathMap.parse(list(document.get("path_map", [])))
        except ValueError:
            path_map = PathMap()
        return cls(
            options=SlurmOptions.from_json(document.get("options", {})),
            runs=document.get("runs", "python") if document.get("runs") in NODE_RUNNERS else "python",
            python_env=str(document.get("python_env", "")),
            sif=str(document.get("sif", "")),
            path_map=path_map,
        )


def remembered_cluster(name: str) -> Cluster:
    stored = load_settings().settings.clusters.get(name)
    return Cluster.from_json(stored) if isinstance(stored, dict) else Cluster()


def remember_cluster(name: str, cluster: Cluster) -> None:
    settings = load_settings().settings
    settings.clusters = {**settings.clusters, name: cluster.to_json()}
    save_settings(settings)
