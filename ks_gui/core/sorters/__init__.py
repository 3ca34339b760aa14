"""What sorts: Kilosort 2.5 (MATLAB image) and Kilosort 4 (image or Python environment). Each sorter's parameter
table, checks, command, how its output reads (progress) and its failure hints live here; where it runs does not."""

from __future__ import annotations

from ks_gui.core.sorters.base import Sorter
from ks_gui.core.sorters.kilosort4 import KILOSORT4
from ks_gui.core.sorters.kilosort25 import KILOSORT25

SORTERS: dict[str, Sorter] = {s.name: s for s in (KILOSORT25, KILOSORT4)}
DEFAULT_SORTER = KILOSORT25.name
# Names that say a sorter and a place at once: earlier versions offered Kilosort 4 in the local environment as a
# sorter of its own. Still accepted from the command line, earlier run records and job files.
SHORTHANDS: dict[str, tuple[str, str]] = {"kilosort4-local": (KILOSORT4.name, "local")}


def sorter_named(name: str) -> tuple[Sorter, str | None]:
    """The sorter a name means, and the place it implies (a shorthand's), or None. KeyError when unknown."""
    if name in SHORTHANDS:
        sorter, place = SHORTHANDS[name]
        return SORTERS[sorter], place
    return SORTERS[name], None


def param_problems(sorter: Sorter, params: dict) -> list[str]:
    """Every reason the merged parameters cannot be run."""
    return sorter.problems(params)
