"""phy, the viewer for Kilosort's results: find it, install it into the app's own environment, launch it.

phy needs PyQt5 and ks-gui runs PySide6; the two must never share a process, so phy always runs as a separate
program from its own virtual environment. It is launched detached (a new session, its output in a log file), so it
never blocks the window and stays open when the launcher closes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import platformdirs

from ks_gui.core.ground.locations import APP_NAME, log_dir
from ks_gui.core.results.phy_folder import PARAMS_FILE

PHY_ENV_VARIABLE = "KS_GUI_PHY"
PHY_REQUIREMENT = "phy>=2.1,<3"
INSTALLED_MARKER = "ks-gui-installed"  # written into the environment last: a half-done install is never used
INSTALL_SIZE_TEXT = "about 750 MB"
# Packages pip collects for phy 2.1 (its "Collecting"/"Processing" lines: 68 in Nov. 2026), for a rough fraction.
EXPECTED_PACKAGES = 70
# How long a fresh phy is watched for an early failure; its window appears after 1.5-2 s.
STARTUP_WATCH_SECONDS = 5.0
# Variables of our own process that would steer phy's Python or its PyQt5 into our environment.
_FOREIGN_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH")

PhySource = Literal["settings", "environment variable", "app environment", "PATH"]


def phy_env_dir() -> Path:
    """The app's own environment for phy, under the user data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "phy-env"


def phy_log_dir() -> Path:
    return log_dir() / "phy"


