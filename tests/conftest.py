"""Shared fixtures: isolated user folders, a generated recording, the real Docker engine and the stand-in image."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Widget tests draw offscreen; the screenshot test starts its own Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).parent / "fixtures"
SIM_IMAGE = "ks-gui-sim:latest"
# The stand-in's own license server: any port@host works except the host named `unreachable`.
SIM_LICENSE = "server:27000@license.example.org"


@pytest.fixture(autouse=True)
def garbage_collected_on_the_main_thread():
    """As the app does (ks_gui/ui/garbage.py): no automatic collection, which could run on a sort's worker thread and
    finalize Qt objects there; each test's garbage is collected on the main thread when it ends."""
    gc.disable()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs, caches and settings go to a fresh folder per test, never to the real home."""
    home = tmp_path_factory.mktemp("user")
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    return home


@pytest.fixture(autouse=True)
def no_unexpected_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal dialog nobody answers would hang the test run: each of the window's questions fails the test unless
    the test itself answers it (by monkeypatching the same function)."""
    from ks_gui.ui import dialogs

    def unexpected(name: str):
        def ask(parent, title: str, *args, **kwargs):
            raise AssertionError(f"the window asked {name}({title!r}) and the test did not expect it")

        return ask

    for name in ("ask_secret", "choose_folder", "choose_file", "confirm", "choose", "choose_save_path", "tell"):
        monkeypatch.setattr(dialogs, name, unexpected(name))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


# Every recording the tests wrote, with its digest when it was written (issue 9: the raw data is never written).
_RECORDING_DIGESTS: dict[Path, str] = {}


def remember_recording(binary: Path) -> None:
    """Check after each test that ran a sort on `binary`, or wrote it, that its bytes are as written."""
    _RECORDING_DIGESTS[binary.resolve()] = _sha256(binary)


@pytest.fixture(autouse=True)
def recordings_untouched(user_folders: Path) -> Iterator[None]:
    """After every test: each recording it wrote, and each one a sort of the test used (the run history names them:
    the CLI, the window and in-process runs all record theirs), still has the digest it had when it was written.
    A recording the test removed on purpose (unplugged mid-run) is not there to check."""
    written_before = set(_RECORDING_DIGESTS)
    yield
    from ks_gui.core.results import history

    used = {Path(record.recording).resolve() for record in history.load_all()}
    for binary in (set(_RECORDING_DIGESTS) - written_before) | used:
        expected = _RECORDING_DIGESTS.get(binary)
        if expected is not None and binary.is_file():
            assert _sha256(binary) == expected, f"the recording {binary} changed during the test"


@dataclass(frozen=True)
class GeneratedRecording:
    folder: Path
    binary: Path
    n_channels: int
    sample_rate: float

    def digest(self) -> str:
        return hashlib.sha256(self.binary.read_bytes()).hexdigest()


def write_recording(
    folder: Path, n_channels: int = 32, seconds: float = 10.0, fs: float = 30000.0
) -> GeneratedRecording:
    """A raw int16 recording: noise with a few large negative spikes, interleaved channels."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    n_samples = int(seconds * fs)
    data = rng.normal(0, 20, size=(n_samples, n_channels))
    for time in rng.integers(100, n_samples - 100, size=200):
        channel = rng.integers(0, n_channels)
        data[time : time + 20, channel] -= np.hanning(20) * 300
    binary = folder / "recording.bin"
    data.astype(np.int16).tofile(binary)
    remember_recording(binary)
    return GeneratedRecording(folder, binary, n_channels, fs)


@pytest.fixture
def recording(tmp_path: Path) -> GeneratedRecording:
    return write_recording(tmp_path / "rec")


@pytest.fixture(scope="session")
def engine():
    """The real Docker engine. Without one the engine tests fail: they are never skipped."""
    from ks_gui.core.places.docker_engine import EngineError, connect

    try:
        return connect()
    except EngineError as err:
        pytest.fail(f"no Docker engine: {err.message} (make test starts one)", pytrace=False)


@pytest.fixture(scope="session")
def sim_image(engine):
    image = engine.image(SIM_IMAGE)
    if image is None:
        pytest.fail(f"the stand-in image {SIM_IMAGE} is missing: run make sim-image", pytrace=False)
    return image


def build_image(tag: str, dockerfile: str, files: dict[str, bytes] | None = None, busybox: bool = False) -> None:
    """Build a small image from local files only (no registry here): a Dockerfile, files, optionally busybox."""
    import io
    import tarfile

    import docker

    entries = {"Dockerfile": dockerfile.encode(), **(files or {})}
    if busybox:
        entries["busybox"] = Path("/bin/busybox").read_bytes()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    docker.from_env().images.build(fileobj=context, custom_context=True, tag=tag, rm=True)


def sim_job(
    recording: GeneratedRecording, output: Path, license: str = SIM_LICENSE, image: str = SIM_IMAGE, **env: str
):
    """A SortJob for the stand-in image, its license server and the recording's channels and rate; `env` goes to the
    container (KS_GUI_SIM_PACE=…, KS_GUI_SIM_FAIL=…)."""
    from ks_gui.core.job import SortJob
    from ks_gui.core.license import parse_license
    from ks_gui.core.recordings.inspection import inspect

    return SortJob(
        recording=inspect(recording.folder),
        output=output,
        license=parse_license(license),
        image=image,
        environment=dict(env),
        param_overrides={"NchanTOT": recording.n_channels, "fs": recording.sample_rate},
    )


def prepared_run(job, engine=None, gpu_request="none"):
    """The one sequence the CLI and the window call (core/sorting.py): the job checked on its place (the given
    engine's Docker, or the job's own place), then its run, ready to start."""
    from ks_gui.core import sorting
    from ks_gui.core.places.docker_place import DockerPlace

    place = DockerPlace(engine) if engine is not None else sorting.open_place(job.place)
    checked = sorting.check(job, place, gpu_request, [])
    assert not checked.problems, checked.problems
    return sorting.prepare(checked)


def sign_in_run(engine, recording: GeneratedRecording, output: Path, answers: dict[str, str], keep_signed_in=False):
    """A stand-in sort with a MathWorks account, each sign-in prompt answered from `answers` by its kind: the
    Outcome and the kinds asked, in order."""
    from ks_gui.core.events import Outcome, SignInPrompt
    from ks_gui.core.license import parse_license

    job = sim_job(recording, output)
    job.license = parse_license("account:ada@example.org", keep_signed_in=keep_signed_in)
    run = prepared_run(job, engine)
    run.start()
    asked = []
    for event in run.events():
        if isinstance(event, SignInPrompt):
            asked.append(event.kind)
            run.answer(answers[event.kind])
        elif isinstance(event, Outcome):
            return event, asked
    raise AssertionError("the sort ended without an outcome")


def sim_sort_args(
    folder: Path | list[Path], output: Path, *extra: str, channels: int | None = 32, fs: float | None = 30000.0
) -> list[str]:
    """`ks-gui sort` arguments for the stand-in image, with no GPU and its license server: one recording folder or
    several. `channels`/`fs` None: left to the recording's detection."""
    folders = folder if isinstance(folder, list) else [folder]
    args = [
        "sort",
        *map(str, folders),
        "--output",
        str(output),
        "--image",
        SIM_IMAGE,
        "--gpu",
        "none",
        "--license",
        SIM_LICENSE,
    ]
    if channels is not None:
        args += ["--param", f"NchanTOT={channels}"]
    if fs is not None:
        args += ["--param", f"fs={fs:g}"]
    return [*args, *extra]


