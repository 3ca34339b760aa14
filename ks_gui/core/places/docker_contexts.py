"""The user's Docker contexts (`docker context ls`), read from the Docker CLI's own files: no engine is contacted
and the Docker SDK is not loaded."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def context_address(name: str) -> str | None:
    """The engine address of the user's Docker context `name` (`docker context ls`), or None when there is no such
    context. Read from the Docker CLI's own files ($DOCKER_CONFIG, else ~/.docker: contexts/meta/<sha256 of the
    name>/meta.json); nothing is contacted."""
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    meta = folder / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        document = json.loads(meta.read_text(encoding="utf-8"))
        return str(document["Endpoints"]["docker"]["Host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
