"""Kilosort 4 (pure Python: in its image or in a Python environment): its parameter table and checks."""

from __future__ import annotations

from ks_gui.core.sorters.base import Sorter, param_table
from ks_gui.core.sorters.kilosort4_output import Kilosort4Output
from ks_gui.core.sorters.params import Kind, Param
from ks_gui.core.sorters.stages import KILOSORT4_STAGE_NAMES, StageShape
from ks_gui.drivers import KILOSORT4_DRIVER

# Kilosort 4.1.7: kilosort/parameters.py (MAIN_PARAMETERS and EXTRA_PARAMETERS), names, defaults and ranges as
# Kilosort declares them. A default of None is Kilosort's automatic choice (left out of the job's params).
# Not offered: drift_smoothing (a list of three), templates_from_data (a flag), shift and scale (raw-data fixes).
KILOSORT4_PARAMS = param_table(
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


def _kilosort4_checks(params: dict) -> list[str]:
    found = []
    waveform = params.get("nt")
    if isinstance(waveform, int) and waveform % 2 == 0:
        found.append(f"nt must be odd, not {waveform}")
    tmin, tmax = params.get("tmin"), params.get("tmax")
    if isinstance(tmin, int | float) and isinstance(tmax, int | float) and tmax <= tmin:
        found.append(f"tmax ({tmax:g}) must be after tmin ({tmin:g})")
    return found


# Each stage takes a fixed time (computing universal templates, clustering a few spikes, writing files) plus a time
# that grows with the recording's channel-seconds (duration x channels): on a short recording the fixed parts are much
# of it, on a long one the batches are. Measured through the launcher.
# GPU: an NVIDIA H200. Fixed parts from four sorts of planted 32-channel recordings of 30, 120, 300 and 600 s, each in
# a fresh process (tests/bench/eta_gpu.py; 24, 23, 28 and 30 s: starting Python, torch and CUDA 8-11 s, then a few
# seconds per stage that hardly grow); per channel-second parts from 120 s x 384 channels (46080 channel-seconds),
# Kilosort's own "in ...s" lines per stage (/work/shared/reference/kilosort4_timings.md). The shape says 21-27 s for
# the four sorts and 36 s for the 384-channel one (measured 36-43 s through the launcher).
# CPU: this 2-core machine, shared with other work. Four traced sorts of 10 s x 32 channels (tests/bench/eta.py) took
# 62, 123, 35 and 24 s: start 4-6 s, universal templates 1-2.4 s in drift and in learn, a batch of 2 s x 32 channels
# about 1 s when the cores are free and 2-30 s when they are not; the reference's sort of 60 s x 32 channels took 214 s.
# The shape sits between: 43 s for 10 s x 32 channels, 190 s for 60 s.
KILOSORT4_GPU = StageShape(
    fixed={
        "start": 10.0,
        "preprocess": 0.5,
        "drift": 2.5,
        "learn": 0.5,
        "extract": 2.0,
        "merge_split": 3.3,
        "export": 1.8,
        "quality": 8.0,  # starting Python and SpikeInterface
    },
    per_size={
        "preprocess": 6.5e-6,
        "drift": 6.9e-5,
        "learn": 2.2e-4,
        "extract": 2.2e-5,
        "merge_split": 2.4e-5,
        "export": 2e-6,
        "quality": 7e-4,  # on the CPU beside the GPU: 33 s for 120 s x 384 channels on 8 workers (reference)
    },
)
KILOSORT4_CPU = StageShape(
    fixed={
        "start": 5.0,
        "preprocess": 0.8,
        "drift": 2.0,
        "learn": 2.0,
        "extract": 1.5,
        "merge_split": 2.0,
        "export": 1.0,
        "quality": 8.0,
    },
    per_size={
        "preprocess": 3e-4,
        "drift": 4e-2,
        "learn": 4e-2,
        "extract": 8e-3,
        "merge_split": 2e-3,
        "export": 1e-4,
        "quality": 5e-3,
    },
)

KILOSORT4 = Sorter(
    name="kilosort4",
    title="Kilosort 4",
    default_image="ks-gui/kilosort4:latest",
    needs_matlab_license=False,
    params=KILOSORT4_PARAMS,
    forms=("container", "python"),
    driver=KILOSORT4_DRIVER,
    checks=_kilosort4_checks,
    command_style="job_file",
    channels_param="n_chan_bin",
    batch_param="batch_size",
    writes_temp_file=False,
    output_reader=Kilosort4Output,
    shapes={"gpu": KILOSORT4_GPU, "cpu": KILOSORT4_CPU},
    stage_names=KILOSORT4_STAGE_NAMES,
)
