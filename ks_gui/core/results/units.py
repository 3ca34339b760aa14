"""A sort's units and its drift map, computed from its phy folder (Kilosort 4's or 2.5's, curated in phy or not).
numpy only, no Qt: the window and the CLI draw what this computes.

- Labels: phy's `cluster_group.tsv` `group` column once the user curated (merged units appear there only), else
  Kilosort's `cluster_KSLabel.tsv` (good/mua); CRLF line ends as Kilosort 2.5 writes them.
- Position of a unit: the centre of mass of its template's per-channel peak-to-peak amplitude over the channel map
  (channels under 0.3 of the largest ignored; cortex-lab/spikes templatePositionsAmplitudes).
- Spike depths for the drift map: Kilosort 4's `spike_positions.npy`; otherwise each spike at its unit's depth.
- Firing rate from the real sample rate (params.py) and the recording's duration (the last spike, or the job's
  n_samples when known).
- Quality: each unit's metrics and automatic label from the quality stage (`.ks-gui/quality.json`), when computed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ks_gui.core.ground.contract import RUN_FOLDER, job_file
from ks_gui.core.results.drift_estimate import DriftEstimate, read_drift_estimate
from ks_gui.core.results.phy_folder import PARAMS_FILE, PhyFolderError, not_a_sort, read_params
from ks_gui.core.results.quality import MAIN_METRICS, read_quality

PEAK_FRACTION = 0.3
DRIFT_TIME_BINS = 600  # across the recording: 12 s bins for 2 hours, never under MIN_TIME_BIN_S
MIN_TIME_BIN_S = 0.05
DRIFT_DEPTH_BIN_UM = 10.0


@dataclass(frozen=True)
class Unit:
    id: int
    label: str  # good | mua | noise | unsorted (phy's group once curated)
    n_spikes: int
    firing_rate_hz: float
    amplitude: float
    x_um: float
    y_um: float
    shank: int
    contamination_pct: float | None
    best_channel: int
    auto_label: str | None = None  # the quality stage's (Bombcell's) label: good | mua | noise | non_soma
    quality: dict[str, float | None] | None = None  # SpikeInterface's metric names and values

    def to_json(self) -> dict:
        return asdict(self)

    def metric(self, name: str) -> float | None:
        return None if self.quality is None else self.quality.get(name)

    def cells(self) -> tuple[tuple[float | str | None, str], ...]:
        """The unit table's row, a cell per UNIT_COLUMNS: its value (to sort by) and its text."""
        contamination = self.contamination_pct
        return (
            (self.id, str(self.id)),
            (self.label, self.label),
            (self.n_spikes, f"{self.n_spikes:,}"),
            (self.firing_rate_hz, f"{self.firing_rate_hz:.2f}"),
            (self.amplitude, f"{self.amplitude:.1f}"),
            (self.y_um, f"{self.y_um:.0f}"),
            (self.x_um, f"{self.x_um:.0f}"),
            (self.shank, str(self.shank)),
            (contamination, "" if contamination is None else f"{contamination:.1f}"),
            (self.auto_label or "", self.auto_label or ""),
            *((self.metric(name), _metric_text(self.metric(name))) for name, _ in MAIN_METRICS),
        )


UNIT_COLUMNS = (
    "Unit",
    "Label",
    "Spikes",
    "Rate (Hz)",
    "Amplitude (a.u.)",
    "Depth (µm)",
    "x (µm)",
    "Shank",
    "Contam. %",
    "Auto label",
    *(title for _, title in MAIN_METRICS),
)
# What the amplitude column is, and why phy's amp column shows other numbers for the same unit.
AMPLITUDE_NOTE = (
    "Kilosort's amplitude of each spike (amplitudes.npy: how much of its template the spike is), the median over the "
    "unit's spikes. Arbitrary units, not µV. phy's amp column multiplies it by the size of the unit's template, so "
    "its numbers are larger; both rank units alike within one sort."
)


