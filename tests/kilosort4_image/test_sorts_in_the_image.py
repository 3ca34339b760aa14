"""Real Kilosort 4 sorts IN the real Kilosort 4 image (docker/kilosort4/Dockerfile on a CPU base), through the
launcher, from the CLI and from the window: as the invoking user, the recording read-only, no network, and the planted
units found again as well as the local environment finds them (tests/e2e/test_kilosort4_sort.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.places.container_spec import spec_for
from ks_gui.core.recordings.inspection import inspect
from ks_gui.core.sorters.kilosort4 import KILOSORT4
from tests.e2e.test_kilosort4_sort import check_phy_folder, kilosort4_sort_args
from tests.helpers.planted import N_CHANNELS, SAMPLE_RATE, PlantedRecording
from tests.kilosort4_image.conftest import KS4_IMAGE

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sort_args(recording: Path, output: Path, *extra: str) -> list[str]:
    return kilosort4_sort_args(recording, output, "--image", KS4_IMAGE, "--gpu", "none", *extra, on="docker")


def ks_gui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ks_gui", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_owned_by_the_user(output: Path) -> None:
    written = [output, *output.rglob("*")]
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in written}
    # The image's own user is 1000: a launcher that forgot --user would leave uid 1000's files.
    assert owners == {(os.getuid(), os.getgid())}, owners


def test_the_container_is_the_users_reads_the_recording_only_and_has_no_network(ks4_image, planted, tmp_path):
    done = ks_gui(*sort_args(planted.binary.parent, tmp_path / "out", "--dry-run", "--json"))
    assert done.returncode == 0, done.stderr
    container = json.loads(done.stdout)["container"]
    assert container["user"] == f"{os.getuid()}:{os.getgid()}"
    assert container["network"] == "none"
    folder = str(planted.binary.parent)
    assert {"source": folder, "target": folder, "read_only": True} in container["mounts"]
    assert container["device_requests"] == []


def test_python_in_the_image_cannot_reach_the_network(engine, ks4_image, planted, tmp_path):
    job = SortJob(
        recording=inspect(planted.binary.parent),
        output=tmp_path / "out",
        license=None,
        sorter=KILOSORT4,
        image=KS4_IMAGE,
        param_overrides={"n_chan_bin": N_CHANNELS, "fs": SAMPLE_RATE},
    )
    job.output.mkdir()
    probe = (
        "import socket\ntry:\n    socket.create_connection(('151.101.2.132', 80), timeout=5)\n    print('reached')\n"
        "except OSError as err:\n    print('refused:', err)\n"
    )
    spec = spec_for(launch_for(job), f"{os.getuid()}:{os.getgid()}", None)
    container = engine.start(dataclasses.replace(spec, entrypoint=["python", "-c", probe], command=[]))
    try:
        said = [line.text for line in container.lines()]
        container.wait(timeout=60)
    finally:
        container.remove()
    assert said == ["refused: [Errno 101] Network is unreachable"], said


def test_cli_sorts_in_the_kilosort4_image(ks4_image, planted: PlantedRecording, tmp_path: Path):
    before = digest(planted.binary)
    output = tmp_path / "sorted"
    started = time.monotonic()
    done = ks_gui(*sort_args(planted.binary.parent, output, "--json"), timeout=800)
    print(f"\nks-gui sort --sorter kilosort4 --image {KS4_IMAGE} took {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout)
    assert outcome["succeeded"] is True
    assert outcome["result"]["spikes"] == np.load(output / "spike_times.npy").shape[0]
    check_phy_folder(output, planted)
    assert_owned_by_the_user(output)
    assert digest(planted.binary) == before

    log = Path(outcome["log_file"]).read_text()
    assert "Kilosort version 4.1.7" in log
    markers = [line for line in log.splitlines() if line.startswith("[ks-gui] stage ")]
    assert markers[-2:] == ["[ks-gui] stage quality", "[ks-gui] stage done"], markers
    # the quality stage ran in the container, beside the sort: every unit has its metrics and label
    quality = json.loads((output / ".ks-gui" / "quality.json").read_text())
    assert set(map(int, quality["units"])) == set(np.unique(np.load(output / "spike_clusters.npy")).tolist())
    assert (output / "cluster_auto_label.tsv").is_file()
    # phy's cluster_group.tsv is Kilosort 4's own (its KSLabel, written with the phy folder): the stage left it so
    assert (output / "cluster_group.tsv").read_bytes() == (output / "cluster_KSLabel.tsv").read_bytes()
    run = json.loads((output / ".ks-gui" / "run.json").read_text())
    assert run["image"]["name"] == KS4_IMAGE and run["image"]["id"] == ks4_image.id
    assert run["image"]["labels"]["ks-gui.sorter"] == "kilosort4"
    assert run["exit_code"] == 0
    job = json.loads((output / ".ks-gui" / "job.json").read_text())
    assert job["sorter"] == "kilosort4" and job["place"] == "docker"


def test_window_sorts_in_the_kilosort4_image(qtbot, ks4_image, planted: PlantedRecording, tmp_path: Path):
    from ks_gui.ui.main_window import MainWindow

    before = digest(planted.binary)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    form = window.form
    form.sorter_choice.combo.setCurrentIndex(form.sorter_choice.combo.findText("Kilosort 4"))
    form.place_choice.combo.setCurrentIndex(form.place_choice.combo.findData("docker"))
    window.open_recording(planted.binary.parent)
    form.channels.setValue(N_CHANNELS)
    form.sample_rate.setValue(SAMPLE_RATE)
    form.output.setText(str(tmp_path / "sorted"))
    form.advanced.setChecked(True)
    form.image.setText(KS4_IMAGE)
    form.gpu.setCurrentIndex(form.gpu.findData("none"))
    qtbot.waitUntil(form.sort_button.isEnabled)
    qtbot.mouseClick(form.sort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.running, timeout=800_000)

    assert window.run_panel.stage.text() == "Done", window.run_panel.message.text()
    assert window.run_panel.message.text().startswith("Sorted:")
    check_phy_folder(tmp_path / "sorted", planted)
    assert_owned_by_the_user(tmp_path / "sorted")
    assert digest(planted.binary) == before
    run = json.loads((tmp_path / "sorted" / ".ks-gui" / "run.json").read_text())
    assert run["image"]["name"] == KS4_IMAGE


def test_the_storage_view_lists_the_kilosort4_image(engine, ks4_image):
    from ks_gui.core.setup.storage import stored_items

    images = {item.location: item for item in stored_items(engine) if item.is_image}
    assert KS4_IMAGE in images
    assert images[KS4_IMAGE].size_bytes == ks4_image.size_bytes > 1_000_000_000  # torch and Kilosort: over 1 GB
