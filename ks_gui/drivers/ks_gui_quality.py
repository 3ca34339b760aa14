#!/usr/bin/env python3
"""ks-gui's quality stage: SpikeInterface's quality and template metrics and Bombcell's labels for a phy folder.

    python ks_gui_quality.py OUTPUT [--thresholds FILE] [--gain-uv GAIN] [--jobs N]

Reads the phy folder (`spike_clusters.npy`, so phy's merges and splits count) and the recording its `params.py`
points at, computes SpikeInterface's sorting analyzer, quality metrics, template metrics and
`bombcell_label_units`, and writes into the folder one `cluster_<metric>.tsv` per metric and
`cluster_auto_label.tsv` (column `auto_label`), which phy shows as columns and filters by, plus the summary
`.ks-gui/quality.json` (every unit's metrics and label, the thresholds used, the versions, the time taken). phy's
own `cluster_group.tsv` (the user's curation) is never written.

Runs under any Python with SpikeInterface (the Kilosort 4 image's, the app's Kilosort 4 environment, the launcher's
when installed there); the Kilosort 4 driver runs it after the sort, in the same process. The module's top level
needs only the standard library: the launcher imports it for the thresholds (`read_thresholds`) without numpy or
SpikeInterface. Exit codes: 0 done, 1 failed, 2 bad input (a thresholds file that cannot be used).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUALITY_VERSION = 1
MARKER = "[ks-gui] "
SUMMARY = Path(".ks-gui") / "quality.json"
LABEL_COLUMN = "auto_label"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# Bombcell's default thresholds, as SpikeInterface 0.105's `bombcell_get_default_thresholds()` gives them (a test
# checks that they still agree). Each metric passes when greater than `greater` and less than `less` (None: no bound).
DEFAULT_THRESHOLDS: dict[str, dict[str, dict[str, Any]]] = {
    "noise": {
        "num_positive_peaks": {"greater": None, "less": 2},
        "num_negative_peaks": {"greater": None, "less": 1},
        "peak_to_trough_duration": {"greater": 0.0001, "less": 0.00115},
        "waveform_baseline_flatness": {"greater": None, "less": 0.5},
        "peak_after_to_trough_ratio": {"greater": None, "less": 0.8},
        "exp_decay": {"greater": 0.01, "less": 0.1},
    },
    "mua": {
        "amplitude_median": {"greater": 30, "less": None, "abs": True},
        "snr": {"greater": 5, "less": None},
        "amplitude_cutoff": {"greater": None, "less": 0.2},
        "num_spikes": {"greater": 300, "less": None},
        "sliding_rp_violation": {"greater": None, "less": 0.1},
        "presence_ratio": {"greater": 0.7, "less": None},
        "drift_ptp": {"greater": None, "less": 100},
        "isolation_distance": {"greater": 20, "less": None},
        "l_ratio": {"greater": None, "less": 0.3},
    },
    "non-somatic": {
        "peak_before_to_trough_ratio": {"greater": None, "less": 3},
        "peak_before_width": {"greater": 0.00015, "less": None},
        "trough_width": {"greater": 0.0002, "less": None},
        "peak_before_to_peak_after_ratio": {"greater": None, "less": 3},
        "main_peak_to_trough_ratio": {"greater": None, "less": 0.8},
    },
}
# Another refractory-period metric Bombcell accepts in place of sliding_rp_violation.
OTHER_METRICS = ("rp_contamination",)
BOUND_KEYS = ("greater", "less")

# The metrics computed (SpikeInterface's names); those Bombcell's thresholds use are among them.
QUALITY_METRICS = (
    "num_spikes",
    "firing_rate",
    "presence_ratio",
    "snr",
    "isi_violation",
    "rp_violation",
    "sliding_rp_violation",
    "amplitude_cutoff",
    "amplitude_median",
    "drift",
    "mahalanobis",
)


class QualityError(Exception):
    """Why the quality stage cannot run or failed, in one sentence; `bad_input` when the user's input is at fault."""

    def __init__(self, message: str, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input


# --- thresholds (standard library only) -----------------------------------------------------------------------


def read_thresholds(path: Path | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Bombcell's default thresholds with a thresholds file's entries over them. The file is JSON shaped like the
    defaults: {"mua": {"snr": {"greater": 3, "less": null}}, ...}; a section or metric left out keeps its default,
    a metric given as null is not used. Raises QualityError(bad_input=True) saying what is wrong, in one line."""
    thresholds = copy.deepcopy(DEFAULT_THRESHOLDS)
    if path is None:
        return thresholds
    try:
        given = json.loads(Path(path).read_text())
    except OSError as err:
        raise QualityError(f"the thresholds file {path} cannot be read: {err.strerror or err}", True) from err
    except ValueError as err:
        raise QualityError(f"the thresholds file {path} is not JSON: {err}", True) from err
    where = f"the thresholds file {path}"
    if not isinstance(given, dict):
        raise QualityError(f"{where} must hold a JSON object with sections {', '.join(DEFAULT_THRESHOLDS)}", True)
    known = {name for section in DEFAULT_THRESHOLDS.values() for name in section} | set(OTHER_METRICS)
    for section, metrics in given.items():
        if section not in DEFAULT_THRESHOLDS:
            raise QualityError(
                f"{where}: unknown section '{section}' (the sections: {', '.join(DEFAULT_THRESHOLDS)})", True
            )
        if not isinstance(metrics, dict):
            raise QualityError(f"{where}: section '{section}' must be an object of metrics", True)
        for name, bounds in metrics.items():
            if name not in known:
                raise QualityError(f"{where}: unknown metric '{name}' in '{section}'", True)
            if bounds is None:
                thresholds[section].pop(name, None)
                continue
            thresholds[section][name] = _checked_bounds(where, section, name, bounds)
    return thresholds


def _checked_bounds(where: str, section: str, name: str, bounds: object) -> dict[str, Any]:
    if not isinstance(bounds, dict) or not set(bounds) <= {*BOUND_KEYS, "abs"}:
        raise QualityError(
            f'{where}: {section}.{name} must be {{"greater": NUMBER or null, "less": NUMBER or null}}', True
        )
    checked: dict[str, Any] = {key: bounds.get(key) for key in BOUND_KEYS}
    for key in BOUND_KEYS:
        value = checked[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise QualityError(f"{where}: {section}.{name}.{key} must be a number or null, not {value!r}", True)
    if "abs" in bounds:
        if not isinstance(bounds["abs"], bool):
            raise QualityError(f"{where}: {section}.{name}.abs must be true or false", True)
        checked["abs"] = bounds["abs"]
    return checked


# --- the phy folder and its recording ---------------------------------------------------------------------------


def read_params(output: Path) -> dict[str, Any]:
    """params.py's literal assignments (never run: a folder from elsewhere may hold anything)."""
    import ast

    path = output / "params.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except OSError as err:
        raise QualityError(f"{output} holds no params.py: is it a Kilosort output folder?", True) from err
    except (UnicodeDecodeError, SyntaxError) as err:
        raise QualityError(f"{path} cannot be read: {err}", True) from err
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    for key in ("sample_rate", "n_channels_dat"):
        if key not in values:
            raise QualityError(f"{path} does not say {key}", True)
    return values


@dataclass(frozen=True)
class Source:
    """The binary the waveforms are read from, and how."""

    path: Path
    n_channels: int
    dtype: str
    offset: int
    filtered: bool  # Kilosort 2.5's whitened temp file: filtered (and whitened) already
    mapped: bool  # its channels are the raw ones: channel_map.npy picks Kilosort's


def recording_source(output: Path, params: dict[str, Any]) -> Source:
    """The raw recording the sort read (the job file's `binary`, else params.py's `dat_path` when it is not a
    filtered copy), else the filtered copy params.py names (Kilosort 2.5's temp_wh.dat, in channel-map order)."""
    try:
        job = json.loads((output / ".ks-gui" / "job.json").read_text())
        binary = Path(job["binary"])
        if binary.is_file():
            return Source(binary, int(job["n_channels"]), str(job.get("dtype", "int16")), 0, False, True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    dat = params.get("dat_path")
    dat = dat[0] if isinstance(dat, list | tuple) and len(dat) == 1 else dat
    if not isinstance(dat, str) or not dat:
        raise QualityError("params.py names no single recording (dat_path) to read the waveforms from")
    path = Path(dat) if Path(dat).is_absolute() else output / dat
    if not path.is_file():
        raise QualityError(f"the recording params.py points at cannot be read: {path} does not exist")
    filtered = bool(params.get("hp_filtered", False))
    n_channels = int(params["n_channels_dat"])
    return Source(path, n_channels, str(params.get("dtype", "int16")), int(params.get("offset", 0)), filtered,
                  not filtered)  # fmt: skip


def phy_recording(output: Path, params: dict[str, Any], gain_uv: float) -> Any:  # a SpikeInterface recording
    """The recording the sort read, its channels as Kilosort sorted them (channel_map.npy) at their positions
    (channel_positions.npy), band-pass filtered unless it is a filtered copy."""
    import numpy as np
    import spikeinterface.preprocessing as spre
    from probeinterface import Probe
    from spikeinterface.core import read_binary

    source = recording_source(output, params)
    recording = read_binary(
        str(source.path),
        sampling_frequency=float(params["sample_rate"]),
        dtype=source.dtype,
        num_channels=source.n_channels,
        file_offset=source.offset,
        gain_to_uV=gain_uv,
        offset_to_uV=0.0,
    )
    channel_map = np.load(output / "channel_map.npy").ravel().astype(int)
    rows = channel_map if source.mapped else np.arange(len(channel_map))
    if rows.max(initial=0) >= source.n_channels:
        raise QualityError(f"channel_map.npy names channel {rows.max()}, but {source.path.name} has "
                           f"{source.n_channels} channels")  # fmt: skip
    recording = recording.select_channels(recording.channel_ids[rows])
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(np.load(output / "channel_positions.npy")[:, :2])
    probe.set_device_channel_indices(np.arange(len(channel_map)))
    recording.set_probe(probe)  # in place (SpikeInterface 0.105)
    if not source.filtered:
        recording = spre.bandpass_filter(recording, freq_min=300.0, freq_max=6000.0)
    return recording


def phy_sorting(output: Path, sample_rate: float) -> Any:  # a SpikeInterface sorting
    """Every unit that has spikes, as phy's spike_clusters.npy says now (a curation's merges and splits), else
    Kilosort's spike_templates.npy. (SpikeInterface's read_phy takes its units from cluster_group.tsv, which phy
    writes for the units a user labelled only.)"""
    import numpy as np
    from spikeinterface.core import NumpySorting

    times = np.load(output / "spike_times.npy").ravel().astype(np.int64)
    found = output / "spike_clusters.npy"
    clusters = np.load(found if found.is_file() else output / "spike_templates.npy").ravel().astype(np.int64)
    if times.shape != clusters.shape:
        raise QualityError(f"{output}: spike_times.npy and spike_clusters.npy disagree in length")
    return NumpySorting.from_samples_and_labels([times], [clusters], sampling_frequency=sample_rate)


# --- computing ------------------------------------------------------------------------------------------------


def compute(
    output: Path,
    thresholds: dict[str, dict[str, dict[str, Any]]],
    gain_uv: float = 1.0,
    n_jobs: int = 1,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The metrics and labels of every unit of the phy folder `output`, written into it; returns the summary."""
    started = time.monotonic()
    params = read_params(output)
    try:
        import spikeinterface
        from spikeinterface.core import create_sorting_analyzer
        from spikeinterface.curation import bombcell_label_units
    except ImportError as err:
        raise QualityError(f"SpikeInterface is not installed where the quality stage runs ({err})") from err
    recording = phy_recording(output, params, gain_uv)
    sorting = phy_sorting(output, float(params["sample_rate"]))
    if sorting.get_num_units() == 0:
        raise QualityError("the sort found no units to judge")
    job_kwargs = {"n_jobs": n_jobs, "chunk_duration": "1s", "progress_bar": False}
    analyzer = create_sorting_analyzer(sorting, recording, format="memory", sparse=True, **job_kwargs)
    steps: tuple[tuple[str, dict[str, object]], ...] = (
        ("random_spikes", {"max_spikes_per_unit": 500, "seed": 0}),
        ("waveforms", {"ms_before": 1.0, "ms_after": 2.0}),
        ("templates", {}),
        ("noise_levels", {}),
        ("spike_amplitudes", {}),
        ("spike_locations", {}),
        ("principal_components", {"n_components": 3, "mode": "by_channel_local"}),
        ("template_metrics", {"include_multi_channel_metrics": True}),
        ("quality_metrics", {"metric_names": list(QUALITY_METRICS)}),
    )
    for index, (name, kwargs) in enumerate(steps, 1):
        say(f"quality step {index}/{len(steps)} {name}")
        analyzer.compute(name, **kwargs, **(job_kwargs if name in _JOB_STEPS else {}))
    metrics = analyzer.get_extension("quality_metrics").get_data()
    template = analyzer.get_extension("template_metrics").get_data()
    metrics = metrics.join(template[[name for name in template.columns if name not in metrics.columns]])
    labels = bombcell_label_units(analyzer, thresholds=thresholds)
    label_of = {str(unit): str(label) for unit, label in zip(labels.index, labels.iloc[:, 0], strict=True)}
    units = {}
    for unit in metrics.index:
        values = {name: _number(metrics.loc[unit, name]) for name in metrics.columns}
        units[str(unit)] = {"quality": values, "auto_label": label_of.get(str(unit), "")}
    summary = {
        "version": QUALITY_VERSION,
        "spikeinterface": spikeinterface.__version__,
        "computed": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.monotonic() - started, 2),
        "gain_to_uV": gain_uv,
        "thresholds": thresholds,
        "metrics": [str(name) for name in metrics.columns],
        "counts": _counts(label_of.values()),
        "units": units,
    }
    write(output, summary)
    return summary


# Analyzer extensions that read the recording in chunks (the others take no job arguments).
_JOB_STEPS = ("waveforms", "noise_levels", "spike_amplitudes", "spike_locations", "principal_components")


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _counts(labels: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


def write(output: Path, summary: dict[str, Any]) -> None:
    """cluster_<metric>.tsv per metric and cluster_auto_label.tsv for phy, and the summary; files an earlier run
    wrote for metrics no longer computed are removed. Never cluster_group.tsv."""
    kept = output / SUMMARY
    earlier: list[str] = []
    if kept.is_file():
        try:
            earlier = list(json.loads(kept.read_text()).get("files", []))
        except (OSError, ValueError):
            earlier = []
    units = summary["units"]
    files = []
    for name in [*summary["metrics"], LABEL_COLUMN]:
        filename = f"cluster_{name}.tsv"
        if filename in ("cluster_group.tsv", "cluster_KSLabel.tsv", "cluster_ContamPct.tsv", "cluster_Amplitude.tsv"):
            continue
        rows = [f"cluster_id\t{name}"]
        for unit, entry in sorted(units.items(), key=lambda item: int(item[0])):
            value = entry["auto_label"] if name == LABEL_COLUMN else entry["quality"].get(name)
            rows.append(f"{unit}\t{_cell(value)}")
        _write_text(output / filename, "\n".join(rows) + "\n")
        files.append(filename)
    for stale in set(earlier) - set(files):
        if stale.startswith("cluster_") and stale != "cluster_group.tsv":
            (output / stale).unlink(missing_ok=True)
    summary["files"] = files
    kept.parent.mkdir(exist_ok=True)
    _write_text(kept, json.dumps(summary, indent=2) + "\n")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


# --- the program ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ks_gui_quality.py", description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--thresholds", type=Path)
    parser.add_argument("--gain-uv", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a TextIOWrapper when run
    try:
        thresholds = read_thresholds(args.thresholds)
        summary = compute(args.output, thresholds, args.gain_uv, args.jobs, say=lambda text: _say(text, args.json))
    except QualityError as err:
        print(f"quality: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT if err.bad_input else EXIT_FAILED
    except Exception as err:  # SpikeInterface's own: the whole trace into the log, its last line for the user
        import traceback

        traceback.print_exc(file=sys.stderr if args.json else sys.stdout)
        print(f"quality: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({key: summary[key] for key in ("counts", "seconds", "files")}))
    else:
        _say(f"quality labels {' '.join(f'{k}={v}' for k, v in summary['counts'].items())}", False)
    return 0


def _say(text: str, quiet: bool) -> None:
    """A progress line: a `[ks-gui] ` marker on stdout (the launcher's tracker reads it), or on stderr with --json."""
    print(MARKER + text, file=sys.stderr if quiet else sys.stdout, flush=True)


if __name__ == "__main__":
    sys.exit(main())
