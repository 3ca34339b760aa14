"""What the app keeps on disk, with sizes, and removing it (real engine, real folders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ks_gui.core.setup import storage
from tests.conftest import SIM_IMAGE, build_image, run_cli, sim_sort_args

pytestmark = pytest.mark.engine


def test_images_caches_and_logs_are_listed_and_removable(engine, sim_image, recording, tmp_path: Path):
    done = run_cli(*sim_sort_args(recording.folder, tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    build_image(
        "ks-gui-storage-test:latest",
        'FROM scratch\nCOPY hello /hello\nLABEL ks-gui.contract="1"\n',
        {"hello": b"hello\n"},
    )

    items = {item.name: item for item in storage.stored_items(engine)}
    assert items[SIM_IMAGE].size_bytes > 1_000_000
    (mex,) = [item for item in items.values() if item.kind == "mex cache"]
    assert mex.name.endswith(sim_image.short_id) and mex.size_bytes > 0
    assert items["run logs"].size_bytes > 0

    storage.remove(mex, engine)
    storage.remove(items["ks-gui-storage-test:latest"], engine)
    left = {item.name for item in storage.stored_items(engine)}
    assert mex.name not in left and "ks-gui-storage-test:latest" not in left
    assert SIM_IMAGE in left and not Path(mex.location).exists()


def test_an_image_a_container_still_uses_is_not_removed_and_the_window_says_why(qtbot, engine, monkeypatch):
    import docker

    from ks_gui.ui import dialogs
    from ks_gui.ui.storage_dialog import StorageDialog

    name = "ks-gui-storage-in-use:latest"
    build_image(name, 'FROM scratch\nCOPY hello /hello\nLABEL ks-gui.contract="1"\n', {"hello": b"hello\n"})
    client = docker.from_env()
    user = client.containers.create(name, command=["/hello"])
    try:
        dialog = StorageDialog(engine)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.loaded, timeout=20_000)
        monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: True)
        row = [item.name for item in dialog.items].index(name)
        dialog.table.cellWidget(row, 3).click()
        qtbot.waitUntil(lambda: dialog.loaded, timeout=20_000)
        assert dialog.note.text().startswith(f"{name} was not removed: ")
        assert name in [item.name for item in dialog.items]  # still listed: it is still there
    finally:
        user.remove(force=True)
        client.images.remove(name)