def _venv_program(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / (f"{name}.exe" if os.name == "nt" else name)


# --- finding phy ---------------------------------------------------------------------------------------------------


class PhyNotFoundError(Exception):
    """phy is not where it was looked for; `message` and `hint` are for the user."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message} {hint}")
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class PhyProgram:
    path: Path
    source: PhySource


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_phy(configured: Path | str | None = None) -> PhyProgram:
    """phy from the settings (`configured`), else $KS_GUI_PHY, else the app's own environment, else PATH.

    A path the user named that is not a program is an error, never silently passed over."""
    for value, source in ((configured, "settings"), (os.environ.get(PHY_ENV_VARIABLE), "environment variable")):
        if value:
            path = Path(value).expanduser()
            if path.is_dir():
                path = _venv_program(path, "phy")  # an environment's folder is accepted too
            if not _is_program(path):
                where = "the settings" if source == "settings" else f"${PHY_ENV_VARIABLE}"
                raise PhyNotFoundError(
                    f"phy was not found at {path} (from {where}).",
                    "Correct the path, or clear it to use the app's own phy.",
                )
            return PhyProgram(path, source)  # type: ignore[arg-type]
    own = _venv_program(phy_env_dir(), "phy")
    if _is_program(own) and (phy_env_dir() / INSTALLED_MARKER).exists():
        return PhyProgram(own, "app environment")
    on_path = shutil.which("phy")
    if on_path:
        return PhyProgram(Path(on_path), "PATH")
    raise PhyNotFoundError(
        "phy is not installed.",
        f"Install it into ks-gui's own environment ({INSTALL_SIZE_TEXT}): ks-gui install phy",
    )


# --- installing phy ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallProgress:
    """One line of the installer's output, and how far along it roughly is (0..1)."""

    text: str
    fraction: float


@dataclass(frozen=True)
class InstallOutcome:
    succeeded: bool
    cancelled: bool
    environment: Path
    log_file: Path
    message: str


InstallEvent = InstallProgress | InstallOutcome

_PIP_FAILURE_HINTS = (
    (re.compile(r"No matching distribution found|Could not find a version"), "pip found no phy for this Python."),
    (
        re.compile(r"Failed to establish a new connection|Temporary failure in name resolution|ProxyError"),
        "pip could not reach the package index: check the network or the proxy (HTTPS_PROXY).",
    ),
    (re.compile(r"No space left on device"), f"The disk is full: phy needs {INSTALL_SIZE_TEXT}."),
    (re.compile(r"No module named (venv|ensurepip)"), "This Python lacks venv: install python3-venv."),
)


class PhyInstaller:
    """Installs phy into its own environment with `python -m venv` and pip; `events()` streams the progress.

    Cancel from another thread with `cancel()`. A failed or cancelled install leaves no environment behind."""

    def __init__(self, target: Path | None = None, python: str | None = None) -> None:
        self.target = (target or phy_env_dir()).absolute()
        self.python = python or sys.executable
        self.log_file = phy_log_dir() / f"install-{datetime.now():%Y%m%d-%H%M%S}.log"
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                os.killpg(self._process.pid, signal.SIGTERM)

    def _steps(self) -> list[tuple[str, list[str]]]:
        env_python = str(_venv_program(self.target, "python"))
        pip = [env_python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
        return [
            ("Creating phy's environment", [self.python, "-m", "venv", "--clear", str(self.target)]),
            ("Installing phy and PyQt5", [*pip, "install", "--progress-bar", "off", PHY_REQUIREMENT]),
        ]

    def events(self) -> Iterator[InstallEvent]:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        collected = 0
        tail: list[str] = []
        with self.log_file.open("w", encoding="utf-8") as log:
            for title, command in self._steps():
                yield InstallProgress(f"{title}…", min(0.9, collected / EXPECTED_PACKAGES * 0.9))
                log.write(f"$ {' '.join(command)}\n")
                for line in self._run(command):
                    log.write(line + "\n")
                    log.flush()
                    tail = [*tail[-40:], line]
                    if line.startswith(("Collecting ", "Processing ")):
                        collected += 1
                    if line.startswith("Installing collected packages"):
                        line = "Installing the downloaded packages…"
                    yield InstallProgress(line, min(0.9, collected / EXPECTED_PACKAGES * 0.9))
                code = self._process.wait() if self._process else 1
                if self._cancelled.is_set() or code != 0:
                    yield self._failed(code, tail)
                    return
            (self.target / INSTALLED_MARKER).write_text(f"{PHY_REQUIREMENT}\n", encoding="utf-8")
        yield InstallProgress("phy is installed.", 1.0)
        yield InstallOutcome(True, False, self.target, self.log_file, f"phy is installed in {self.target}")

    def _run(self, command: list[str]) -> Iterator[str]:
        error = None
        with self._lock:
            if self._cancelled.is_set():
                return
            try:
                self._process = subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    errors="replace",
                    start_new_session=True,  # cancel() ends pip and whatever it started, as a group
                    env={**_clean_environment(), "PYTHONUNBUFFERED": "1"},
                )
            except OSError as err:  # the Python named cannot be run
                self._process = None
                error = f"cannot run {command[0]}: {err.strerror or err}"
        if error is not None:
            yield error
            return
        assert self._process is not None and self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.rstrip()
            if line and not line.startswith("WARNING: Location "):  # pip's noise about unusable index mirrors
                yield line

    def _failed(self, code: int, tail: list[str]) -> InstallOutcome:
        shutil.rmtree(self.target, ignore_errors=True)
        if self._cancelled.is_set():
            return InstallOutcome(False, True, self.target, self.log_file, "Installing phy was cancelled.")
        text = "\n".join(tail)
        reason = next((hint for pattern, hint in _PIP_FAILURE_HINTS if pattern.search(text)), None)
        last = next((line for line in reversed(tail) if line.strip()), f"exit code {code}")
        message = f"Installing phy failed: {reason or last} The full output is in {self.log_file}"
        return InstallOutcome(False, False, self.target, self.log_file, message)


# --- launching phy -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhyFailure:
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


_OPENGL_HINT = (
    "phy draws with OpenGL: install your graphics driver's OpenGL (NVIDIA driver, or Mesa: libgl1-mesa-dri "
    "libglx-mesa0). Over ssh -X it does not work; use the desktop or a remote desktop instead."
)
_LAUNCH_FAILURES = (
    # Without a display Qt also says it could not load the xcb plugin: the display rule comes first.
    (
        re.compile(r"cannot open display|could not connect to display|\$DISPLAY is not set", re.IGNORECASE),
        PhyFailure(
            "phy found no screen to open on.",
            "Start it from a desktop session (DISPLAY set); over SSH, use a remote desktop instead of ssh -X.",
        ),
    ),
    (
        re.compile(r'Could not load the Qt platform plugin "xcb"'),
        PhyFailure(
            "phy could not open a window: Qt's X11 libraries are missing.",
            "Install them (Debian/Ubuntu: sudo apt-get install libxcb-icccm4 libxcb-image0 libxcb-keysyms1 "
            "libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0).",
        ),
    ),
    (
        re.compile(
            r"MESA-LOADER|failed to load driver|QGLXContext|Cannot create platform OpenGL context|"
            r"Could not create (an )?OpenGL context|GLXBadFBConfig|glx.*failed|Unable to create OpenGL",
            re.IGNORECASE,
        ),
        PhyFailure("phy could not create an OpenGL context.", _OPENGL_HINT),
    ),
    (
        re.compile(r"No module named '?PyQt5|No such command 'template-gui'|ModuleNotFoundError"),
        PhyFailure(
            "phy's environment is incomplete.",
            "Reinstall it: ks-gui install phy --force (or fix the phy named in the settings).",
        ),
    ),
    (
        re.compile(r"(FileNotFoundError|No such file or directory).*\.npy"),
        PhyFailure("phy did not find a file of the results.", "Check that the sort finished; run it again if not."),
    ),
    (
        re.compile(r"MemoryError|Cannot allocate memory"),
        PhyFailure(
            "phy ran out of memory loading the results.", "Close other programs, or open it on a larger machine."
        ),
    ),
)


def diagnose_launch(log_text: str, exit_code: int | None) -> PhyFailure:
    """Why phy ended early, from its output and exit code, in words and with what to try."""
    for pattern, failure in _LAUNCH_FAILURES:
        if pattern.search(log_text):
            return failure
    if exit_code in (-signal.SIGSEGV, 139, -signal.SIGABRT, 134):
        return PhyFailure(f"phy crashed (exit code {exit_code}).", _OPENGL_HINT)
    lines = [line for line in log_text.splitlines() if line.strip()]
    last = re.sub(r"\x1b\[[0-9;]*m", "", lines[-1]).strip() if lines else f"exit code {exit_code}"
    return PhyFailure(f"phy stopped: {last}", "The full output is in the log file.")


def _clean_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in _FOREIGN_VARIABLES}


