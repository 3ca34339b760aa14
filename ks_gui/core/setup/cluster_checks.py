"""Check setup for a SLURM cluster (`ks-gui doctor --on slurm`): SLURM's commands answer, the partition exists and
has GPUs, what runs on the nodes is there (the Python environment, the SIF)."""

from __future__ import annotations

from ks_gui.core.doors.clusters import Cluster, remembered_cluster
from ks_gui.core.places.base import PlaceError
from ks_gui.core.setup.doctor import Check


def cluster_checks(name: str, cluster: Cluster | None = None) -> list[Check]:
    from ks_gui.core import sorting
    from ks_gui.core.places.slurm_place import SlurmPlace

    cluster = cluster or remembered_cluster(name)
    try:
        place = sorting.open_place(name, cluster=cluster)
        assert isinstance(place, SlurmPlace)
        partitions = place.slurm.partitions()
    except PlaceError as err:
        return [Check("SLURM", False, err.message, "see the README: Sorting on a cluster")]
    checks = [Check("SLURM", True, f"{place.version() or 'SLURM'} answers; partitions: {', '.join(partitions)}")]
    partition = cluster.options.partition or next((p for p in partitions), "")
    if cluster.options.partition and cluster.options.partition not in partitions:
        checks.append(Check("Partition", False, f"no partition {partition}", f"choose one of {', '.join(partitions)}"))
    else:
        gres = place.slurm.shell.run(["sinfo", "--noheader", "--partition", partition, "--format=%G"]).stdout
        has_gpus = "gpu" in gres
        wanted = cluster.options.gpus
        checks.append(
            Check(
                "Partition",
                has_gpus or not wanted,
                f"{partition}: {'GPUs ' + gres.strip() if has_gpus else 'no GPUs'}",
                "" if has_gpus or not wanted else "choose a GPU partition (--partition), or --gpus-per-job 0",
            )
        )
    problems = place.runner.problems(place.slurm.shell, "")
    runner = place.runner.describe()
    checks.append(Check("What runs on the nodes", not problems, problems[0] if problems else runner, ""))
    return checks
