"""Help → Documentation: the README that came with this copy of ks-gui, opened in the desktop's viewer. A clone
(or an editable install) has it beside the package; an installed wheel carries it as its package description, which
is written once into the cache folder."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import platformdirs

import ks_gui
from ks_gui.core.ground.locations import APP_NAME


def documentation_file() -> Path | None:
    """The README to open, or None when this copy has none."""
    beside = Path(ks_gui.__file__).resolve().parent.parent / "README.md"
    if beside.is_file():
        return beside
    try:
        text = metadata.metadata("ks-gui").get_payload()  # type: ignore[attr-defined]
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    copy = Path(platformdirs.user_cache_dir(APP_NAME)) / "README.md"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(str(text), encoding="utf-8")
    return copy
