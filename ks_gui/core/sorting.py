"""The one way through: check a job on its place, choose its GPU once, start it. The CLI, the window and the tests
all call this; nothing that checks a job changes it."""

from __future__ import annotations

from ks_gui.core.sorters.base import Sorter

# Where a sort can run, by the name `--on` takes: (title the window shows, the form the place runs).
PLACES: dict[str, tuple[str, str]] = {
    "docker": ("This computer's Docker", "container"),
    "local": ("This computer, without Docker (Kilosort 4 environment)", "python"),
}
DEFAULT_PLACE = "docker"


def places_for(sorter: Sorter) -> list[str]:
    """The places that can run `sorter`: those whose form it ships in."""
    return [name for name, (_, form) in PLACES.items() if form in sorter.forms]


def place_title(name: str) -> str:
    return PLACES[name][0]
