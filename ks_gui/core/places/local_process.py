"""A sorter run as a local process instead of a container, a Handle as a container is (places/base.py).

The local environment's place (local_env.py) runs its driver on the job file with the environment's python. The
process gets its own session (process group), so stopping it stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ks_gui.core.places.base import Launch
from ks_gui.core.places.output_lines import OutputLine, OutputReader

_READ_SIZE = 65536


def _pipe_chunks(fd: int) -> Iterator[bytes]:
    """What the process writes, as it writes it (an empty read is the end of the pipe)."""
    try:
        while chunk := os.read(fd, _READ_SIZE):
            yield chunk
    except OSError:  # the pipe is closed under us by remove()
        return


@dataclass(frozen=True)
class LocalSpec:
    """The process a local job runs in, described as plain data before anything is started."""

    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)  # added to the launcher's own environment

    def to_json(self) -> dict:
        return {"command": self.command, "environment": self.environment}


def local_spec_for(launch: Launch, python: Path, driver: Path) -> LocalSpec:
    """The driver run by the environment's python on the job file, on the launch's GPU (or none)."""
    environment = dict(launch.environment)
    environment.update(
        {
            "PYTHONUNBUFFERED": "1",
            # Kilosort draws its plots into files; never open a window from a sort.
            "MPLBACKEND": "Agg",
            # The chosen GPU is the only one the process sees; an empty value hides every GPU (a CPU sort).
            "CUDA_VISIBLE_DEVICES": "" if launch.gpu is None else (launch.gpu.uuid or str(launch.gpu.index)),
        }
    )
    return LocalSpec(command=[str(python), str(driver), *launch.command], environment=environment)


class LocalRun:
    """A started local process: its output (stdout and stderr together) as lines, its stdin, its end."""

    def __init__(self, spec: LocalSpec, stdin_open: bool = False, cwd: Path | None = None) -> None:
        self._process = subprocess.Popen(
            spec.command,
            stdin=subprocess.PIPE if stdin_open else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **spec.environment},
            cwd=cwd,
            start_new_session=True,  # its own process group: stop() reaches its children too
        )
        assert self._process.stdout is not None
        self._reader = OutputReader(_pipe_chunks(self._process.stdout.fileno()), name=f"local-{self._process.pid}")

    @property
    def id(self) -> str:
        return f"pid-{self._process.pid}"

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def describe(self) -> str:
        return f"process {self._process.pid}"

    def output_lost(self) -> bool:
        return False  # its output ends with it

    def killed_for_memory(self) -> bool:
        return False  # the kernel says so for a container only; a killed process reads as killed

    def detach(self) -> None:
        raise ValueError("a local process cannot go on without the launcher")

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        return self._reader.lines(quiet_after, idle_every)

    def send(self, text: str) -> None:
        if self._process.stdin is None:
            raise RuntimeError("this process was started without stdin")
        self._process.stdin.write(text.encode())
        self._process.stdin.flush()

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; a process ended by a signal reads as 128 + the signal, as a container's does."""
        code = self._process.wait(timeout=timeout)
        return 128 - code if code < 0 else code

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to the process group, then SIGKILL after `timeout` seconds."""
        if self._process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._process.wait()

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    def remove(self) -> None:
        """Release the process's pipes (the counterpart of removing a container); it must have ended."""
        self.stop(timeout=0)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
