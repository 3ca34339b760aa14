"""Names fixed by the launcher ⇄ sorter contract (docker/CONTRACT.md)."""

from __future__ import annotations

from pathlib import Path

CONTRACT_VERSION = 1

LABEL_CONTRACT = "ks-gui.contract"
LABEL_SORTER = "ks-gui.sorter"
LABEL_GPU = "ks-gui.gpu"
# The image's own folders (home, install folders), space-separated: no mount may hide them (docker/CONTRACT.md).
LABEL_KEEPS = "ks-gui.keeps"
LABEL_JOB = "ks-gui.job"
LABEL_OUTPUT = "ks-gui.output"

MARKER = "[ks-gui] "

# Stage names in the order a sort passes through them.
# `quality` (SpikeInterface's metrics and Bombcell's labels) comes after the phy folder is complete: its failure
# never fails the sort.
STAGES = ("start", "compile", "preprocess", "drift", "learn", "extract", "merge_split", "export", "quality", "done")

MEX_FILES = (
    "spikedetector3",
    "mexThSpkPC",
    "mexGetSpikes2",
    "mexMPnu8",
    "mexSVDsmall2",
    "mexWtW2",
    "mexFilterPCs",
    "mexClustering2",
    "mexDistances2",
)

RUN_FOLDER = ".ks-gui"


def holds_earlier_sort(output: Path) -> bool:
    """Whether `output` holds an earlier sort's results (its run record or a phy folder): never overwritten unasked."""
    return (output / RUN_FOLDER).exists() or (output / "params.py").exists()


def job_file(output: Path) -> Path:
    return output / RUN_FOLDER / "job.json"


def channel_map_file(output: Path) -> Path:
    return output / RUN_FOLDER / "chanMap.mat"


def provenance_file(output: Path) -> Path:
    return output / RUN_FOLDER / "run.json"
