"""A sort job: everything needed to start one sort, and every reason it may not start yet."""

from __future__ import annotations

import math
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ks_gui.core.gpu_choice import forward_compat_enabled
from ks_gui.core.ground.contract import CONTRACT_VERSION, channel_map_file, holds_earlier_sort
from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.license import License, license_from_record, license_problems, license_record
from ks_gui.core.mounts import hidden_folder, image_folders, shadow_sentence
from ks_gui.core.places.base import PLACE_KINDS, Mount
from ks_gui.core.places.gpus import Gpu
from ks_gui.core.places.path_map import PathMap, nearest_existing
from ks_gui.core.recordings.channel_count import channel_count_problem
from ks_gui.core.recordings.channel_map import ChannelMap, linear
from ks_gui.core.recordings.recording import Recording
from ks_gui.core.sorters import KILOSORT25, Sorter, param_problems, sorter_named

TEMP_FILE_NAME = "temp_wh.dat"
# Room kept free beside the temp file for the phy files and rez2.mat.
DISK_MARGIN_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class Problem:
    """One reason a job may not start, in words for any face. `field` names the form field at fault (the window marks
    it); `flag` is how the command line sets it, which the CLI adds to the message."""

    field: str
    message: str
    flag: str = ""

    def __str__(self) -> str:
        return self.message

    def command_line_text(self) -> str:
        return f"{self.message} ({self.flag})" if self.flag else self.message


def new_job_id() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


