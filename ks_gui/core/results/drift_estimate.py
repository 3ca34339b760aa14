"""Kilosort 4's own drift estimate, from the `ops.npy` it writes beside its results: `dshift`, the probe's shift in
µm for each batch (rows) and each section of the probe (columns, `nblocks` of them, centred at `yblk`); a batch is
`settings['batch_size']` samples from `tmin` on, as Kilosort's own `drift_amount.png` draws it (kilosort/plots.py).
None when there is none: Kilosort 2.5, `nblocks = 0` (Kilosort skipped drift correction), an `ops.npy` from a
version that keeps torch tensors there.

`ops.npy` is a pickled dict. Unpickling runs whatever a file names, and results are copied from servers and clusters,
so it is read with an unpickler that builds numpy arrays, numbers and containers only: anything else refuses and the
estimate is simply not shown. No torch, no Qt: numpy only.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

OPS_FILE = "ops.npy"
_NUMPY = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # bytes in protocol 2 pickles
}
_BUILTINS = {"complex", "float", "int", "bool", "str", "bytes", "bytearray", "list", "dict", "tuple", "set",
             "frozenset", "slice", "range"}  # fmt: skip


@dataclass(frozen=True)
class DriftEstimate:
    times_s: np.ndarray  # each batch's start
    shift_um: np.ndarray  # batches x sections of the probe
    section_depth_um: np.ndarray  # each section's centre (yblk)

    @property
    def largest_um(self) -> float:
        """The largest shift from the first batch's position, in any section."""
        return float(np.abs(self.shift_um - self.shift_um[:1]).max()) if self.shift_um.size else 0.0


class _NumbersOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _NUMPY or (module.startswith("numpy.dtypes") and name.endswith("DType")):
            return super().find_class(module, name)
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not read from ops.npy")


def _read_ops(path: Path) -> dict:
    with path.open("rb") as handle:
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        _shape, _fortran, dtype = read_header(handle)
        if dtype != np.dtype(object):
            raise ValueError("ops.npy does not hold Kilosort's settings")
        ops = _NumbersOnly(handle).load()
    ops = ops.item() if isinstance(ops, np.ndarray) and ops.shape == () else ops
    if not isinstance(ops, dict):
        raise ValueError("ops.npy does not hold Kilosort's settings")
    return ops


def read_drift_estimate(folder: Path) -> DriftEstimate | None:
    """Kilosort 4's drift estimate in `folder`, or None (none there, or not readable as numbers)."""
    try:
        ops: Any = _read_ops(folder / OPS_FILE)  # unpickled values: float() below raises TypeError for a missing one
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, IndexError):
        return None
    shift = ops.get("dshift")
    if not isinstance(shift, np.ndarray) or shift.size == 0:
        return None
    shift = shift.astype(np.float64).reshape(shift.shape[0], -1)
    settings = ops.get("settings") if isinstance(ops.get("settings"), dict) else {}
    try:
        rate = float(settings.get("fs") or ops.get("fs"))
        batch = float(settings.get("batch_size") or ops.get("batch_size"))
        start = float(ops.get("tmin") or settings.get("tmin") or 0.0)
    except (TypeError, ValueError):
        return None
    if rate <= 0 or batch <= 0:
        return None
    depths = np.asarray(ops.get("yblk", np.zeros(shift.shape[1])), dtype=np.float64).ravel()
    if depths.size != shift.shape[1]:
        depths = np.zeros(shift.shape[1])
    return DriftEstimate(np.arange(shift.shape[0]) * batch / rate + start, shift, depths)
