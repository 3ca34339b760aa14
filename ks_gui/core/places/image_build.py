"""Building a sorter's image (image_recipes.py): pull its base image with per-layer byte progress, then build its
Dockerfile's folder (with the files the recipe adds, in a temporary build context) with its log line by line, and
say clearly why it failed (no network, no space, a Docker Hub login needed). Synchronous: `ImageBuild.events()`
yields what happens; the CLI or a Qt worker consumes it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ks_gui.core.ground.locations import shipped
from ks_gui.core.ground.readable import human_bytes
from ks_gui.core.places.docker_engine import EngineError
from ks_gui.core.places.image_recipes import RECIPES
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.output_lines import LineSplitter

# Kilosort 2.5's, the default build (image_recipes.py has each sorter's).
BASE_IMAGE = RECIPES["kilosort2.5"].base_image
IMAGE_SIZE_BYTES = RECIPES["kilosort2.5"].size_bytes
# Room kept free beyond the image itself (the build's own layers, Docker's temporary files).
SPACE_MARGIN_BYTES = 2 * 1000**3
IMAGE_CONTEXT = shipped("docker/kilosort2.5")

FailureKind = Literal["no_network", "no_space", "login_needed", "engine", "build"]


class EngineStreamLike(Protocol):
    def __iter__(self) -> Iterator[dict]: ...
    def cancel(self) -> None: ...


class BuildEngine(Protocol):
    """What the build needs of ks_gui.core.places.docker_engine.Engine."""

    def image(self, name: str) -> ImageInfo | None: ...
    def pull(self, name: str) -> EngineStreamLike: ...
    def build(self, context: Path, tag: str, *, build_args: dict | None = None) -> EngineStreamLike: ...


# --- events ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerProgress:
    """One layer of the pull moved: `current` of `total` bytes (total None until the engine knows it)."""

    layer: str
    status: str
    current: int
    total: int | None
    downloaded: int  # all layers together
    known_total: int  # sum of the totals known so far

    def describe(self) -> str:
        size = f"{human_bytes(self.current)} of {human_bytes(self.total)}" if self.total else ""
        return f"{self.layer}: {self.status} {size}".strip()


@dataclass(frozen=True)
class BuildLine:
    text: str


@dataclass(frozen=True)
class BuildFailure:
    kind: FailureKind
    message: str
    line: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class BuildFinished:
    tag: str
    image: ImageInfo | None
    cancelled: bool = False
    failure: BuildFailure | None = None

    @property
    def succeeded(self) -> bool:
        return self.image is not None and not self.cancelled and self.failure is None

    def summary(self) -> str:
        if self.cancelled:
            return f"Cancelled: {self.tag} was not built."
        if self.succeeded and self.image is not None:
            return f"Built {self.tag} (image {self.image.short_id})."
        return f"Building {self.tag} failed: {self.failure or 'the engine gave no image'}"


BuildEvent = LayerProgress | BuildLine | BuildFinished


# --- reading the engine's messages --------------------------------------------------------------------------------

_DONE_STATUSES = ("Download complete", "Pull complete", "Already exists", "Verifying Checksum")

_FAILURES: tuple[tuple[FailureKind, re.Pattern[str], str], ...] = (
    (
        "no_space",
        re.compile(r"no space left on device", re.I),
        "The disk that holds Docker's images is full: free some space (docker system prune) and try again.",
    ),
    (
        "login_needed",
        re.compile(
            r"pull access denied|unauthorized|authentication required|requested access to the resource is denied"
            r"|toomanyrequests|pull rate limit",
            re.I,
        ),
        "Docker Hub refused the download: sign in with `docker login` (a free Docker Hub account) and try again.",
    ),
    (
        "no_network",
        re.compile(
            r"no such host|network is unreachable|i/o timeout|TLS handshake timeout|connection refused"
            r"|temporary failure in name resolution|could not resolve host|failed to connect|connection reset"
            r"|dial tcp|Client\.Timeout",
            re.I,
        ),
        "No network: the download failed. Check the internet connection (and Docker's proxy settings), then try again.",
    ),
)


def classify_failure(text: str) -> BuildFailure:
    """The user's reading of an engine or build error line."""
    for kind, pattern, message in _FAILURES:
        if pattern.search(text):
            return BuildFailure(kind, f"{message} (Docker said: {text.strip()})", text.strip())
    return BuildFailure("build", f"Docker said: {text.strip()}", text.strip())


def _error_text(message: dict) -> str | None:
    if "error" in message or "errorDetail" in message:
        detail = message.get("errorDetail") or {}
        return str(detail.get("message") or message.get("error") or "unknown error")
    return None


@dataclass
class _Layer:
    status: str = ""
    current: int = 0
    total: int | None = None


@dataclass
class PullTracker:
    """Reads `docker pull` progress messages into per-layer bytes of total."""

    layers: dict[str, _Layer] = field(default_factory=dict)
    failure: BuildFailure | None = None

    @property
    def downloaded(self) -> int:
        return sum(layer.current for layer in self.layers.values())

    @property
    def known_total(self) -> int:
        return sum(layer.total or 0 for layer in self.layers.values())

    def feed(self, message: dict) -> LayerProgress | None:
        error = _error_text(message)
        if error is not None:
            self.failure = classify_failure(error)
            return None
        layer_id = message.get("id")
        status = str(message.get("status", ""))
        if not layer_id or status.startswith(("Pulling from", "Digest:", "Status:")):
            return None
        layer = self.layers.setdefault(layer_id, _Layer())
        layer.status = status
        detail = message.get("progressDetail") or {}
        if status == "Downloading" and detail.get("total"):
            layer.current, layer.total = int(detail.get("current", 0)), int(detail["total"])
        elif status in _DONE_STATUSES and layer.total:
            layer.current = layer.total
        return LayerProgress(layer_id, status, layer.current, layer.total, self.downloaded, self.known_total)