@dataclass
class SortJob:
    recording: Recording
    output: Path
    license: License | None
    sorter: Sorter = KILOSORT25
    place: str = "docker"  # where it runs: a name `--on` takes (core/sorting.py lists them)
    image: str = ""
    gpu: Gpu | None = None
    temp_dir: Path | None = None
    extra_mounts: tuple[Mount, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    param_overrides: dict = field(default_factory=dict)
    channel_map: ChannelMap | None = None
    job_id: str = field(default_factory=new_job_id)
    # The user chose to replace an earlier sort's results in `output` (--overwrite); never while a sort runs there.
    overwrite: bool = False
    cuda_forward_compat: str = "auto"  # auto | on | off (gpu.FORWARD_COMPAT_CHOICES)
    # --gpu none: a CPU sort everywhere, so no place asks for a GPU (a SLURM job no --gres). Set by sorting.check.
    cpu_only: bool = False

    def __post_init__(self) -> None:
        # Resolved once (symlinks, `..`): every check below and every mount compare the folders a sorter really
        # writes, as Docker resolves them.
        self.output = Path(self.output).expanduser().resolve()
        if self.temp_dir is not None:
            self.temp_dir = Path(self.temp_dir).expanduser().resolve()
        self.image = self.image or self.sorter.default_image

    # --- derived facts -------------------------------------------------------------------------------------

    @property
    def params(self) -> dict:
        """Every parameter after defaults, detection and the user's overrides."""
        merged = self.sorter.defaults()
        if self.recording.n_channels is not None:
            merged[self.sorter.channels_param] = self.recording.n_channels
        if self.recording.sample_rate is not None:
            merged[self.sorter.sample_rate_param] = self.recording.sample_rate
        merged.update(self.param_overrides)
        return merged

    @property
    def n_channels(self) -> int | None:
        return self.params.get(self.sorter.channels_param)

    @property
    def sample_rate(self) -> float | None:
        fs = self.params.get(self.sorter.sample_rate_param)
        return None if fs is None else float(fs)

    @property
    def n_samples(self) -> int | None:
        return None if not self.n_channels else self.recording.n_samples(self.n_channels)

    @property
    def effective_channel_map(self) -> ChannelMap | None:
        if self.channel_map is not None:
            return self.channel_map
        if self.recording.channel_map is not None and self.n_channels:  # detected: SpikeGLX, Open Ephys, a .mat
            fitted = self.recording.channel_map.fitted(self.n_channels)
            if fitted is not None:
                return fitted
        return linear(self.n_channels) if self.n_channels else None

    @property
    def n_batches(self) -> int | None:
        """Kilosort's Nbatch, from the file size, NchanTOT, NT and trange, as preprocessDataSub computes it."""
        params = self.params
        if not self.n_samples or not self.sample_rate:
            return None
        start, end = self.sorter.time_range(params)
        t_start = math.ceil(start * self.sample_rate)
        t_end = self.n_samples if end is None else min(self.n_samples, math.ceil(end * self.sample_rate))
        return max(0, math.ceil((t_end - t_start) / params[self.sorter.batch_param]))

    @property
    def temp_file(self) -> Path:
        return (self.temp_dir or self.output) / TEMP_FILE_NAME

    @property
    def temp_file_bytes(self) -> int:
        chan_map = self.effective_channel_map
        if chan_map is None or not self.n_batches or not self.sorter.writes_temp_file:
            return 0
        return chan_map.n_connected * self.params[self.sorter.batch_param] * self.n_batches * 2

    # --- checks --------------------------------------------------------------------------------------------

    def input_problems(self) -> list[Problem]:
        """What is wrong with the job itself, found without asking Docker."""
        found = self._output_problems() + self._recording_problems()
        found += [Problem("params", p) for p in param_problems(self.sorter, self.params)]
        if self.place in PLACE_KINDS and PLACE_KINDS[self.place].form == "container":
            hidden = self.mount_problems()
            writable = self._writable_mount_of_recording(self.recording.folder.resolve())
            found += hidden + ([writable] if writable and not any(p.field == "mounts" for p in hidden) else [])
        return found + self._license_problems()

    def mount_problems(self, keeps_label: str | None = None) -> list[Problem]:
        """Folders given to the container at a path that would hide one the image needs (`/`, `/usr`, its home...):
        the image's `ks-gui.keeps` label adds to the folders every ks-gui image keeps."""
        needed = image_folders(keeps_label)
        temp_folder = self.temp_file.parent
        given = [
            ("recording", "recording folder", str(self.recording.folder), ""),
            ("output", "output folder", str(self.output), "--output"),
        ]
        if temp_folder != self.output:
            given.append(("temp", "temp folder", str(temp_folder), "--temp-dir"))
        given += [("mounts", "mount", m.target, "--mount") for m in self.extra_mounts]
        found = []
        for field_name, what, target, flag in given:
            if (folder := hidden_folder(target, needed)) is not None:
                found.append(Problem(field_name, shadow_sentence(what, target, folder), flag))
        return found

    def _output_problems(self) -> list[Problem]:
        out = self.output
        if out.exists() and not out.is_dir():
            return [Problem("output", f"the output {out} is a file, not a folder")]
        recording_folder = self.recording.folder.resolve()
        if out == recording_folder:
            return [
                Problem(
                    "output",
                    "choose an output folder other than the recording's own folder "
                    "(the recording is mounted read-only)",
                )
            ]
        if out.is_relative_to(recording_folder):
            return [Problem("output", f"choose an output folder outside the recording's folder {recording_folder}")]
        if self.temp_dir is not None and self.temp_dir == recording_folder:
            return [Problem("temp", "choose a temp folder other than the recording's own folder")]
        if self.temp_dir is not None and self.temp_dir.is_relative_to(recording_folder):
            return [Problem("temp", f"choose a temp folder outside the recording's folder {recording_folder}")]
        if out.is_dir():
            earlier_sort = holds_earlier_sort(out)
            if earlier_sort and not self.overwrite:
                return [Problem("output", f"{out} already holds a sort: choose a new output folder", "or --overwrite")]
            # --overwrite gives up an earlier sort's results, never .npy files of the user's own.
            if not earlier_sort and any(out.glob("*.npy")):
                return [
                    Problem(
                        "output", f"{out} holds .npy files that Kilosort would delete: choose an empty output folder"
                    )
                ]
        for folder, name in ((out, "output"), (self.temp_dir, "temp")):
            if folder is None:
                continue
            existing = nearest_existing(folder)
            if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                return [Problem(name, f"the {name} folder {folder} is not writable ({existing} is read-only for you)")]
        return []

    def _writable_mount_of_recording(self, recording_folder: Path) -> Problem | None:
        """An extra folder given read-write that is the recording's folder, holds it or lies in it: the raw data
        would be writable through it."""
        for mount in self.extra_mounts:
            source = Path(mount.source).resolve()
            if mount.read_only:
                continue
            if source.is_relative_to(recording_folder) or recording_folder.is_relative_to(source):
                return Problem(
                    "mounts",
                    f"the folder {mount.source} would make the recording's folder writable: add :ro to mount it "
                    "read-only",
                    "--mount",
                )
        return None

    def _recording_problems(self) -> list[Problem]:
        found = []
        own_map = self.channel_map is not None
        if self.n_channels is None:
            found.append(
                Problem(
                    "n_channels", "the channel count is unknown: enter it", f"--param {self.sorter.channels_param}=…"
                )
            )
        if self.sample_rate is None:
            found.append(
                Problem(
                    "sample_rate", "the sample rate is unknown: enter it", f"--param {self.sorter.sample_rate_param}=…"
                )
            )
        if self.n_channels and (contradiction := channel_count_problem(self.recording, self.n_channels, own_map)):
            found.append(Problem("n_channels", contradiction, "--channels N"))
        elif self.n_channels and self.recording.size_bytes % (2 * self.n_channels):
            found.append(
                Problem(
                    "n_channels",
                    f"{self.recording.binary.name} has {self.recording.size_bytes} bytes, which is not a whole "
                    f"number of {self.n_channels}-channel int16 samples: check the channel count",
                )
            )
        elif self.n_batches == 0:
            found.append(Problem("params", "the time range holds no samples"))
        detected = self.recording.channel_map
        # A detected map that does not fit is said, never swapped for a made-up geometry without a word.
        unfitted = detected is not None and self.n_channels and detected.fitted(self.n_channels) is None
        if self.channel_map is None and detected is not None and unfitted:
            source = self.recording.metadata.name if self.recording.metadata else "the recording's channel map"
            found.append(
                Problem(
                    "n_channels",
                    f"{source} places contacts on {detected.n_channels} channels, the recording has "
                    f"{self.n_channels}: check the channel count or the channel map",
                )
            )
        return found

    def _license_problems(self) -> list[Problem]:
        if not self.sorter.needs_matlab_license:
            return []
        if self.license is None:
            return [
                Problem(
                    "license", "choose how MATLAB is licensed", "--license server:PORT@HOST, file:PATH or account:EMAIL"
                )
            ]
        return [Problem("license", p) for p in license_problems(self.license)]

    def disk_problems(self) -> list[Problem]:
        folder = nearest_existing(self.temp_file.parent)
        free = shutil.disk_usage(folder).free
        needed = self.temp_file_bytes + DISK_MARGIN_BYTES
        if free < needed:
            return [
                Problem(
                    "temp",
                    f"not enough free disk for Kilosort's temp file in {folder}: needs "
                    f"{human_bytes(needed)}, {human_bytes(free)} free. Choose another temp folder",
                )
            ]
        return []

    # --- what the sorter reads -----------------------------------------------------------------------------

    def document(self, mex_cache: Path | None, path_map: PathMap | None = None) -> dict:
        """The job file's content (docker/CONTRACT.md), its paths as the place sees them (`path_map`)."""
        there = (path_map or PathMap()).to_server
        chan_map = self.effective_channel_map
        assert chan_map is not None and self.n_channels and self.sample_rate, "check problems() first"
        return {
            "contract": CONTRACT_VERSION,
            "sorter": self.sorter.name,
            "place": self.place,
            "job_id": self.job_id,
            "binary": there(str(self.recording.binary)),
            "n_channels": self.n_channels,
            "n_channels_connected": chan_map.n_connected,
            "sample_rate": self.sample_rate,
            "dtype": self.recording.dtype,
            "n_samples": self.n_samples,
            "output": there(str(self.output)),
            "temp_file": there(str(self.temp_file)),
            "mex_cache": "" if mex_cache is None else str(mex_cache),  # none for Kilosort 4
            "channel_map": there(str(channel_map_file(self.output))),
            "forward_compat": forward_compat_enabled(self.cuda_forward_compat, self.gpu),
            "params": self.params,
            # A server names this computer's folders its own way (a path map): the same files as named here, for
            # phy opened on this computer.
            **({"launcher_paths": self._launcher_paths()} if path_map else {}),
        }

    def _launcher_paths(self) -> dict:
        return {"binary": str(self.recording.binary), "output": str(self.output), "temp_file": str(self.temp_file)}

    @classmethod
    def from_document(cls, document: dict, path_map: PathMap | None = None) -> SortJob:
        """The job a job file describes, for a run found again after the launcher restarted. Built from the file
        alone (the recording is not read again: it may be gone), so the progress and the result read as they did.
        `path_map` turns the place's paths back into this computer's."""
        here = (path_map or PathMap()).to_local
        sorter, place = sorter_named(document["sorter"])
        n_channels, sample_rate = int(document["n_channels"]), float(document["sample_rate"])
        recording = Recording(
            format="binary",
            binary=Path(here(document["binary"])),
            size_bytes=int(document["n_samples"]) * n_channels * 2,
            n_channels=n_channels,
            sample_rate=sample_rate,
        )
        output = Path(here(document["output"]))
        temp_folder = Path(here(document["temp_file"])).parent if document.get("temp_file") else output
        record = {
            "job_id": document["job_id"],
            "sorter": sorter.name,
            "place": document.get("place") or place or "docker",
            "output": str(output),
            "temp_dir": "" if temp_folder == output else str(temp_folder),
            "params": {k: v for k, v in document["params"].items() if k in sorter.params},
        }
        return cls.from_record(record, recording)

    # --- the one record of a job: the waiting list, reattach (above) and history ----------------------------

    def record(self) -> dict:
        """Everything the user chose for this job, as JSON and never a secret (a batch token is named by its email,
        read from the keyring again). The waiting list keeps it whole; history keeps what ran where, on what."""
        return {
            "job_id": self.job_id,
            "sorter": self.sorter.name,
            "place": self.place,
            "recording": str(self.recording.binary),
            "output": str(self.output),
            "image": self.image,
            "license": license_record(self.license),
            "temp_dir": str(self.temp_dir) if self.temp_dir else "",
            "environment": dict(self.environment),
            "mounts": [[str(m.source), m.target, m.read_only] for m in self.extra_mounts],
            "params": dict(self.param_overrides),
            "cuda_forward_compat": self.cuda_forward_compat,
            "overwrite": self.overwrite,
        }

    @classmethod
    def from_record(cls, record: dict, recording: Recording) -> SortJob:
        """The job `record` describes, on `recording` (read again by the caller, or made from a job file). Keys a
        record lacks take their defaults; a malformed one raises KeyError, TypeError, ValueError or LicenseError."""
        sorter, implied_place = sorter_named(str(record["sorter"]))
        extra: dict = {"job_id": str(record["job_id"])} if record.get("job_id") else {}
        return cls(
            recording=recording,
            output=Path(str(record["output"])),
            license=license_from_record(record.get("license")),
            sorter=sorter,
            place=str(record.get("place") or implied_place or "docker"),
            image=str(record.get("image") or ""),
            temp_dir=Path(record["temp_dir"]) if record.get("temp_dir") else None,
            environment={str(k): str(v) for k, v in dict(record.get("environment") or {}).items()},
            extra_mounts=tuple(
                Mount(Path(source), str(target), bool(read_only))
                for source, target, read_only in record.get("mounts") or ()
            ),
            param_overrides=dict(record.get("params") or {}),
            cuda_forward_compat=str(record.get("cuda_forward_compat") or "auto"),
            overwrite=bool(record.get("overwrite", False)),
            **extra,
        )
