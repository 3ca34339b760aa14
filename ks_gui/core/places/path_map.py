"""Storage both machines see, under different names: `LOCAL=SERVER` pairs that turn this computer's paths into a
server's and back (an NFS share mounted at /mnt/lab here and /data/lab there). With no pair, a path is the same on
both machines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class PathMap:
    pairs: tuple[tuple[str, str], ...] = ()  # (local folder, the same folder on the server), absolute

    @classmethod
    def parse(cls, texts: list[str] | tuple[str, ...]) -> PathMap:
        """From `LOCAL=SERVER` texts; ValueError, in one sentence, for one that is not two absolute folders."""
        pairs = []
        for text in texts:
            local, sep, server = text.partition("=")
            if not sep or not local.startswith("/") or not server.startswith("/"):
                raise ValueError(
                    f"--path-map {text!r}: write it as LOCAL=SERVER, two absolute folders "
                    "(the same storage as this computer and the server name it)"
                )
            pairs.append((_folder(local), _folder(server)))
        return cls(tuple(pairs))

    def texts(self) -> list[str]:
        return [f"{local}={server}" for local, server in self.pairs]

    def to_server(self, path: str) -> str:
        return _swap(path, ((local, server) for local, server in self.pairs))

    def to_local(self, path: str) -> str:
        return _swap(path, ((server, local) for local, server in self.pairs))

    def __bool__(self) -> bool:
        return bool(self.pairs)


def nearest_existing(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists (where a folder still to be made will be made)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _folder(text: str) -> str:
    return str(PurePosixPath(text))


def _swap(path: str, pairs) -> str:
    """`path` with the longest matching folder prefix replaced (only whole folder names match)."""
    best: tuple[str, str] | None = None
    for old, new in pairs:
        if (path == old or path.startswith(old.rstrip("/") + "/")) and (best is None or len(old) > len(best[0])):
            best = (old, new)
    if best is None:
        return path
    old, new = best
    rest = path[len(old) :].lstrip("/")
    return str(PurePosixPath(new) / rest) if rest else new