def _metric_text(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


@dataclass(frozen=True)
class SortResults:
    folder: Path
    sample_rate: float
    duration_s: float
    units: list[Unit]
    curated: bool  # labels from phy's cluster_group.tsv


@dataclass(frozen=True)
class DriftMap:
    """Spike counts (shaded by amplitude) in time x depth bins: an image, never millions of points."""

    image: np.ndarray  # depth bins x time bins, float32: summed amplitude per bin
    time_edges_s: np.ndarray
    depth_edges_um: np.ndarray
    n_spikes: int
    estimate: DriftEstimate | None = None  # Kilosort 4's own (ops.npy), drawn beside the map


def _table(path: Path) -> dict[int, dict[str, str]]:
    """A phy .tsv by cluster id (any line ends); {} when absent."""
    try:
        lines = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n").splitlines()
    except OSError:
        return {}
    if not lines:
        return {}
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) == len(header) and cells[0].strip().lstrip("-").isdigit():
            rows[int(cells[0])] = dict(zip(header, (c.strip() for c in cells), strict=True))
    return rows


def _load(folder: Path, name: str, required: bool = True) -> np.ndarray | None:
    path = folder / name
    try:
        return np.load(path, mmap_mode="r")
    except FileNotFoundError:
        if required:
            raise PhyFolderError(f"{folder} has no {name}: it is not a finished sort") from None
        return None
    except ValueError as err:
        raise PhyFolderError(f"{path} is damaged ({err}): sort again, or copy the folder again") from err


def _duration(folder: Path, sample_rate: float, last_spike: int) -> float:
    try:
        n_samples = int(json.loads(job_file(folder).read_text(encoding="utf-8"))["n_samples"])
    except (OSError, ValueError, KeyError, TypeError):
        n_samples = last_spike + 1
    return max(n_samples, last_spike + 1) / sample_rate


def read_results(folder: Path) -> SortResults:
    """The unit table of a phy folder; PhyFolderError, in a sentence, for a folder that is not a finished sort."""
    folder = folder.absolute()
    if (wrong := not_a_sort(folder)) is not None:
        raise PhyFolderError(wrong)
    params = read_params(folder / PARAMS_FILE)
    sample_rate = float(params.sample_rate or 0) or 30000.0
    spike_times = np.asarray(_load(folder, "spike_times.npy")).ravel().astype(np.int64)
    spike_templates = _load(folder, "spike_templates.npy", required=False)
    spike_clusters = _load(folder, "spike_clusters.npy", required=spike_templates is None)
    clusters = np.asarray(spike_clusters if spike_clusters is not None else spike_templates).ravel()
    if spike_times.shape != clusters.shape:
        raise PhyFolderError(f"{folder}: spike_times.npy and spike_clusters.npy disagree in length: damaged")
    templates_of_spikes = np.asarray(spike_templates).ravel() if spike_templates is not None else clusters
    amplitudes = _load(folder, "amplitudes.npy", required=False)
    templates = _load(folder, "templates.npy")
    assert templates is not None  # required: _load raised otherwise
    positions = np.asarray(_load(folder, "channel_positions.npy"))
    channel_map = np.asarray(_load(folder, "channel_map.npy")).ravel()
    shanks = _load(folder, "channel_shanks.npy", required=False)
    duration = _duration(folder, sample_rate, int(spike_times.max()) if spike_times.size else 0)

    ks_labels = _table(folder / "cluster_KSLabel.tsv")
    groups = _table(folder / "cluster_group.tsv")
    curated = any("group" in row for row in groups.values())
    contamination = _table(folder / "cluster_ContamPct.tsv")
    quality = read_quality(folder)
    units = []
    groups_of = _spikes_by_unit(clusters)
    amplitude_of = np.asarray(amplitudes).ravel() if amplitudes is not None else None
    same_templates = templates_of_spikes is clusters or np.array_equal(templates_of_spikes, clusters)
    for unit_id, spikes in groups_of:
        count = spikes.size
        # curated: a merged unit's template is the one most of its spikes came from
        template = unit_id if same_templates else int(np.bincount(templates_of_spikes[spikes]).argmax())
        x, y, best, peak = _position(np.asarray(templates[min(template, len(templates) - 1)]), positions)
        label = (groups.get(unit_id, {}).get("group") if curated else None) or ks_labels.get(unit_id, {}).get(
            "KSLabel", "unsorted"
        )
        amplitude = float(np.median(amplitude_of[spikes])) if amplitude_of is not None else peak
        contam = contamination.get(unit_id, {}).get("ContamPct")
        units.append(
            Unit(
                id=int(unit_id),
                label=label,
                n_spikes=int(count),
                firing_rate_hz=count / duration if duration > 0 else 0.0,
                amplitude=round(amplitude, 2),
                x_um=round(x, 1),
                y_um=round(y, 1),
                shank=int(np.asarray(shanks).ravel()[best]) if shanks is not None else 0,
                contamination_pct=float(contam) if contam not in (None, "", "nan") else None,
                best_channel=int(channel_map[best]) if best < channel_map.size else best,
                auto_label=quality.labels.get(int(unit_id)) if quality is not None else None,
                quality=quality.metrics.get(int(unit_id)) if quality is not None else None,
            )
        )
    return SortResults(folder, sample_rate, duration, units, curated)


