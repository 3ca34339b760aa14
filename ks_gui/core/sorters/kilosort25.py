"""Kilosort 2.5 in the MATLAB image: its parameter table and the checks Kilosort itself would make too late."""

from __future__ import annotations

from ks_gui.core.sorters.base import Sorter, param_table
from ks_gui.core.sorters.kilosort25_output import Kilosort25Output
from ks_gui.core.sorters.params import Kind, Param
from ks_gui.core.sorters.stages import StageShape

# Kilosort v2.5.2: configFiles/configFile384.m and main_kilosort.m, plus the getOr() defaults the pipeline reads.
# v2.5.2 changed NT to 64*1024 - ntbuff (the "spike holes" fix, MouseLand/Kilosort#594), says ntbuff must be a
# multiple of 32 and NT a multiple of 1024 minus ntbuff, and makes trackAndSort ignore useStableMode (always 0);
# no other setting or default differs from v2.5 (git diff v2.5 v2.5.2: configFile384.m, trackAndSort.m, mexMPnu8.cu).
KILOSORT25_PARAMS = param_table(
    Param("NchanTOT", Kind.INT, None, "Total number of channels in the binary file", 1, 4096, detected=True),
    Param("fs", Kind.FLOAT, None, "Sample rate (Hz)", 1000, 200000, detected=True),
    Param("trange", Kind.RANGE, [0, None], "Time range to sort, in seconds ([0, null] = everything)", 0),
    Param("fshigh", Kind.FLOAT, 300, "High-pass filter cut-off (Hz)", 1, 10000),
    Param("Th", Kind.PAIR, [10, 4], "Thresholds on spike projections: [learning, extraction]", 0, 100),
    Param("lam", Kind.FLOAT, 10, "Amplitude penalty: how strongly amplitudes are pulled to the template mean", 0),
    Param("AUCsplit", Kind.FLOAT, 0.9, "Isolation needed to split a cluster (higher splits less)", 0, 1),
    Param("minFR", Kind.FLOAT, 1 / 50, "Units firing below this rate (Hz) are dropped", 0),
    Param("momentum", Kind.PAIR, [20, 400], "Number of samples averaged for templates: [start, end]", 1),
    Param("sigmaMask", Kind.FLOAT, 30, "Spatial constant (um) for template masks", 0),
    Param("ThPre", Kind.FLOAT, 8, "Threshold crossings for pre-clustering", 0),
    Param("sig", Kind.FLOAT, 20, "Spatial smoothness (um) of the drift-correction kernel", 0),
    Param("nblocks", Kind.INT, 5, "Drift correction blocks: 0 off, 1 rigid, more = non-rigid", 0, 50),
    Param("spkTh", Kind.FLOAT, -6, "Spike detection threshold (standard deviations)", -100, 0),
    Param("nskip", Kind.INT, 25, "Batches skipped between those used to learn templates", 1),
    Param("nfilt_factor", Kind.INT, 4, "Maximum templates per channel", 1, 64),
    Param(
        "ntbuff",
        Kind.INT,
        64,
        "Samples of padding around each batch, a multiple of 32 (changing it risks #594)",
        0,
        1024,
    ),
    Param(
        "NT",
        Kind.INT,
        64 * 1024 - 64,
        "Samples per batch: a multiple of 1024 minus ntbuff (lower it if the GPU runs out of memory)",
        1024,
        10_000_000,
    ),
    Param("whiteningRange", Kind.INT, 32, "Channels used to whiten each channel", 1, 4096),
    Param("nSkipCov", Kind.INT, 25, "Batches skipped when computing the whitening matrix", 1),
    Param("scaleproc", Kind.INT, 200, "int16 scaling of the whitened data", 1),
    Param("nPCs", Kind.INT, 3, "Principal components per channel", 1, 12),
    Param("CAR", Kind.INT, 1, "Common average referencing: 1 on, 0 off", 0, 1),
    Param("useStableMode", Kind.INT, 1, "Deterministic template learning (v2.5.2 always extracts without it)", 0, 1),
    Param("fig", Kind.INT, 0, "Draw MATLAB figures (0: no display in a container)", 0, 1),
)


def _kilosort25_checks(params: dict) -> list[str]:
    """Kilosort v2.5.2's configFile384.m: other NT and ntbuff values "could cause the spike holes problem" (#594)."""
    nt, ntbuff = params.get("NT"), params.get("ntbuff")
    if not isinstance(nt, int):
        return []
    if nt % 32:
        return [f"NT must be a multiple of 32, not {nt}"]
    if not isinstance(ntbuff, int):
        return []
    if ntbuff % 32:
        return [f"ntbuff must be a multiple of 32, not {ntbuff}"]
    if (nt + ntbuff) % 1024:
        fits = max(1, (nt + ntbuff) // 1024) * 1024 - ntbuff
        return [f"NT must be a multiple of 1024 minus ntbuff ({ntbuff}), e.g. {fits}, not {nt}"]
    return []


# From the real log in tests/fixtures/logs/ks25_issue307.txt (GPU; 2336 batches of 65600 samples at 30 kHz, 384
# channels: about 5100 s x 384 = 1.96 million channel-seconds): drift detection and shifting took 184 s, so 9.4e-5 s
# per channel-second; the other stages in the proportions of the reference's stage weights (§3c) to drift's.
# Starting MATLAB about 30 s; the first run of an image compiles 9 mex files of about 25 s each. Every stage has a
# few seconds that do not grow with the recording (moving the data to the GPU, MATLAB's first calls of each function,
# writing files): a short recording's stages are not nothing beside the start (an estimate, not a measurement).
KILOSORT25_GPU = StageShape(
    fixed={
        "start": 30.0,
        "compile": 225.0,
        "preprocess": 5.0,
        "drift": 5.0,
        "learn": 10.0,
        "extract": 5.0,
        "merge_split": 5.0,
        "export": 3.0,
    },
    per_size={
        "preprocess": 7.3e-5,
        "drift": 9.4e-5,
        "learn": 1.46e-4,
        "extract": 1.15e-4,
        "merge_split": 4.2e-5,
        "export": 1.0e-5,
    },
)

KILOSORT25 = Sorter(
    name="kilosort2.5",
    title="Kilosort 2.5 (MATLAB)",
    default_image="ks-gui/kilosort2.5:latest",
    needs_matlab_license=True,
    params=KILOSORT25_PARAMS,
    forms=("container",),  # MATLAB and its mex files come only as the image
    checks=_kilosort25_checks,
    output_reader=Kilosort25Output,
    shapes={"gpu": KILOSORT25_GPU},
)
