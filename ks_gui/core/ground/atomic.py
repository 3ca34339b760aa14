"""Files written so that a reader never sees half of one: a temporary file, then a rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_json_atomically(path: Path, document: dict, mode: int = 0o600) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file. `mode`: who may read it
    (the user alone, unless another account must: a server's sorter reads the job file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)  # paths as the user wrote them
            handle.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
