"""A Kilosort output folder as phy sees it: the files phy needs, `params.py`, and a `dat_path` valid on this host.

Kilosort 2.5's rezToPhy writes `dat_path` as the absolute path of its whitened temp file (`n_channels_dat` = the
connected channels, `hp_filtered = True`). With the contract's same-path mounts that path is valid on the host as
written; for results produced elsewhere (an older run, another machine, a moved folder) it is not, and phy opens
without its trace view. `plan_dat_path` finds a file that exists (the temp file beside the results, else the raw
recording named in `.ks-gui/job.json`) and `repair_dat_path` points `params.py` at it, with the channel count and
filter state of that file, after keeping a backup of the original.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ks_gui.core.ground.contract import job_file, provenance_file
from ks_gui.core.sorters.progress import Result

PARAMS_FILE = "params.py"
# What phylib's TemplateModel cannot load a folder without (phy docs/dataset.md); the rest only enables views.
REQUIRED_FILES = ("params.py", "spike_times.npy", "spike_templates.npy", "channel_map.npy", "channel_positions.npy")
# What a finished sort writes for phy, beyond that minimum (a sort without them did not end: run.py).
SORT_FILES = (*REQUIRED_FILES, "templates.npy", "amplitudes.npy")
TEMP_FILE_NAME = "temp_wh.dat"  # Kilosort's whitened copy, as the contract names it
BACKUP_SUFFIX = ".orig"

DataFileKind = Literal["temp", "raw"]


class PhyFolderError(Exception):
    """The folder cannot be opened in phy; the message says why, in one line."""


@dataclass(frozen=True)
class PhyParams:
    """The values of a phy `params.py`, read without running it."""

    dat_paths: tuple[str, ...]  # as written: absolute or relative to the folder; empty means no raw data
    n_channels_dat: int | None
    dtype: str | None
    offset: int
    sample_rate: float | None
    hp_filtered: bool


def read_params(path: Path) -> PhyParams:
    """Parse `params.py` as the literal assignments rezToPhy writes; never executes it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as err:
        raise PhyFolderError(f"{path} cannot be read: {err}") from err
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # an expression phy would evaluate; not one rezToPhy writes
    if "dat_path" not in values:
        raise PhyFolderError(f"{path} has no dat_path: it is not a phy params.py")
    raw = values["dat_path"]
    paths = tuple(str(p) for p in raw) if isinstance(raw, list | tuple) else (str(raw),)
    n_channels = values.get("n_channels_dat")
    sample_rate = values.get("sample_rate")
    return PhyParams(
        dat_paths=tuple(p for p in paths if p.strip()),
        n_channels_dat=int(n_channels) if isinstance(n_channels, int | float) else None,
        dtype=str(values["dtype"]) if "dtype" in values else None,
        offset=int(values.get("offset", 0) or 0),  # type: ignore[call-overload]  # a literal: int() raises if not a number
        sample_rate=float(sample_rate) if isinstance(sample_rate, int | float) else None,
        hp_filtered=bool(values.get("hp_filtered", False)),
    )


RECORDING_SUFFIXES = (".bin", ".dat", ".meta", ".oebin")


def not_a_sort(folder: Path) -> str | None:
    """One plain sentence when `folder` is not a sort's output at all (a recording's folder, an empty one), else None.
    What a sort's output folder lacks beyond that is folder_problems()'."""
    if not folder.is_dir():
        return f"{folder} is not a folder: choose the folder a sort wrote its results into"
    if (folder / PARAMS_FILE).is_file():
        return None
    recording = next((p.name for p in sorted(folder.iterdir()) if p.suffix.lower() in RECORDING_SUFFIXES), None)
    if recording is not None:
        return (
            f"{folder} holds a recording ({recording}), not a sort's results: choose the output folder a sort wrote "
            "(by default the recording folder's name with _kilosort), or sort the recording first"
        )
    return f"{folder} holds no sort's results (no params.py): choose the output folder a sort wrote"


def folder_problems(folder: Path) -> list[str]:
    """Why phy cannot open `folder`, one line each; empty when it can."""
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    ended = ended_as(folder)
    if ended not in (None, "succeeded"):
        return [f"{folder} holds what a {ended} sort left behind, not a result: sort the recording again"]
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        return [f"{folder} is not a finished Kilosort output folder: {', '.join(missing)} missing"]
    problems = []
    try:
        read_params(folder / PARAMS_FILE)
    except PhyFolderError as err:
        problems.append(str(err))
    if not os.access(folder, os.W_OK):
        # phy writes spike_clusters.npy and its .phy cache into the folder on the first launch.
        problems.append(f"phy needs to write into {folder}, and you may not: copy the folder somewhere you can write")
    return problems