def run_cli(*args: str, timeout: float = 180, **popen) -> subprocess.CompletedProcess[str]:
    """`ks-gui ARGS` in a new process, as a user types it (it inherits the test's user folders)."""
    return subprocess.run(
        [sys.executable, "-m", "ks_gui", *args], capture_output=True, text=True, timeout=timeout, check=False, **popen
    )


@contextlib.contextmanager
def running_xvfb(screen: str = "1280x900x24", *extra: str) -> Iterator[str]:
    """A fresh Xvfb; its display name, read from the server itself so no display number is guessed."""
    exe = shutil.which("Xvfb")
    assert exe, "Xvfb is missing: make test installs it (package xvfb)"
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [exe, "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp", *extra],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        display = pipe.readline().strip()
    assert display, "Xvfb did not start"
    try:
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def xvfb() -> Iterator[str]:
    with running_xvfb() as display:
        yield display


@pytest.fixture
def count_containers(engine, tmp_path):
    """Fails the test if it started a container for an output under its folder (bad input must start nothing)."""
    import docker

    yield
    started = [
        c
        for c in docker.from_env().containers.list(all=True, filters={"label": "ks-gui.output"})
        if c.labels["ks-gui.output"].startswith(str(tmp_path))
    ]
    assert started == [], "bad input started a container"


# --- time per suite ----------------------------------------------------------------------------------------------
# make test must stay well inside CI's 90 minutes on 2 cores (issue 9). Each suite's time (setup, call and teardown
# of its tests) is reported at the end against its budget; a suite over budget is named, for a person to look at.
SUITE_BUDGET_SECONDS = {
    "core": 90,
    "cli": 60,
    "desktop": 180,  # tests/desktop: ~90 s making its images on a fresh machine, ~15 s when they are cached
    "docker": 90,
    "e2e": 300,
    "kilosort4_image": 420,  # two real sorts in the real image (about a minute each on 2 idle cores); built by make
    "phy": 180,
    "robustness": 300,
    "server": 120,
    "cluster": 480,
    "pictures": 60,
    "quality": 420,  # one real Kilosort 4 sort with its quality stage, then `ks-gui qc` once more (2 idle cores)
    "ui": 420,
}
_suite_seconds: dict[str, float] = {}


def _suite_of(nodeid: str) -> str:
    parts = Path(nodeid.split("::")[0]).parts
    return parts[1] if len(parts) > 2 else "top level"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    suite = _suite_of(report.nodeid)
    _suite_seconds[suite] = _suite_seconds.get(suite, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _suite_seconds:
        return
    terminalreporter.section("time per suite, against its budget")
    for suite, seconds in sorted(_suite_seconds.items(), key=lambda item: -item[1]):
        budget = SUITE_BUDGET_SECONDS.get(suite)
        verdict = "" if budget is None else f"  (budget {budget} s{', OVER BUDGET' if seconds > budget else ''})"
        terminalreporter.write_line(f"  {suite:<16} {seconds:7.1f} s{verdict}")
