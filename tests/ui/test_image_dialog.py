"""The image dialog, driven like a user: Build image (a small local Dockerfile on the real engine), Cancel build,
Clear compiled files (the stand-in image's mex cache)."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from PySide6.QtCore import Qt

from ks_gui.core.ground.locations import mex_cache_dir
from ks_gui.ui.image_dialog import ImageDialog
from tests.conftest import SIM_IMAGE

pytestmark = pytest.mark.engine


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text('FROM scratch\nCOPY hello.txt /hello.txt\nLABEL ks-gui.contract="1"\n')
    return tmp_path


def test_build_image_shows_the_space_then_the_log_live_and_ends_with_the_image(qtbot, context: Path) -> None:
    tag = "ks-gui-dialog-test:built"
    dialog = ImageDialog(tag, context=context, base_image=None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.build_button.isEnabled, timeout=20_000)  # the free space is read off the GUI thread
    assert dialog.space.text().startswith("The image needs about ")
    assert "free on the disk that holds Docker's images" in dialog.space.text()
    try:
        qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
        assert not dialog.build_button.isEnabled() and dialog.cancel_button.isEnabled()
        qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)

        assert "Step 2/3 : COPY hello.txt /hello.txt" in dialog.log.toPlainText()
        assert dialog.status.text().startswith(f"Built {tag} (image ")
        assert dialog.progress.value() == 1000
        assert dialog.build_button.isEnabled() and not dialog.cancel_button.isEnabled()
    finally:
        docker.from_env().images.remove(tag, force=True)


def test_cancel_build_stops_a_running_step(qtbot, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {SIM_IMAGE}\nRUN sleep 60\n")
    tag = "ks-gui-dialog-test:cancelled"
    dialog = ImageDialog(tag, context=tmp_path, base_image=SIM_IMAGE)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.build_button.isEnabled, timeout=20_000)
    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "RUN sleep 60" in dialog.log.toPlainText(), timeout=30_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)

    assert dialog.status.text() == f"Cancelled: {tag} was not built."
    with pytest.raises(docker.errors.ImageNotFound):
        docker.from_env().images.get(tag)


def test_clear_compiled_files_empties_the_images_mex_cache(qtbot, sim_image) -> None:
    cache = mex_cache_dir(sim_image.short_id)
    cache.mkdir(parents=True)
    for name in ("spikedetector3", "mexMPnu8"):
        (cache / f"{name}.mexa64").write_text("compiled")
    dialog = ImageDialog(SIM_IMAGE, base_image=None)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.clear_button.isEnabled, timeout=20_000)

    assert dialog.status.text() == (
        f"Cleared 2 compiled files of {SIM_IMAGE} (image {sim_image.short_id}); the next sort compiles them again."
    )
    assert not cache.exists()


def test_the_kilosort4_dialog_builds_kilosort4s_image_from_the_shipped_files(qtbot) -> None:
    """Build image… with Kilosort 4 chosen: its own Dockerfile, the driver added to the build, PyTorch's CUDA base
    (about 9 GB) named; the build itself runs in tests/test_packaging.py from an installed wheel."""
    dialog = ImageDialog("ks-gui/kilosort4:latest", sorter="kilosort4")
    qtbot.addWidget(dialog)
    assert dialog.status.text() == (
        "Building pulls the base image pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime when it is missing."
    )
    assert (dialog._context / "Dockerfile").read_text().startswith("# ks-gui's Kilosort 4 image")
    assert [path.name for path in dialog._files.values()] == ["ks_gui_kilosort4.py", "ks_gui_quality.py"]
    qtbot.waitUntil(
        lambda: dialog.space.text().startswith("The image needs about 11"), timeout=20_000
    )  # 9 GB and the build's margin: no base here
