"""What this machine's finished sorts took, stage by stage, so the next sort of the same kind is predicted from them.

A record is one finished sort: its sorter, place, GPU (or "cpu"), the recording's size in channel-seconds
(duration x channels) and each stage's seconds. A stage takes a fixed time plus a time that grows with the size (the
sorter's StageShape says how much of each, measured elsewhere); a record says how much faster or slower this machine
is than that shape, stage by stage, and a prediction for another size is the shape at that size times that factor.
So a short recording's stages, mostly fixed costs, do not make a long recording's prediction grow in proportion
(nor the other way round). Stages the shape knows nothing of keep their time when fixed (starting, compiling) and
scale with the size otherwise. Several earlier sorts give the median.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ks_gui.core.ground.atomic import write_json_atomically
from ks_gui.core.ground.locations import stage_times_file
from ks_gui.core.sorters.stages import FIXED_STAGES

if TYPE_CHECKING:
    from ks_gui.core.sorters.base import Sorter
    from ks_gui.core.sorters.stages import StageShape

KEEP_RECORDS = 200  # the file stays small: the newest are kept
USE_LATEST = 5  # a prediction follows the newest sorts of the kind (a new driver, a faster disk)


@dataclass(frozen=True)
class SortKind:
    """What makes two sorts comparable: the sorter, where it ran and on which GPU ("cpu" for none)."""

    sorter: str
    place: str
    device: str


@dataclass(frozen=True)
class StageRecord:
    kind: SortKind
    size: float  # channel-seconds
    seconds: dict[str, float] = field(default_factory=dict)

    def scaled(self, size: float, shape: StageShape | None = None) -> dict[str, float]:
        """Each stage's seconds for a recording of `size` on the machine this record was made on."""
        ratio = size / self.size if self.size > 0 else 1.0
        there = shape.seconds(self.size) if shape is not None else {}
        here = shape.seconds(size) if shape is not None else {}
        return {
            s: t * here[s] / there[s] if there.get(s, 0.0) > 0 else t if s in FIXED_STAGES else t * ratio
            for s, t in self.seconds.items()
        }


def _path(path: Path | None) -> Path:
    return path or stage_times_file()


def load(path: Path | None = None) -> list[StageRecord]:
    """Every record; an unreadable file reads as none (it only makes estimates slower to come)."""
    try:
        document = json.loads(_path(path).read_text(encoding="utf-8"))
        return [
            StageRecord(
                SortKind(**item["kind"]), float(item["size"]), {k: float(v) for k, v in item["seconds"].items()}
            )
            for item in document.get("records", [])
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def record(entry: StageRecord, path: Path | None = None) -> None:
    """Add a finished sort's stage times (written atomically: a reader never sees half a file)."""
    if entry.size <= 0 or not entry.seconds:
        return
    records = [*load(path), entry][-KEEP_RECORDS:]
    write_json_atomically(_path(path), {"records": [asdict(r) for r in records]})


def predict(
    kind: SortKind, size: float, path: Path | None = None, shape: StageShape | None = None
) -> dict[str, float] | None:
    """Each stage's seconds for a sort of `kind` and `size`, from the newest earlier sorts of that kind (scaled
    along the sorter's `shape` for the place's kind); None when there are none."""
    same = [r for r in load(path) if r.kind == kind][-USE_LATEST:]
    if not same:
        return None
    scaled = [r.scaled(size, shape) for r in same]
    stages = {s for seconds in scaled for s in seconds}
    return {s: statistics.median(seconds.get(s, 0.0) for seconds in scaled) for s in stages}


def expected_seconds(
    sorter: Sorter, kind: SortKind, size: float, path: Path | None = None
) -> tuple[dict[str, float] | None, bool]:
    """Each stage's expected seconds for a sort, and whether they come from this machine's own earlier sorts (else
    from the sorter's measured shape on a GPU or the CPU; None when it has none)."""
    shape = shape_for(sorter, kind)
    learned = predict(kind, size, path, shape) if size > 0 else None
    if learned:
        return learned, True
    return (shape.seconds(size) if shape is not None and size > 0 else None), False


def shape_for(sorter: Sorter, kind: SortKind) -> StageShape | None:
    """The sorter's measured shape for the kind of place (a GPU or the CPU), else any it has."""
    return sorter.shapes.get("cpu" if kind.device == "cpu" else "gpu") or next(iter(sorter.shapes.values()), None)


def fixed_shares(sorter: Sorter, kind: SortKind, size: float) -> dict[str, float]:
    """Each stage's share of its time that does not grow with the recording; empty without a shape or a size."""
    shape = shape_for(sorter, kind)
    return shape.fixed_shares(size) if shape is not None and size > 0 else {}
