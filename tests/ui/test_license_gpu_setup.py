"""The License box, the GPU picker and the Check setup view, as a user sees them."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from PySide6.QtCore import Qt

from ks_gui.core import launch
from ks_gui.core.places.gpus import GpuScan, parse_nvidia_smi
from ks_gui.core.settings import Settings, load_settings, settings_file
from ks_gui.core.setup.doctor import Check
from ks_gui.ui import dialogs
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.main_window import MainWindow
from ks_gui.ui.setup_view import SetupView
from tests.conftest import FIXTURES, SIM_IMAGE
from tests.ui.conftest import drop_path, type_into


def test_license_box_validates_as_the_user_types(qtbot):
    box = LicenseBox()
    qtbot.addWidget(box)
    box.show()
    type_into(qtbot, box.value, "27000@")
    assert "is not PORT@HOST" in box.status.text()
    type_into(qtbot, box.value, "27000@licenses.example.org")
    assert box.status.text() == "Uses the license server 27000@licenses.example.org."
    box.mode.setCurrentIndex(box.mode.findData("file"))
    assert box.mac_address.isVisible() and not box.token.isVisible()
    type_into(qtbot, box.mac_address, "01:00:5e:00:00:01")
    assert "multicast" in box.status.text()


def test_token_mode_hides_the_token_and_says_when_there_is_no_keyring(qtbot, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring.core

    keyring.core.set_keyring(keyring.core.load_env())
    try:
        box = LicenseBox()
        qtbot.addWidget(box)
        box.show()
        box.mode.setCurrentIndex(box.mode.findData("token"))
        type_into(qtbot, box.value, "ada@example.org")
        assert "no system keyring is available" in box.status.text()
        type_into(qtbot, box.token, "c2VjcmV0")
        assert box.token.echoMode() == box.token.EchoMode.Password
        assert box.status.text() == "Uses the batch token for ada@example.org."
        box.remember_token.setChecked(False)
        assert box.license().secret == "c2VjcmV0"
    finally:
        keyring.core.init_backend()


def test_gpu_picker_lists_gpus_and_explains_none(qtbot):
    rows = "0, GPU-a, NVIDIA A100, 40960, 39000, 3, 8.0, 550\n1, GPU-b, NVIDIA H100 80GB HBM3, 81559, 0, 0, 9.0, 550\n"
    picker = GpuPicker(GpuScan(parse_nvidia_smi(rows)))
    qtbot.addWidget(picker)
    texts = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert texts[1].startswith("GPU 0: NVIDIA A100, 40 GiB, compute 8.0 — busy")
    assert texts[2] == "GPU 1: NVIDIA H100 80GB HBM3, 80 GiB, compute 9.0"
    assert picker.request() == "auto" and picker.note.text() == ""
    picker.fill(GpuScan([], "no NVIDIA driver found (nvidia-smi is not installed): install the NVIDIA driver"))
    assert picker.combo.count() == 2 and picker.note.text().startswith("No GPU: no NVIDIA driver found")


def test_setup_view_shows_each_check(qtbot):
    view = SetupView(
        checks=[
            Check(
                "Docker engine", False, "the Docker engine is not running", "start Docker: sudo systemctl start docker"
            ),
            Check("phy", True, "phy found: /usr/bin/phy (PATH)"),
        ]
    )
    qtbot.addWidget(view)
    assert view.summary.text() == "1 of 2 items need attention."
    first = view.table.topLevelItem(0)
    assert [first.text(i) for i in range(4)] == [
        "to fix",
        "Docker engine",
        "the Docker engine is not running",
        "start Docker: sudo systemctl start docker",
    ]


def test_keep_signed_in_shows_only_for_the_account_mode(qtbot):
    box = LicenseBox()
    qtbot.addWidget(box)
    box.show()
    type_into(qtbot, box.value, "27000@licenses.example.org")
    assert not box.keep_signed_in.isVisible()
    box.mode.setCurrentIndex(box.mode.findData("account"))
    type_into(qtbot, box.value, "ada@example.org")
    assert box.keep_signed_in.isVisible() and not box.keep_signed_in.isChecked()
    assert "password" in box.keep_signed_in.toolTip()
    box.keep_signed_in.setChecked(True)
    assert box.status.text() == "Uses the MathWorks account ada@example.org, kept signed in between runs."
    assert box.license().keep_signed_in
    box.mode.setCurrentIndex(box.mode.findData("server"))  # the tick stays, but only an account uses it
    type_into(qtbot, box.value, "27000@licenses.example.org")
    assert not box.keep_signed_in.isVisible() and box.status.text().startswith("Uses the license server")


@pytest.mark.engine
def test_window_keeps_signed_in_and_forward_compat_and_remembers_both(
    qtbot, recording, tmp_path, sim_image, engine, monkeypatch
):
    volume = f"ks-gui-test-signin-{uuid.uuid4().hex[:12]}"  # not the user's own volume: never signs them out
    monkeypatch.setattr(launch, "signin_volume_name", lambda: volume)
    asked: list[str] = []

    def ask_secret(parent, title, label):
        asked.append(label)
        return "ks-gui-test-password"  # the stand-in's documented test password

    monkeypatch.setattr(dialogs, "ask_secret", ask_secret)

    def sort_in_a_new_window(output, choose: bool) -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        drop_path(window.form.drop_zone, recording.folder)
        type_into(qtbot, window.form.channels, str(recording.n_channels))
        type_into(qtbot, window.form.sample_rate, str(int(recording.sample_rate)))
        type_into(qtbot, window.form.output, str(output))
        type_into(qtbot, window.form.image, SIM_IMAGE)
        window.form.gpu.setCurrentIndex(window.form.gpu.findData("none"))
        if choose:
            window.form.license_mode.setCurrentIndex(window.form.license_mode.findData("account"))
            type_into(qtbot, window.form.license_value, "ada@example.org")
            window.form.license_box.keep_signed_in.setChecked(True)
            window.form.advanced.setChecked(True)
            assert window.form.forward_compat.isVisible() and "H100" in window.form.forward_compat.toolTip()
            window.form.forward_compat.setCurrentIndex(window.form.forward_compat.findData("on"))
        qtbot.waitUntil(window.form.sort_button.isEnabled, timeout=5_000)  # else sort_reason says why
        qtbot.mouseClick(window.form.sort_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: (output / ".ks-gui" / "run.json").is_file() and not window.running, timeout=60_000)
        return window

    try:
        sort_in_a_new_window(tmp_path / "first", choose=True)
        assert len(asked) == 1 and "password" in asked[0]
        assert json.loads((tmp_path / "first" / ".ks-gui" / "job.json").read_text())["forward_compat"] is True
        settings = load_settings().settings
        assert (settings.license_mode, settings.keep_signed_in, settings.cuda_forward_compat) == ("account", True, "on")
        assert "ks-gui-test-password" not in settings_file().read_text()

        # A new window starts from the remembered choices, and MATLAB does not ask for the password again.
        window = sort_in_a_new_window(tmp_path / "second", choose=False)
        assert window.form.license_box.keep_signed_in.isChecked() and window.form.forward_compat.choice() == "on"
        assert len(asked) == 1
        assert (tmp_path / "second" / "params.py").is_file()
        assert json.loads((tmp_path / "second" / ".ks-gui" / "job.json").read_text())["forward_compat"] is True
    finally:
        engine.remove_volume(volume)


def test_gpu_picker_marks_the_real_busy_h100(qtbot):
    busy = (FIXTURES / "gpu" / "busy" / "nvidia-smi-query-busy.csv").read_text()  # real (SOURCES.md, busy/)
    picker = GpuPicker(GpuScan(parse_nvidia_smi(busy)))
    qtbot.addWidget(picker)
    texts = [picker.combo.itemText(i) for i in range(picker.combo.count())]
    assert texts == [
        "Automatic (least busy)",
        "GPU 0: NVIDIA H100 80GB HBM3, 80 GiB, compute 9.0 — busy: 57.1 GiB used, 100% load",
        "No GPU (only images that allow it)",
    ]


def test_the_window_opens_before_nvidia_smi_answers_then_lists_the_gpu(qtbot, tmp_path, monkeypatch):
    """nvidia-smi can take a second; the window does not wait for it. No NVIDIA driver can exist here, so a stand-in
    nvidia-smi on PATH answers slowly with the real output recorded on an H100 (tests/fixtures/gpu/busy)."""
    recorded = FIXTURES / "gpu" / "busy" / "nvidia-smi-query-busy.csv"
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nsleep 1\ncat '{recorded}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")

    window = MainWindow(settings=Settings(gpu="0"))  # GPU 0 was the user's choice last time
    qtbot.addWidget(window)
    window.show()
    assert window.form.gpu_picker.note.text() == "Looking for NVIDIA GPUs…"
    assert window.form.gpu.currentData() == "auto"  # GPU 0 is not known yet
    qtbot.waitUntil(lambda: window.form.gpu.count() == 3, timeout=10_000)
    assert window.form.gpu.currentText().startswith("GPU 0: NVIDIA H100 80GB HBM3, 80 GiB, compute 9.0 — busy")
    assert window.form.gpu.currentData() == 0 and not window.form.gpu_picker.note.isVisible()
