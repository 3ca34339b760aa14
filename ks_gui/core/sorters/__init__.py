"""What each sorter is: where it runs, its command, its parameter table. Everything sorter-specific lives here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from ks_gui.core.sorters.params import Kind, Param

# Where a sorter runs: a Docker container, or a process in the app-managed Python environment (local_run.py).
RunsIn = Literal["container", "local"]
# How the job file reaches the sorter: a MATLAB statement for the MATLAB image's entrypoint, or the path itself
# (the image's entrypoint, or the local environment's python running the driver, takes it as its argument).
CommandStyle = Literal["matlab", "job_file"]


@dataclass(frozen=True)
class Sorter:
    name: str
    title: str
    default_image: str  # "" for a sorter that runs outside Docker
    needs_matlab_license: bool
    params: dict[str, Param] = field(repr=False)
    runs_in: RunsIn = "container"
    command_style: CommandStyle = "matlab"
    channels_param: str = "NchanTOT"  # the parameter that holds the binary's channel count
    sample_rate_param: str = "fs"
    batch_param: str = "NT"  # samples per batch
    writes_temp_file: bool = True  # Kilosort 2.5's whitened copy; Kilosort 4 reads the recording itself

    @property
    def runs_locally(self) -> bool:
        return self.runs_in == "local"

    def command(self, job_file: str) -> list[str]:
        """The command that runs the job file (for the MATLAB image, its entrypoint starts MATLAB)."""
        if self.command_style == "job_file":
            return [job_file]
        quoted = job_file.replace("'", "''")  # MATLAB doubles single quotes inside a char literal
        return ["-batch", f"ks_gui_run('{quoted}')"]

    def defaults(self) -> dict:
        return {name: p.default for name, p in self.params.items() if p.default is not None}

    def time_range(self, params: dict) -> tuple[float, float | None]:
        """(start, end) in seconds of the part to sort; end None = to the end of the recording."""
        if "trange" in self.params:
            start, end = params["trange"]
            return float(start), end
        end = params.get("tmax")
        return float(params.get("tmin", 0)), None if end is None or not math.isfinite(end) else float(end)


def _table(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


# Kilosort v2.5.2: configFiles/configFile384.m and main_kilosort.m, plus the getOr() defaults the pipeline reads.
# v2.5.2 changed NT to 64*1024 - ntbuff (the "spike holes" fix, MouseLand/Kilosort#594), says ntbuff must be a
# multiple of 32 and NT a multiple of 1024 minus ntbuff, and makes trackAndSort ignore useStableMode (always 0);
# no other setting or default differs from v2.5 (git diff v2.5 v2.5.2: configFile384.m, trackAndSort.m, mexMPnu8.cu).
KILOSORT25_PARAMS = _table(
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

KILOSORT25 = Sorter(
    name="kilosort2.5",
    title="Kilosort 2.5 (MATLAB container)",
    default_image="ks-gui/kilosort2.5:latest",
    needs_matlab_license=True,
    params=KILOSORT25_PARAMS,
)

# Kilosort 4.1.7: kilosort/parameters.py (MAIN_PARAMETERS and EXTRA_PARAMETERS), names, defaults and ranges as
# Kilosort declares them. A default of None is Kilosort's automatic choice (left out of the job's params).
# Not offered: drift_smoothing (a list of three), templates_from_data (a flag), shift and scale (raw-data fixes).
KILOSORT4_PARAMS = _table(
    Param("n_chan_bin", Kind.INT, None, "Total number of channels in the binary file", 1, 4096, detected=True),
    Param("fs", Kind.FLOAT, None, "Sample rate (Hz)", 1000, 200000, detected=True),
    Param("batch_size", Kind.INT, 60000, "Samples per batch (lower it if the GPU runs out of memory)", 1),
    Param("nblocks", Kind.INT, 1, "Drift correction blocks: 0 off, 1 rigid, more = non-rigid", 0),
    Param("Th_universal", Kind.FLOAT, 9, "Spike detection threshold for universal templates", 0.001),
    Param("Th_learned", Kind.FLOAT, 8, "Spike detection threshold for learned templates", 0.001),
    Param("tmin", Kind.FLOAT, 0, "Time (s) where sorting begins", 0),
    Param("tmax", Kind.FLOAT, None, "Time (s) where sorting ends (default: the end of the recording)", 0.001),
    Param("nt", Kind.INT, 61, "Samples per waveform (odd)", 1),
    Param("nt0min", Kind.INT, None, "Sample at which waveforms are aligned (default: 20 * nt / 61)", 0),
    Param("batch_downsampling", Kind.INT, 1, "Batches skipped for each batch used for sorting", 1),
    Param("artifact_threshold", Kind.FLOAT, None, "Batches with absolute values above this are zeroed", 0),
    Param("nskip", Kind.INT, 25, "Batch stride for computing the whitening matrix", 1),
    Param("whitening_range", Kind.INT, 32, "Nearby channels used to estimate the whitening matrix", 1),
    Param("highpass_cutoff", Kind.FLOAT, 300, "High-pass filter cut-off (Hz)", 0),
    Param("binning_depth", Kind.FLOAT, 5, "Vertical bin size (um) for drift correction", 0.001),
    Param("sig_interp", Kind.FLOAT, 20, "Spatial smoothness scale (um) for drift interpolation", 0.001),
    Param("dmin", Kind.FLOAT, None, "Vertical spacing (um) of template centres (default: from the probe)", 0.001),
    Param("dminx", Kind.FLOAT, 32, "Horizontal spacing (um) of template centres", 0.001),
    Param("min_template_size", Kind.FLOAT, 10, "Smallest spatial envelope (um) of universal templates", 0.001),
    Param("template_sizes", Kind.INT, 5, "Number of universal template sizes", 1),
    Param("nearest_chans", Kind.INT, 10, "Nearest channels considered when detecting spikes", 1),
    Param("nearest_templates", Kind.INT, 100, "Nearest template locations considered when detecting spikes", 1),
    Param("max_channel_distance", Kind.FLOAT, 32, "Templates farther (um) from any channel are not used", 1),
    Param("max_peels", Kind.INT, 100, "Matching-pursuit iterations per batch", 1, 10000),
    Param("n_templates", Kind.INT, 6, "Single-channel templates for the universal templates", 1),
    Param("n_pcs", Kind.INT, 6, "Single-channel PCs for spike features", 1),
    Param("Th_single_ch", Kind.FLOAT, 6, "Threshold crossings (whitened SD) for universal templates", 0.001),
    Param("acg_threshold", Kind.FLOAT, 0.2, "Refractory violations allowed in the ACG for a good unit", 0.001),
    Param("ccg_threshold", Kind.FLOAT, 0.25, "Refractory violations allowed in the CCG for splits and merges", 0.001),
    Param("cluster_neighbors", Kind.INT, 10, "Nearest spike neighbours in the clustering graph", 2),
    Param("cluster_downsampling", Kind.INT, 20, "Inverse fraction of spikes used as clustering landmarks", 1),
    Param("max_cluster_subset", Kind.INT, 25000, "Spikes used to build the clustering graph", 1),
    Param("x_centers", Kind.INT, None, "x-positions of template groups (default: from the probe)", 1),
    Param("cluster_init_seed", Kind.INT, 5, "Random seed of the clustering's k-means++", 1),
    Param("duplicate_spike_ms", Kind.FLOAT, 0.25, "Spikes of a cluster closer than this (ms) are duplicates", 0),
    Param("position_limit", Kind.FLOAT, 100, "Largest channel distance (um) used for spike positions", 0),
)

KILOSORT4 = Sorter(
    name="kilosort4",
    title="Kilosort 4 (container)",
    default_image="ks-gui/kilosort4:latest",
    needs_matlab_license=False,
    params=KILOSORT4_PARAMS,
    command_style="job_file",
    channels_param="n_chan_bin",
    batch_param="batch_size",
    writes_temp_file=False,
)

KILOSORT4_LOCAL = Sorter(
    name="kilosort4-local",
    title="Kilosort 4 (local)",
    default_image="",
    needs_matlab_license=False,
    params=KILOSORT4_PARAMS,
    runs_in="local",
    command_style="job_file",
    channels_param="n_chan_bin",
    batch_param="batch_size",
    writes_temp_file=False,
)

SORTERS: dict[str, Sorter] = {s.name: s for s in (KILOSORT25, KILOSORT4, KILOSORT4_LOCAL)}
DEFAULT_SORTER = KILOSORT25.name


def param_problems(sorter: Sorter, params: dict) -> list[str]:
    """Every reason the merged parameters cannot be run."""
    problems = [problem for name, value in params.items() if (problem := sorter.params[name].problem(value))]
    nt = params.get("NT")
    ntbuff = params.get("ntbuff")
    if isinstance(nt, int) and nt % 32:
        problems.append(f"NT must be a multiple of 32, not {nt}")
    elif sorter.params is KILOSORT25_PARAMS and isinstance(nt, int) and isinstance(ntbuff, int):
        # Kilosort v2.5.2's configFile384.m: other values "could cause the spike holes problem" (#594).
        if ntbuff % 32:
            problems.append(f"ntbuff must be a multiple of 32, not {ntbuff}")
        elif (nt + ntbuff) % 1024:
            fits = max(1, (nt + ntbuff) // 1024) * 1024 - ntbuff
            problems.append(f"NT must be a multiple of 1024 minus ntbuff ({ntbuff}), e.g. {fits}, not {nt}")
    waveform = params.get("nt") if sorter.params is KILOSORT4_PARAMS else None
    if isinstance(waveform, int) and waveform % 2 == 0:
        problems.append(f"nt must be odd, not {waveform}")
    tmin, tmax = params.get("tmin"), params.get("tmax")
    if isinstance(tmin, int | float) and isinstance(tmax, int | float) and tmax <= tmin:
        problems.append(f"tmax ({tmax:g}) must be after tmin ({tmin:g})")
    return problems
