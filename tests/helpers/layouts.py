"""Recording folders as acquisition software writes them, built around the real metadata in tests/fixtures.

Binaries are sparse files of the size the metadata says (they cost no disk space); the fixtures are copied, never
edited.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES

RECORDINGS = FIXTURES / "recordings"
NP1_META = RECORDINGS / "Noise_g0_t0.imec0.ap.meta"
NP2_META = RECORDINGS / "NP2_4_shanks.imec0.ap.meta"
OE_NP1 = RECORDINGS / "OE_Neuropix-PXI-NP1-binary"
NP1_BYTES = 121_625_350  # fileSizeBytes in NP1_META
NP2_BYTES = 23_598_960


def sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def file_size_bytes(meta: Path) -> int:
    for line in meta.read_text().splitlines():
        if line.startswith("fileSizeBytes="):
            return int(line.split("=", 1)[1])
    raise AssertionError(f"{meta} has no fileSizeBytes")


def spikeglx_stream(folder: Path, stem: str, meta: Path, size: int | None = None, binary: bool = True) -> Path:
    """`folder/stem.meta` (a copy of `meta`) and, unless told not to, `stem.bin` of fileSizeBytes (or `size`)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(meta, folder / f"{stem}.meta")
    if binary:
        sparse(folder / f"{stem}.bin", file_size_bytes(meta) if size is None else size)
    return folder / f"{stem}.bin"


def spikeglx_run(root: Path, metas: tuple[Path, ...] = (NP1_META, NP2_META), run: str = "mouse42") -> Path:
    """`<run>_g0/<run>_g0_imec<i>/<run>_g0_t0.imec<i>.ap.{meta,bin}`, one probe per meta."""
    run_folder = root / f"{run}_g0"
    for index, meta in enumerate(metas):
        spikeglx_stream(run_folder / f"{run}_g0_imec{index}", f"{run}_g0_t0.imec{index}.ap", meta)
    return run_folder


def oebin_streams() -> list[dict]:
    """The real .oebin's ProbeA stream plus two generated ones: its LFP band and an 8-channel NI-DAQ."""
    probe = json.loads((OE_NP1 / "structure.oebin").read_text())["continuous"][0]
    lfp = copy.deepcopy(probe)
    lfp.update(folder_name="Neuropix-PXI-100.ProbeA-LFP/", stream_name="ProbeA-LFP", sample_rate=2500.0)
    daq = {
        "folder_name": "NI-DAQmx-102.PXIe-6341/",
        "sample_rate": 30000.0,
        "source_processor_name": "NI-DAQmx",
        "stream_name": "PXIe-6341",
        "num_channels": 8,
        "channels": [{"channel_name": f"AI{i}", "bit_volts": 0.00015} for i in range(8)],
    }
    return [probe, lfp, daq]


def openephys_recording(
    recording: Path, streams: list[dict], seconds: float = 1.0, settings: bool = True, skip: tuple[str, ...] = ()
) -> Path:
    """`recording/structure.oebin` listing `streams`, with a sparse continuous.dat for each (except `skip`)."""
    recording.mkdir(parents=True, exist_ok=True)
    document = json.loads((OE_NP1 / "structure.oebin").read_text())
    document["continuous"] = streams
    (recording / "structure.oebin").write_text(json.dumps(document, indent=2))
    for stream in streams:
        if stream["stream_name"] in skip:
            continue
        n_samples = int(seconds * stream["sample_rate"])
        folder = recording / "continuous" / stream["folder_name"].strip("/")
        sparse(folder / "continuous.dat", n_samples * stream["num_channels"] * 2)
    if settings:
        shutil.copyfile(OE_NP1 / "settings.xml", recording.parent.parent / "settings.xml")
    return recording


def openephys_session(root: Path, nodes: tuple[int, ...] = (101, 102), recordings: int = 2) -> Path:
    """A session: several record nodes, experiment1 with several recordings, each with three streams."""
    session = root / "2026-11-25_10-00-00"
    for node in nodes:
        for index in range(1, recordings + 1):
            openephys_recording(session / f"Record Node {node}" / "experiment1" / f"recording{index}", oebin_streams())
    return session
