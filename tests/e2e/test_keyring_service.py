"""The batch token in a real Secret Service: GNOME Keyring on a private D-Bus session bus, as on a Linux desktop.
The token is stored by `ks-gui sort`, read back by later processes, reaches the container, and no plain file
holds it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SIM_IMAGE, run_cli

pytestmark = pytest.mark.engine
EMAIL = "ada@example.org"
SECRET = "a2V5cmluZy10ZXN0LXNlY3JldC03Nw"


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a desktop session whose login keyring is unlocked: a session bus of its own and
    gnome-keyring-daemon's Secret Service on it. Its keyring files go to the test's XDG_DATA_HOME."""
    for program in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: make test installs it (tests/setup/system-packages.sh)", pytrace=False)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    environment = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)}
    (tmp_path / "home").mkdir()
    started = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"],
        capture_output=True, text=True, check=True, env=environment, timeout=30,
    )  # fmt: skip
    address, pid = started.stdout.split()
    environment["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        # --unlock reads the login keyring's password on stdin (creating the keyring), as PAM does at log-in.
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="login-password", capture_output=True, text=True, check=True, env=environment, timeout=30,
        )  # fmt: skip
        yield environment
    finally:
        os.kill(int(pid), signal.SIGTERM)  # the bus we started; the keyring daemon ends with its bus


def sort_args(recording, output: Path, license: str, *extra: str) -> list[str]:
    return [
        "sort", str(recording.folder), "--output", str(output), "--image", SIM_IMAGE, "--gpu", "none",
        "--param", "NchanTOT=32", "--param", "fs=30000", "--license", license, *extra,
    ]  # fmt: skip


def test_token_kept_in_the_secret_service_and_in_no_plain_file(
    secret_service, sim_image, recording, tmp_path, user_folders
):
    stored = run_cli(
        *sort_args(recording, tmp_path / "o1", f"token:{EMAIL}::{SECRET}", "--dry-run"), env=secret_service
    )
    assert stored.returncode == 0, stored.stderr
    assert f"the batch token for {EMAIL} is kept in the system keyring (next time: --license token:{EMAIL})" in (
        stored.stderr
    )

    # Later processes find it by the email alone: the dry run, the keyring's own reading, and a real sort.
    later = run_cli(*sort_args(recording, tmp_path / "o2", f"token:{EMAIL}", "--dry-run", "--json"), env=secret_service)
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["container"]["secret_environment"] == ["MLM_LICENSE_TOKEN"]
    read_back = subprocess.run(
        [sys.executable, "-c",
         "from ks_gui.core.license import keyring_status, load_token; "
         f"print(keyring_status()); print(load_token({EMAIL!r}).value)"],
        capture_output=True, text=True, check=True, env=secret_service,
    )  # fmt: skip
    status, value = read_back.stdout.splitlines()
    assert "SecretService" in status and value == f"{EMAIL}::{SECRET}"
    sorted_ = run_cli(*sort_args(recording, tmp_path / "o3", f"token:{EMAIL}"), env=secret_service)
    assert sorted_.returncode == 0, sorted_.stderr
    assert sorted_.stdout.startswith("Sorted: 16 units")  # the stand-in's matlab-batch accepted the token
    missing = run_cli(*sort_args(recording, tmp_path / "o4", "token:grace@example.org"), env=secret_service)
    assert missing.returncode == 2
    assert "no batch token for grace@example.org in the system keyring" in missing.stderr

    # On disk: the keyring's own (encrypted) file, and nowhere the token in plain text.
    keyrings = list(user_folders.rglob("*.keyring"))
    assert keyrings, "GNOME Keyring kept nothing on disk: the token was not stored in it"
    for folder in (user_folders, tmp_path):
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_socket():
                assert SECRET.encode() not in path.read_bytes(), f"the token is in {path}"
