"""The four license modes: parsing, validation messages, the keyring, and what each does to the container."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ks_gui.core.job import SortJob
from ks_gui.core.launch import launch_for
from ks_gui.core.license import (
    BatchToken,
    LicenseError,
    LicenseFile,
    NoKeyringError,
    parse_license,
    store_token,
)
from ks_gui.core.places.base import VolumeMount
from ks_gui.core.places.container_spec import spec_for
from ks_gui.core.recordings.inspection import inspect
from tests.conftest import write_recording

TOKEN = "ada@example.org::c2VjcmV0LXRva2VuLXZhbHVl"
SECRET = "c2VjcmV0LXRva2VuLXZhbHVl"


def spec_for_job(job: SortJob, mex_cache: Path):
    """The container this computer's Docker would create for `job`, run as the invoking user."""
    return spec_for(launch_for(job), f"{os.getuid()}:{os.getgid()}", mex_cache)


def test_token_forms():
    token = parse_license(f"token:{TOKEN}")
    assert token == BatchToken("ada@example.org", SECRET)
    assert token.value == TOKEN
    labelled = parse_license("token:ada@example.org::ci-runner::abc123")
    assert (labelled.label, labelled.secret, labelled.value) == (
        "ci-runner",
        "abc123",
        "ada@example.org::ci-runner::abc123",
    )
    assert SECRET not in repr(token) and SECRET not in token.describe()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("token:ada@example.org::", "does not have the shape EMAIL::TOKEN"),
        ("token:ada::abc", "is not an email address"),
        ("token:ada@example.org::a::b::c", "does not have the shape"),
        ("token:ada@example.org::abc def", "contains spaces"),
        ("token:nobody", "give EMAIL::TOKEN"),
    ],
)
def test_malformed_tokens_never_repeat_the_token(text, words):
    with pytest.raises(LicenseError, match=words) as caught:
        parse_license(text)
    assert "abc def" not in str(caught.value)


@pytest.fixture
def no_keyring(monkeypatch):
    # keyring's own "no backend" backend: what a machine without GNOME Keyring/KWallet (like this one) gets.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring.core

    keyring.core.set_keyring(keyring.core.load_env())
    yield
    keyring.core.init_backend()


def test_without_a_keyring_the_token_mode_says_so(no_keyring):
    with pytest.raises(NoKeyringError, match="no system keyring is available") as caught:
        parse_license("token:ada@example.org")
    assert "never writes it to a plain file" in str(caught.value)
    with pytest.raises(NoKeyringError):
        store_token(parse_license(f"token:{TOKEN}"))


def test_a_plain_file_keyring_is_refused(monkeypatch):
    # keyrings.alt is not installed here (and must never be used): a backend of its shape stands in for it.
    import keyring.backend

    class PlaintextKeyring(keyring.backend.KeyringBackend):  # shaped like keyrings.alt.file.PlaintextKeyring
        priority = 1

        def get_password(self, service, username):
            return None

        def set_password(self, service, username, password):
            raise AssertionError("must not be called")

        def delete_password(self, service, username):
            pass

    import keyring.core

    keyring.core.set_keyring(PlaintextKeyring())
    try:
        with pytest.raises(NoKeyringError, match="stores plain files"):
            store_token(parse_license(f"token:{TOKEN}"))
    finally:
        keyring.core.init_backend()


@pytest.mark.parametrize(
    ("mac", "words"),
    [("00:1a:2b:3c:4d", "six hex pairs"), ("zz:1a:2b:3c:4d:5e", "six hex pairs"), ("01:00:5e:00:00:01", "multicast")],
)
def test_malformed_mac_addresses(tmp_path: Path, mac, words):
    with pytest.raises(LicenseError, match=words):
        parse_license(f"file:{tmp_path / 'x.lic'}", mac_address=mac)


def test_mac_address_only_with_a_file():
    with pytest.raises(LicenseError, match="goes with a node-locked license file"):
        parse_license("server:27000@host", mac_address="00:1a:2b:3c:4d:5e")


def _spec(tmp_path: Path, license_text: str, mac: str | None = None, keep_signed_in: bool = False):
    rec = write_recording(tmp_path / "rec", seconds=1)
    job = SortJob(
        recording=inspect(rec.folder),
        output=tmp_path / "out",
        license=parse_license(license_text, mac_address=mac, keep_signed_in=keep_signed_in),
        image="ks-gui-sim:latest",
        param_overrides={"NchanTOT": 32, "fs": 30000.0},
    )
    return spec_for_job(job, tmp_path / "mex")


def test_each_mode_in_the_container(tmp_path: Path):
    server = _spec(tmp_path, "server:27000@licenses.example.org")
    assert server.environment["MLM_LICENSE_FILE"] == "27000@licenses.example.org" and not server.stdin_open

    lic = tmp_path / "node.lic"
    lic.write_text("SERVER host 001a2b3c4d5e 27000\n")
    file = _spec(tmp_path, f"file:{lic}", mac="00-1A-2B-3C-4D-5E")
    assert file.environment["MLM_LICENSE_FILE"] == "/licenses/license.lic"
    assert [(m.target, m.read_only) for m in file.mounts if m.source == lic] == [("/licenses/license.lic", True)]
    assert file.mac_address == "00:1a:2b:3c:4d:5e" and "--mac-address 00:1a:2b:3c:4d:5e" in file.docker_run_command()
    assert isinstance(parse_license(f"file:{lic}"), LicenseFile)

    account = _spec(tmp_path, "account:ada@example.org")
    assert "MLM_LICENSE_FILE" not in account.environment and account.stdin_open

    token = _spec(tmp_path, f"token:{TOKEN}")
    assert token.entrypoint == ["matlab-batch"]
    assert token.command[0].startswith("run('/home/matlab/Documents/MATLAB/startup.m'); ks_gui_run('")
    assert token.secret_environment == {"MLM_LICENSE_TOKEN": TOKEN}
    assert "MLM_LICENSE_FILE" not in token.environment
    assert " --env MLM_LICENSE_TOKEN " in token.docker_run_command()
    assert token.to_json()["secret_environment"] == ["MLM_LICENSE_TOKEN"]
    for shown in (token.docker_run_command(), str(token.to_json()), repr(token)):
        assert SECRET not in shown


def test_keep_signed_in_mounts_the_users_signin_volume(tmp_path: Path):
    kept = _spec(tmp_path, "account:ada@example.org", keep_signed_in=True)
    name = f"ks-gui-matlab-signin-{os.getuid()}"
    assert kept.volumes == [VolumeMount(name, "/home/matlab/.matlab", "matlab-signin")]
    assert f"--mount type=volume,source={name},target=/home/matlab/.matlab" in kept.docker_run_command()
    assert kept.stdin_open and "MLM_LICENSE_FILE" not in kept.environment
    assert parse_license("account:ada@example.org", keep_signed_in=True).describe() == (
        "MathWorks account ada@example.org, kept signed in between runs"
    )
    assert _spec(tmp_path, "account:ada@example.org").volumes == []


def test_keep_signed_in_only_with_an_account():
    with pytest.raises(LicenseError, match="goes with a MathWorks account"):
        parse_license("server:27000@host", keep_signed_in=True)
