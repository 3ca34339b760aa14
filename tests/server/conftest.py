"""The GPU-server suite: a real sshd on loopback (tests/helpers/loopback_sshd.py), this machine's engine reached through
it as a server's engine is, and storage both "machines" see."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.loopback_sshd import SERVER, LoopbackSshd

SERVER_URL = f"ssh://{SERVER}"


@pytest.fixture(scope="session")
def sshd() -> Iterator[LoopbackSshd]:
    server = LoopbackSshd()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def ssh_config(sshd: LoopbackSshd, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ks-gui's ssh reads the test server's config (never the real ~/.ssh)."""
    monkeypatch.setenv("KS_GUI_SSH_CONFIG", str(sshd.client_config))
    return sshd.client_config


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the server's account sees and may write, as a lab's shared storage is (pytest's own temporary
    folders belong to root alone)."""
    folder = Path(tempfile.mkdtemp(prefix="ks-gui-shared-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
