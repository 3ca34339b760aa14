"""`ks-gui sort`'s options for a SLURM cluster (--partition, --time, …, --node-runs): what each job asks for and what
runs on the nodes, over what was remembered for the cluster."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ks_gui.cli.common import BadInputError
from ks_gui.core.doors.clusters import Cluster, remember_cluster, remembered_cluster
from ks_gui.core.sorting import PathMap


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    cluster = parser.add_argument_group(
        "a SLURM cluster (--on slurm, or slurm+ssh://USER@LOGIN)",
        "what each job asks for and what runs on the nodes; default: what was used last for the cluster",
    )
    cluster.add_argument("--partition", metavar="NAME", help="the partition (default: the cluster's)")
    cluster.add_argument("--time", metavar="TIME", help="time limit, e.g. 4:00:00")
    cluster.add_argument("--mem", metavar="SIZE", help="memory, e.g. 64G")
    cluster.add_argument("--cpus", type=int, metavar="N", help="CPUs per job")
    cluster.add_argument("--gpus-per-job", type=int, metavar="N", help="GPUs per job (--gres=gpu:N; default 1)")
    cluster.add_argument("--account", metavar="NAME", help="the account to charge")
    cluster.add_argument("--qos", metavar="NAME", help="the quality of service")
    cluster.add_argument(
        "--sbatch", action="append", default=None, metavar="LINE", help="another #SBATCH line, e.g. --constraint=a100"
    )
    cluster.add_argument(
        "--node-runs",
        choices=["python", "apptainer", "docker"],
        help="what runs the sorter on a node: python (Kilosort 4 in --python-env), apptainer (--sif) or docker",
    )
    cluster.add_argument("--python-env", metavar="PATH", help="Kilosort 4's environment on shared storage")
    cluster.add_argument("--sif", metavar="PATH", help="the Apptainer image on shared storage (ks-gui image sif)")


_CLUSTER_FLAGS = ("partition", "time", "mem", "cpus", "gpus_per_job", "account", "qos", "sbatch", "node_runs")


def cluster_from_args(args: argparse.Namespace, place: str, path_map: PathMap | None) -> Cluster | None:
    """The cluster's settings: the remembered ones with what the command line says over them, `path_map`
    (--path-map) over the remembered one; None for a place that is not a cluster. BadInputError when SLURM would
    refuse them or they would write other lines into the batch script. Nothing is remembered here: a sort that
    starts remembers them (remember_given_cluster)."""
    given = [flag for flag in (*_CLUSTER_FLAGS, "python_env", "sif") if getattr(args, flag) is not None]
    if not place.startswith("slurm"):
        if given:
            raise BadInputError(f"--{given[0].replace('_', '-')} is for a SLURM cluster: use it with --on slurm")
        return None
    known = remembered_cluster(place)
    options = known.options
    options = replace(
        options,
        partition=args.partition if args.partition is not None else options.partition,
        time=args.time if args.time is not None else options.time,
        memory=args.mem if args.mem is not None else options.memory,
        cpus=args.cpus if args.cpus is not None else options.cpus,
        gpus=args.gpus_per_job if args.gpus_per_job is not None else options.gpus,
        account=args.account if args.account is not None else options.account,
        qos=args.qos if args.qos is not None else options.qos,
        extra=tuple(args.sbatch) if args.sbatch is not None else options.extra,
    )
    cluster = replace(
        known,
        options=options,
        runs=args.node_runs or known.runs,
        python_env=args.python_env if args.python_env is not None else known.python_env,
        sif=args.sif if args.sif is not None else known.sif,
        path_map=known.path_map if path_map is None else path_map,
    )
    if problems := options.problems():
        raise BadInputError(*(f"{option} {sentence}" for option, sentence in problems))
    return cluster


def remember_given_cluster(args: argparse.Namespace, place: str, path_map: PathMap | None) -> None:
    """Keep the cluster options the command line gave, for the next sort and the window (once a job is submitted:
    a refused sort or a dry run keeps nothing)."""
    if not place.startswith("slurm"):
        return
    if any(getattr(args, flag) is not None for flag in (*_CLUSTER_FLAGS, "python_env", "sif")):
        cluster = cluster_from_args(args, place, path_map)
        assert cluster is not None
        remember_cluster(place, cluster)