class BuildLog:
    """Reads `docker build` messages into log lines; remembers the image id and the first error."""

    def __init__(self) -> None:
        self._splitter = LineSplitter()
        self.image_id: str | None = None
        self.failure: BuildFailure | None = None

    def feed(self, message: dict) -> list[str]:
        error = _error_text(message)
        if error is not None:
            self.failure = self.failure or classify_failure(error)
            return [*self.finish(), f"ERROR: {error.strip()}"]
        aux = message.get("aux") or {}
        if isinstance(aux, dict) and aux.get("ID"):
            self.image_id = str(aux["ID"])
        text = message.get("stream")
        if text is None and message.get("status"):  # a pull inside the build (FROM an image not here yet)
            text = f"{message['status']} {message.get('progress', '')}".rstrip() + "\n"
        return self._splitter.feed(str(text).encode()) if text else []

    def finish(self) -> list[str]:
        return self._splitter.finish()


# --- disk space ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceCheck:
    folder: Path
    free_bytes: int
    needed_bytes: int

    @property
    def enough(self) -> bool:
        return self.free_bytes >= self.needed_bytes

    def message(self) -> str:
        text = (
            f"The image needs about {human_bytes(self.needed_bytes)}; {human_bytes(self.free_bytes)} free on the "
            f"disk that holds Docker's images ({self.folder})."
        )
        return text if self.enough else f"{text} Free some space first."


def space_check(
    docker_root: str | None, base_present: bool, free_bytes: int | None = None, image_bytes: int = IMAGE_SIZE_BYTES
) -> SpaceCheck:
    """Compare the image's size (`image_bytes`) with the free space where the engine keeps images (`docker info`
    DockerRootDir): measured here, unless `free_bytes` says it (a server measures its own disk)."""
    folder = Path(docker_root or "/")
    if free_bytes is not None:
        free = free_bytes
    else:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:  # the engine's folder may be out of sight (another machine, a VM): the root disk says most
            folder = Path("/")
            free = shutil.disk_usage(folder).free
    needed = SPACE_MARGIN_BYTES if base_present else image_bytes + SPACE_MARGIN_BYTES
    return SpaceCheck(folder, free, needed)


# --- the whole build ----------------------------------------------------------------------------------------------


class ImageBuild:
    """Pull the base image when it is missing (None: nothing to pull), then build `context` as `tag`, with `files`
    (path inside the build context -> a file here) added to a temporary copy of it and `build_args` given to the
    Dockerfile's ARGs. `cancel()` from any thread."""

    def __init__(
        self,
        engine: BuildEngine,
        tag: str,
        context: Path = IMAGE_CONTEXT,
        base_image: str | None = BASE_IMAGE,
        files: dict[str, Path] | None = None,
        build_args: dict[str, str] | None = None,
    ) -> None:
        self.tag = tag
        self.context = context
        self.base_image = base_image
        self.files = dict(files or {})
        self.build_args = dict(build_args or {})
        self._engine = engine
        self._stream: EngineStreamLike | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            if self._stream is not None:
                self._stream.cancel()

    def _open(self, stream: EngineStreamLike) -> EngineStreamLike:
        with self._lock:
            self._stream = stream
            if self._cancelled.is_set():
                stream.cancel()
        return stream

    def events(self) -> Iterator[BuildEvent]:
        try:
            yield from self._steps()
        except EngineError as err:
            yield BuildFinished(self.tag, None, self._cancelled.is_set(), classify_failure(err.message))

    def _steps(self) -> Iterator[BuildEvent]:
        missing = [str(p) for p in (self.context / "Dockerfile", *self.files.values()) if not p.is_file()]
        if missing:
            failure = BuildFailure("build", f"{missing[0]} is missing: this ks-gui install lacks its image files")
            yield BuildFinished(self.tag, None, failure=failure)
            return
        if not self.files:
            yield from self._pull_and_build(self.context)
            return
        with tempfile.TemporaryDirectory(prefix="ks-gui-image-") as folder:
            context = Path(folder) / "context"
            shutil.copytree(self.context, context)
            for inside, source in self.files.items():
                (context / inside).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, context / inside)
            yield from self._pull_and_build(context)

    def _pull_and_build(self, context: Path) -> Iterator[BuildEvent]:
        if self.base_image is not None and self._engine.image(self.base_image) is None:
            tracker = PullTracker()
            for message in self._open(self._engine.pull(self.base_image)):
                if (progress := tracker.feed(message)) is not None:
                    yield progress
            if self._cancelled.is_set() or tracker.failure is not None:
                yield BuildFinished(self.tag, None, self._cancelled.is_set(), tracker.failure)
                return
        log = BuildLog()
        stream = (
            self._engine.build(context, self.tag, build_args=self.build_args)
            if self.build_args
            else self._engine.build(context, self.tag)
        )
        for message in self._open(stream):
            for text in log.feed(message):
                yield BuildLine(text)
        for text in log.finish():
            yield BuildLine(text)
        if self._cancelled.is_set() or log.failure is not None:
            yield BuildFinished(self.tag, None, self._cancelled.is_set(), log.failure)
            return
        image = self._engine.image(self.tag)
        failure = None if image is not None else BuildFailure("build", f"the build ended without an image {self.tag}")
        yield BuildFinished(self.tag, image, failure=failure)