def _spikes_by_unit(clusters: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Each unit's id and its spikes' indices (in time order), by counting and one stable sort, never a mask per
    unit: 5 million spikes in a fraction of a second. Unit ids are small non-negative integers (phy's)."""
    if not clusters.size:
        return []
    if int(clusters.min()) < 0:
        raise PhyFolderError("spike_clusters.npy holds negative unit ids: damaged")
    top = int(clusters.max())
    # numpy sorts 16-bit integers by radix (linear time) when asked for a stable sort
    keys = clusters.astype(np.uint16 if top < 2**16 else np.int64, copy=False)
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=top + 1)
    ends = np.cumsum(counts)
    return [(int(unit), order[ends[unit] - counts[unit] : ends[unit]]) for unit in np.flatnonzero(counts)]


def _position(template: np.ndarray, positions: np.ndarray) -> tuple[float, float, int, float]:
    """(x, y, best channel row, peak-to-peak) of a template (samples x channels)."""
    peak_to_peak = template.max(axis=0) - template.min(axis=0)
    if not peak_to_peak.size or peak_to_peak.max() <= 0:
        return 0.0, 0.0, 0, 0.0
    best = int(peak_to_peak.argmax())
    weights = np.where(peak_to_peak >= PEAK_FRACTION * peak_to_peak[best], peak_to_peak, 0.0)
    x = float((weights * positions[:, 0]).sum() / weights.sum())
    y = float((weights * positions[:, 1]).sum() / weights.sum())
    return x, y, best, float(peak_to_peak[best])


def template_on_best_channels(folder: Path, unit_id: int, n_channels: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A unit's template (samples x channels) on its `n_channels` largest channels, and those channels' rows."""
    templates = _load(folder, "templates.npy")
    assert templates is not None  # required: _load raised otherwise
    template = np.asarray(templates[min(unit_id, len(templates) - 1)])
    order = np.argsort(template.max(axis=0) - template.min(axis=0))[::-1][:n_channels]
    order = np.sort(order)
    return template[:, order], order


def drift_map(folder: Path, results: SortResults | None = None) -> DriftMap:
    """Spike depth against time as a binned image (np.bincount: 5 million spikes in a fraction of a second)."""
    folder = folder.absolute()
    results = results or read_results(folder)
    spike_times = np.asarray(_load(folder, "spike_times.npy")).ravel()
    positions = _load(folder, "spike_positions.npy", required=False)
    if positions is not None and len(positions) == len(spike_times):
        depths = np.asarray(positions)[:, 1]
    else:  # Kilosort 2.5: each spike at its unit's depth
        found = _load(folder, "spike_clusters.npy", required=False)
        clusters = np.asarray(found if found is not None else _load(folder, "spike_templates.npy")).ravel()
        depth_of = {unit.id: unit.y_um for unit in results.units}
        lookup = np.zeros(int(clusters.max()) + 1 if clusters.size else 1, dtype=np.float32)
        for unit_id, depth in depth_of.items():
            lookup[unit_id] = depth
        depths = lookup[clusters]
    amplitudes = _load(folder, "amplitudes.npy", required=False)
    weights = np.asarray(amplitudes).ravel().astype(np.float32) if amplitudes is not None else None
    seconds = spike_times / results.sample_rate
    time_bin = max(results.duration_s / DRIFT_TIME_BINS, MIN_TIME_BIN_S)
    n_time = max(1, int(np.ceil(results.duration_s / time_bin)))
    low, high = (float(depths.min()), float(depths.max())) if depths.size else (0.0, 1.0)
    low, high = low - DRIFT_DEPTH_BIN_UM, high + DRIFT_DEPTH_BIN_UM  # the outermost bands clear of the frame
    n_depth = max(1, int(np.ceil((high - low) / DRIFT_DEPTH_BIN_UM)) + 1)
    t = np.clip((seconds / time_bin).astype(np.int64), 0, n_time - 1)
    d = np.clip(((depths - low) / DRIFT_DEPTH_BIN_UM).astype(np.int64), 0, n_depth - 1)
    image = np.bincount(d * n_time + t, weights=weights, minlength=n_depth * n_time).reshape(n_depth, n_time)
    return DriftMap(
        image=image.astype(np.float32),
        time_edges_s=np.arange(n_time + 1) * time_bin,
        depth_edges_um=low + np.arange(n_depth + 1) * DRIFT_DEPTH_BIN_UM,
        n_spikes=int(spike_times.size),
        estimate=read_drift_estimate(folder),
    )


UNITS_FILE = "units.json"
DRIFT_FILE = "drift_map.npz"


def keep_result_numbers(folder: Path) -> None:
    """At a sort's end: its unit table and drift map into `<output>/.ks-gui/`, so History, the CLI and a launcher
    that did not watch the sort (a server's, a cluster's) show them without reading every spike again."""
    from ks_gui.core.ground.atomic import write_json_atomically

    results = read_results(folder)
    drift = drift_map(folder, results)
    run_folder = folder / RUN_FOLDER
    write_json_atomically(
        run_folder / UNITS_FILE,
        {
            "sample_rate": results.sample_rate,
            "duration_s": results.duration_s,
            "curated": results.curated,
            "units": [unit.to_json() for unit in results.units],
        },
        mode=0o644,
    )
    estimate = drift.estimate
    kept_estimate: dict = (
        {}
        if estimate is None
        else {"estimate_times_s": estimate.times_s, "estimate_shift_um": estimate.shift_um,
              "estimate_depth_um": estimate.section_depth_um}
    )  # fmt: skip
    np.savez_compressed(run_folder / DRIFT_FILE, image=drift.image, time_edges_s=drift.time_edges_s,
                        depth_edges_um=drift.depth_edges_um, n_spikes=drift.n_spikes, **kept_estimate)  # fmt: skip


# What the unit table and drift map are read from: kept numbers older than any of these (phy saved a curation since,
# a sort wrote the folder again) are read afresh.
_READ_FROM = ("spike_times.npy", "spike_clusters.npy", "spike_templates.npy", "amplitudes.npy", "templates.npy",
              "cluster_group.tsv", "cluster_KSLabel.tsv", "spike_positions.npy", "ops.npy",
              f"{RUN_FOLDER}/quality.json")  # fmt: skip


def units_and_drift(folder: Path) -> tuple[SortResults, DriftMap]:
    """The unit table and drift map: those the sort kept when nothing they were read from changed since (History
    shows them without reading every spike again), else read from the phy folder now."""
    folder = folder.absolute()
    try:
        kept_at = min((folder / RUN_FOLDER / name).stat().st_mtime for name in (UNITS_FILE, DRIFT_FILE))
        newest = max((folder / name).stat().st_mtime for name in _READ_FROM if (folder / name).exists())
    except (OSError, ValueError):
        kept_at, newest = 0.0, 1.0
    if kept_at > newest:
        results, drift = kept_results(folder), kept_drift_map(folder)
        if results is not None and drift is not None:
            return results, drift
    results = read_results(folder)
    return results, drift_map(folder, results)


def kept_results(folder: Path) -> SortResults | None:
    """The unit table kept at the sort's end, or None (an older sort, or a damaged file)."""
    try:
        kept = json.loads((folder / RUN_FOLDER / UNITS_FILE).read_text(encoding="utf-8"))
        units = [Unit(**unit) for unit in kept["units"]]
        return SortResults(folder, float(kept["sample_rate"]), float(kept["duration_s"]), units, bool(kept["curated"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kept_drift_map(folder: Path) -> DriftMap | None:
    """The drift map kept at the sort's end, or None (an older sort, or one curated since: compute it again)."""
    try:
        with np.load(folder / RUN_FOLDER / DRIFT_FILE) as kept:
            estimate = (
                DriftEstimate(kept["estimate_times_s"], kept["estimate_shift_um"], kept["estimate_depth_um"])
                if "estimate_shift_um" in kept.files
                else None
            )
            edges = kept["time_edges_s"], kept["depth_edges_um"]
            return DriftMap(kept["image"], *edges, n_spikes=int(kept["n_spikes"]), estimate=estimate)
    except (OSError, KeyError, ValueError):
        return None