def ended_as(folder: Path) -> str | None:
    """How the sort that wrote `folder` ended, from its `.ks-gui/run.json`: "succeeded", "failed" or "cancelled";
    None when no ks-gui sort recorded its end there. (A run.json from before the `outcome` key counts as succeeded
    only with exit code 0 and a result.)"""
    try:
        document = json.loads(provenance_file(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    outcome = document.get("outcome")
    if outcome in ("succeeded", "failed", "cancelled"):
        return outcome
    if outcome == "running":  # written at submission: the sort has not recorded its end yet
        return None
    return "succeeded" if document.get("exit_code") == 0 and document.get("result") else "failed"


# What a sort leaves in its output folder (Kilosort 2.5's rezToPhy and Kilosort 4's save_to_phy, phy's cache, the
# launcher's record of the run); --overwrite removes these before a new sort writes there.
_EARLIER_RESULTS = (
    "params.py",
    "*.npy",
    "*.tsv",
    "rez*.mat",
    "kilosort4.log",
    ".phy",
    "phy.log",
    # what a finished sort kept beside its record (core/results/units.py, the CLI's picture)
    ".ks-gui/units.json",
    ".ks-gui/drift_map.npz",
    ".ks-gui/drift_map.png",
    ".ks-gui/units.png",
)


def remove_earlier_results(folder: Path) -> list[Path]:
    """Remove an earlier sort's results from `folder` (the user chose to overwrite them); what was removed.
    Other files (notes, the user's own) stay, as does the temp file, which the new sort rewrites."""
    removed: list[Path] = []
    for pattern in _EARLIER_RESULTS:
        for path in sorted(folder.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    record = provenance_file(folder)
    if record.exists():
        record.unlink()
        removed.append(record)
    return removed


def _resolve(path: str, folder: Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else folder / candidate


@dataclass(frozen=True)
class DataFile:
    """A binary phy's trace view can read: its path and the layout params.py must then state."""

    path: Path
    kind: DataFileKind
    n_channels: int
    hp_filtered: bool

    def describe(self) -> str:
        what = "Kilosort's whitened temp file" if self.kind == "temp" else "the raw recording"
        return f"{what} {self.path} ({self.n_channels} channels)"


@dataclass(frozen=True)
class DatPathPlan:
    """What `params.py` needs before phy opens. `change` None: nothing to do (see `warning` for why)."""

    folder: Path
    params: PhyParams
    change: DataFile | None = None
    warning: str | None = None

    @property
    def message(self) -> str:
        if self.change is not None:
            written = ", ".join(self.params.dat_paths) or "no data file"
            return f"params.py named {written}, which is not on this computer; phy will read {self.change.describe()}."
        return self.warning or ""


def _job_document(folder: Path) -> dict:
    """The job file, its paths as this computer names them (a server's job file says both)."""
    try:
        document = json.loads(job_file(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict):
        return {}
    here = document.get("launcher_paths")
    return {**document, **here} if isinstance(here, dict) else document


def _fits(path: Path, n_channels: int | None, itemsize: int = 2) -> bool:
    """The file exists and holds whole int16 frames of `n_channels` channels."""
    if not n_channels or not path.is_file():
        return False
    size = path.stat().st_size
    return size > 0 and size % (n_channels * itemsize) == 0


def _temp_file_channels(folder: Path, job: dict) -> int | None:
    """Kilosort's Nchan: from the job file, else the length of channel_map.npy (rezToPhy writes 0..Nchan-1)."""
    if isinstance(job.get("n_channels_connected"), int):
        return int(job["n_channels_connected"])
    import numpy as np  # here, not at the top: the window opens without numpy (issue #8)

    try:
        return int(np.load(folder / "channel_map.npy", mmap_mode="r").size)
    except (OSError, ValueError):
        return None


def _candidates(folder: Path, params: PhyParams) -> list[DataFile]:
    """Files phy could read instead, best first: the temp file (what Kilosort sorted), then the raw file."""
    job = _job_document(folder)
    temp_channels = _temp_file_channels(folder, job)
    temp_paths = [folder / TEMP_FILE_NAME]
    if isinstance(job.get("temp_file"), str):
        temp_paths.append(Path(job["temp_file"]))
    found = [DataFile(path, "temp", temp_channels or 0, True) for path in temp_paths if _fits(path, temp_channels)]
    if isinstance(job.get("binary"), str) and isinstance(job.get("n_channels"), int):
        raw = Path(job["binary"])
        if _fits(raw, job["n_channels"]):
            found.append(DataFile(raw, "raw", int(job["n_channels"]), False))
    return found


def plan_dat_path(folder: Path) -> DatPathPlan:
    """Decide whether `params.py` can be used as it is, or which existing file it should name instead."""
    folder = folder.absolute()
    params = read_params(folder / PARAMS_FILE)
    if params.dat_paths and all(_resolve(p, folder).is_file() for p in params.dat_paths):
        return DatPathPlan(folder, params)
    candidates = _candidates(folder, params)
    if candidates:
        return DatPathPlan(folder, params, change=candidates[0])
    written = ", ".join(params.dat_paths) or "no data file"
    return DatPathPlan(
        folder,
        params,
        warning=f"params.py names {written}, which is not on this computer, and neither the temp file nor the "
        "raw recording was found: phy opens without its trace view.",
    )


def _backup_path(params_file: Path) -> Path:
    """`params.py.orig`, or `.orig-2`, `.orig-3`…: an earlier backup is never overwritten."""
    candidate = params_file.with_name(params_file.name + BACKUP_SUFFIX)
    number = 2
    while candidate.exists():
        candidate = params_file.with_name(f"{params_file.name}{BACKUP_SUFFIX}-{number}")
        number += 1
    return candidate


def _rewritten(text: str, values: dict[str, str]) -> str:
    """`text` with the assignments to `values`' names replaced in place (others kept as written), missing ones added."""
    lines = text.splitlines()
    done = set()
    for i, line in enumerate(lines):
        name = line.split("=", 1)[0].strip()
        if "=" in line and name in values and not line.startswith((" ", "\t")):
            lines[i] = f"{name} = {values[name]}"
            done.add(name)
    lines += [f"{name} = {value}" for name, value in values.items() if name not in done]
    return "\n".join(lines) + "\n"


def _dat_path_text(data: DataFile, folder: Path) -> str:
    # Relative when the file is in the folder, so the folder can move again; phy accepts both.
    path = data.path.relative_to(folder) if folder in data.path.parents else data.path
    return repr(path.as_posix())


@dataclass(frozen=True)
class Repair:
    backup: Path
    data: DataFile


def repair_dat_path(plan: DatPathPlan) -> Repair | None:
    """Apply the plan: keep the original as a backup, then point `params.py` at the chosen file."""
    if plan.change is None:
        return None
    params_file = plan.folder / PARAMS_FILE
    original = params_file.read_bytes()
    backup = _backup_path(params_file)
    backup.write_bytes(original)
    text = _rewritten(
        original.decode("utf-8"),
        {
            "dat_path": _dat_path_text(plan.change, plan.folder),
            "n_channels_dat": str(plan.change.n_channels),
            "hp_filtered": str(plan.change.hp_filtered),
        },
    )
    partial = params_file.with_name(params_file.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, params_file)
    return Repair(backup, plan.change)


def read_counts(folder: Path) -> Result | None:
    """Units, good units and spikes from the output files, for a run whose result marker is not at hand.

    Units and good units are Kilosort's own labels (cluster_KSLabel.tsv), not a later curation in phy."""
    import numpy as np  # here, not at the top: the window opens without numpy (issue #8)

    try:
        spikes = int(np.load(folder / "spike_times.npy", mmap_mode="r").size)
    except (OSError, ValueError):
        return None
    try:
        rows = [row.rstrip("\r").split("\t") for row in (folder / "cluster_KSLabel.tsv").read_text().splitlines()[1:]]
        labels = [row[-1] for row in rows if row and row[0].strip()]
        return Result(units=len(labels), good=labels.count("good"), spikes=spikes)
    except OSError:
        pass
    try:
        units = int(np.unique(np.load(folder / "spike_templates.npy")).size)
    except (OSError, ValueError):
        return None
    return Result(units=units, good=0, spikes=spikes)