class PhyProcess:
    """A phy started on a folder: its pid and log; the launcher may forget it, phy keeps running."""

    def __init__(self, process: subprocess.Popen, folder: Path, log_file: Path) -> None:
        self._process = process
        self.folder = folder
        self.log_file = log_file

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self) -> int | None:
        return self._process.poll()

    def wait(self, timeout: float | None = None) -> int:
        return self._process.wait(timeout)

    def terminate(self) -> None:
        """SIGTERM, which phy handles by closing cleanly."""
        if self._process.poll() is None:
            self._process.terminate()

    def failure(self) -> PhyFailure | None:
        """Why phy ended, when it has ended with an error; None while it runs or after a normal close."""
        code = self._process.poll()
        if code is None or code in (0, -signal.SIGTERM):
            return None
        return diagnose_launch(self.read_log(), code)

    def watch_startup(self, seconds: float = STARTUP_WATCH_SECONDS) -> PhyFailure | None:
        """Block up to `seconds` for an early exit (for the CLI; the window polls `failure()` on a timer)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._process.poll() is None:
            time.sleep(0.1)
        if self._process.poll() == 0:
            return PhyFailure("phy closed at once.", f"See its output in {self.log_file}")
        return self.failure()

    def read_log(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def launch_phy(program: PhyProgram | Path, folder: Path, environment: dict[str, str] | None = None) -> PhyProcess:
    """Start `phy template-gui params.py` in `folder` as its own session; its output goes to a log file.

    `environment`: variables added to (or replacing) ours, e.g. DISPLAY or HOME."""
    path = program.path if isinstance(program, PhyProgram) else program
    folder = folder.absolute()
    log_file = phy_log_dir() / f"{datetime.now():%Y%m%d-%H%M%S}-{folder.name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w", encoding="utf-8") as log:
        log.write(f"$ cd {folder} && {path} template-gui {PARAMS_FILE}\n")
        log.flush()
        process = subprocess.Popen(
            [str(path), "template-gui", PARAMS_FILE],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: closing the launcher or its terminal leaves phy open
            env={**_clean_environment(), **(environment or {})},
        )
    return PhyProcess(process, folder, log_file)
