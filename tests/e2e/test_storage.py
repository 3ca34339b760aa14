"""What the app keeps on disk, with sizes, and removing it (real engine, real folders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ks_gui.core import storage
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
