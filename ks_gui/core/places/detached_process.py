"""A local sort's process that outlives its launcher, as a Docker container does (places/base.py's Handle).

The sorter runs under a small shell in a session of its own (no terminal: closing one, SIGHUP, never reaches it),
its output goes to a file (never to a pipe that breaks when the launcher goes), and the shell writes the sorter's
exit code to a file when it ends. What is needed to find it again lives in a folder of its own under ks-gui's log
folder (`local/<job id>/`: `process.json`, `output.txt`, `exit_code`): any later launcher follows the output file
from its start and reads how it ended, as it reads a container's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ks_gui.core.places.local_process import LocalSpec
from ks_gui.core.places.output_lines import OutputLine, OutputReader

_READ_SIZE = 65536
_POLL_SECONDS = 0.1
RECORD, OUTPUT, EXIT_CODE = "process.json", "output.txt", "exit_code"
# Exit code of a sort whose shell was killed before it could say how the sorter ended (SIGKILL to the group).
_KILLED = 137
# The sorter in the foreground; the shell stays for its end (a trap, not an ignored signal, which the sorter would
# inherit), then writes the exit code atomically.
_WRAPPER = (
    'trap : TERM INT HUP; "$@" >>"$KS_GUI_OUTPUT" 2>&1; code=$?; '
    'echo "$code" >"$KS_GUI_EXIT.part" && mv -f "$KS_GUI_EXIT.part" "$KS_GUI_EXIT"; exit "$code"'
)


def _boot_id() -> str:
    """This boot of the computer: a process id recorded before a restart names no process of ours after it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _file_chunks(path: Path, ended: Callable[[], bool], stop: threading.Event) -> Iterator[bytes]:
    """The output file as it grows, until the process has ended and all it wrote is read (or `stop`)."""
    with path.open("rb") as output:
        while not stop.is_set():
            if chunk := output.read(_READ_SIZE):
                yield chunk
            elif ended():
                if not (rest := output.read()):
                    return
                yield rest
            else:
                stop.wait(_POLL_SECONDS)


class DetachedRun:
    """A started (or found again) local sort: its output as lines, its end, stop, detach."""

    def __init__(self, folder: Path, record: dict, process: subprocess.Popen[bytes] | None = None) -> None:
        self.folder = folder
        self._record = record
        self._process = process  # when this launcher started it (its child: reaped here)
        self._stop_reading = threading.Event()
        self._reader: OutputReader | None = None

    @classmethod
    def start(cls, spec: LocalSpec, folder: Path, job_id: str, output: Path, stdin_open: bool = False) -> DetachedRun:
        """Start `spec` in a session of its own, its output into `folder`'s output file."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / OUTPUT).touch()
        with contextlib.suppress(FileNotFoundError):
            (folder / EXIT_CODE).unlink()
        environment = {
            **os.environ,
            **spec.environment,
            "KS_GUI_OUTPUT": str(folder / OUTPUT),
            "KS_GUI_EXIT": str(folder / EXIT_CODE),
        }
        process = subprocess.Popen(
            ["/bin/sh", "-c", _WRAPPER, "sh", *spec.command],
            stdin=subprocess.PIPE if stdin_open else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
            cwd=output,
            start_new_session=True,  # no terminal, and its own process group: stop() reaches its children too
        )
        record = {
            "pid": process.pid,
            "job_id": job_id,
            "output": str(output),
            "host": socket.gethostname(),
            "boot": _boot_id(),
            "started": time.time(),
        }
        part = folder / f"{RECORD}.part"
        part.write_text(json.dumps(record), encoding="utf-8")
        part.replace(folder / RECORD)
        return cls(folder, record, process)

    @classmethod
    def found(cls, folder: Path) -> DetachedRun | None:
        """The sort recorded in `folder`, started by an earlier launcher; None when the folder holds none."""
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
            return None
        return cls(folder, record)

    # --- what it is ----------------------------------------------------------------------------------------

    @property
    def job_id(self) -> str:
        return str(self._record.get("job_id", ""))

    @property
    def output(self) -> str:
        return str(self._record.get("output", ""))

    @property
    def pid(self) -> int:
        return int(self._record["pid"])

    @property
    def id(self) -> str:
        return f"pid-{self.pid}"

    def describe(self) -> str:
        return f"process {self.pid}"

    def _alive(self) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        if self._record.get("boot") != _boot_id() or self._record.get("host") != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _ended(self) -> bool:
        return (self.folder / EXIT_CODE).exists() or not self._alive()

    @property
    def running(self) -> bool:
        return not self._ended()

    # --- following it --------------------------------------------------------------------------------------

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        if self._reader is None:
            chunks = _file_chunks(self.folder / OUTPUT, self._ended, self._stop_reading)
            self._reader = OutputReader(chunks, name=f"local-{self.pid}")
        return self._reader.lines(quiet_after, idle_every)

    def output_lost(self) -> bool:
        return False  # the file keeps all of it

    def killed_for_memory(self) -> bool:
        return False  # the kernel says so for a container only; a killed process reads as killed

    def send(self, text: str) -> None:
        if self._process is None or self._process.stdin is None:
            raise RuntimeError("this process takes no input")
        self._process.stdin.write(text.encode())
        self._process.stdin.flush()

    def wait(self, timeout: float | None = None) -> int:
        """The sorter's exit code (128 + the signal for one ended by a signal, as a container's reads)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended():
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(["sort", self.job_id], timeout or 0)
            time.sleep(_POLL_SECONDS)
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)  # the shell exits right after writing the code
        try:
            return int((self.folder / EXIT_CODE).read_text().strip())
        except (OSError, ValueError):
            return _KILLED  # the shell itself was killed: nothing said how the sorter ended

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to the process group, then SIGKILL after `timeout` seconds."""
        if self._ended():
            return
        self._signal(signal.SIGTERM)
        try:
            self.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def detach(self) -> None:
        """Stop following: the sort goes on, and a later launcher finds it (places/local_env.py found_runs)."""
        self._stop_reading.set()

    def remove(self) -> None:
        """Forget an ended sort (its output is in the run's log by now), as a container is removed."""
        if self._ended():
            shutil.rmtree(self.folder, ignore_errors=True)
