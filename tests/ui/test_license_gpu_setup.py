"""The License box, the GPU picker and the Check setup view, as a user sees them."""

from __future__ import annotations

from ks_gui.core.doctor import Check
from ks_gui.core.gpu import GpuScan, parse_nvidia_smi
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.license_box import LicenseBox
from ks_gui.ui.setup_view import SetupView
from tests.ui.conftest import type_into


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
