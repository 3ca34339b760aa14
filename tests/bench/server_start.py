"""Time from starting a sort to its first output line on a GPU server (this machine's engine reached over SSH, the
real sshd on loopback) against this computer's Docker: the same job, the stand-in image, in the same run. The
server's figure includes what a server adds per sort: its shared SSH connection, the uid asked from the server, the
named mex volume. Prints medians and their ratio; run with `make bench` (as root: it starts sshd for the test
account, as the server tests do)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from ks_gui.core import sorting
from ks_gui.core.events import LogLine
from ks_gui.core.job import SortJob
from ks_gui.core.license import parse_license
from ks_gui.core.places.path_map import PathMap
from ks_gui.core.recordings.inspection import inspect
from tests.bench.report import report
from tests.conftest import SIM_IMAGE, write_recording
from tests.helpers.loopback_sshd import SERVER, LoopbackSshd

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def first_line_seconds(place, recording_folder: Path, output: Path) -> float:
    job = SortJob(
        recording=inspect(recording_folder),
        output=output,
        license=parse_license("server:27000@lic"),
        image=SIM_IMAGE,
        place=place.name,
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    checked = sorting.check(job, place, "none", [])
    assert not checked.problems, checked.problems
    run = sorting.prepare(checked)
    started = time.perf_counter()
    run.start()
    events = run.events()
    for event in events:
        if isinstance(event, LogLine):
            first = time.perf_counter() - started
            break
    for _ in events:  # let it finish and clean up
        pass
    return first


def main() -> None:
    sshd = LoopbackSshd()
    os.environ["KS_GUI_SSH_CONFIG"] = str(sshd.client_config)
    shared = Path(tempfile.mkdtemp(prefix="ks-gui-bench-"))
    shared.chmod(0o777)
    try:
        local = sorting.open_place("docker")
        server = sorting.open_place(f"ssh://{SERVER}", path_map=PathMap())
        recording = write_recording(shared / "rec", seconds=2)
        for place in (local, server):  # warm up: the mex cache of each, the server's shared connection
            first_line_seconds(place, recording.folder, shared / f"warm-{place.name.replace('/', '_')}")
        local_times, server_times = [], []
        for i in range(ROUNDS):
            local_times.append(first_line_seconds(local, recording.folder, shared / f"local-{i}"))
            server_times.append(first_line_seconds(server, recording.folder, shared / f"server-{i}"))
    finally:
        sshd.stop()
        import shutil

        shutil.rmtree(shared, ignore_errors=True)
    report("sort start to first output line", ("this computer's Docker", local_times),
           ("a server's Docker over SSH", server_times), "server / this computer")  # fmt: skip


if __name__ == "__main__":
    main()
