"""A place that replays recorded sorter output instead of running a sorter: the run loop (following, progress,
sign-in prompts, cancel, outcomes) tested without Docker. Its lines pass through the real OutputReader, so they are
split as a container's or a process's output is. Test-only: never shipped, never selectable from a face."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.places.base import FoundRun, Launch, Readiness, SeesLocalFiles
from ks_gui.core.places.gpus import Gpu
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.output_lines import OutputLine, OutputReader


@dataclass(frozen=True)
class AwaitAnswer:
    """In a script: the sorter waits here until the launcher writes an answer on its stdin."""


@dataclass
class Script:
    """What the replayed sorter prints (text chunks, and pauses for answers), the files it leaves, how it exits."""

    chunks: list[str | AwaitAnswer]
    exit_code: int = 0
    pace_s: float = 0.0  # pause between chunks, for tests that act mid-run (cancel)
    writes: dict[str, bytes] = field(default_factory=dict)  # output-relative files written when it ends well

    @classmethod
    def from_log(cls, log: Path, chunk_bytes: int = 4096, **kwargs) -> Script:
        """A real recorded log, cut into chunks that do not respect line ends (as Docker's frames do not)."""
        text = log.read_text(encoding="utf-8", errors="replace")
        return cls([text[i : i + chunk_bytes] for i in range(0, len(text), chunk_bytes)], **kwargs)


class ReplayHandle:
    def __init__(self, script: Script, output: Path) -> None:
        self._script = script
        self._output = output
        self._answers: list[str] = []
        self._answered = threading.Event()
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._exit_code: int | None = None
        self._reader = OutputReader(self._chunks(), name="replay")

    @property
    def id(self) -> str:
        return "replay"

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    @property
    def answers(self) -> list[str]:
        return list(self._answers)

    def _chunks(self) -> Iterator[bytes]:
        for chunk in self._script.chunks:
            if self._stopped.is_set():
                break
            if isinstance(chunk, AwaitAnswer):
                self._answered.clear()
                while not self._answered.wait(0.05) and not self._stopped.is_set():
                    pass
                continue
            yield chunk.encode()
            if self._script.pace_s:
                self._stopped.wait(self._script.pace_s)
        if self._stopped.is_set():
            self._exit_code = 143  # SIGTERM, as a container reports it
        else:
            for name, data in self._script.writes.items():
                (self._output / name).write_bytes(data)
            self._exit_code = self._script.exit_code
        self._done.set()

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        return self._reader.lines(quiet_after, idle_every)

    def send(self, text: str) -> None:
        self._answers.append(text)
        self._answered.set()

    def wait(self, timeout: float | None = None) -> int:
        self._done.wait(timeout)
        assert self._exit_code is not None
        return self._exit_code

    def stop(self, timeout: int = 10) -> None:
        self._stopped.set()
        self._done.wait(timeout)

    def detach(self) -> None:
        raise ValueError("a replay cannot go on without the launcher")

    def remove(self) -> None:
        pass

    def describe(self) -> str:
        return "replayed output"

    def output_lost(self) -> bool:
        return False  # its output ends with it

    def killed_for_memory(self) -> bool:
        return False


class ReplayPlace(SeesLocalFiles):
    """A container place (as far as core can tell) whose image is `image` (None: not there) and whose GPUs are
    `gpus`; each start() replays `script`."""

    name = "docker"  # jobs say where they run by name; the replay stands in for this computer's Docker
    title = "Replay of recorded output"
    form = "container"
    runs_detached = False
    service = ""

    def __init__(self, image: ImageInfo | None, script: Script | None = None, gpus: list[Gpu] | None = None) -> None:
        self.image = image
        self.script = script or Script([])
        self._gpus = gpus or []
        self.started: list[Launch] = []
        self.handle: ReplayHandle | None = None

    def gpus(self) -> list[Gpu]:
        return self._gpus

    def readiness(self, image: str, thorough: bool = False) -> Readiness:
        if self.image is None:
            return Readiness(problems=(("image", f"the image {image} is not on this machine: build it first"),))
        return Readiness(gpu_required=self.image.gpu_required, image=self.image, mex_cache=None)

    def plan(self, launch: Launch, readiness: Readiness) -> tuple[dict, str]:
        return {"replay": launch.command}, " ".join(launch.command)

    def start(self, launch: Launch, readiness: Readiness) -> ReplayHandle:
        self.started.append(launch)
        self.handle = ReplayHandle(self.script, launch.output)
        return self.handle

    def found_runs(self) -> list[FoundRun]:
        return []

    def follow(self, found: FoundRun) -> ReplayHandle:
        raise AssertionError("nothing to follow again in a replay")

    def image_info(self, name: str) -> ImageInfo | None:
        return self.image

    def answers(self) -> bool:
        return True

    def follow_again(self, handle_id: str) -> None:
        return None

    def version(self) -> str:
        return "replay"


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
