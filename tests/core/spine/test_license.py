from pathlib import Path

import pytest

from ks_gui.core.license import (
    CONTAINER_LICENSE_PATH,
    LicenseError,
    LicenseFile,
    LicenseServer,
    MathWorksAccount,
    container_environment,
    license_problems,
    needs_stdin,
    parse_license,
)


def test_server_form():
    license = parse_license("server:27000@licenses.example.org")
    assert license == LicenseServer(27000, "licenses.example.org")
    assert container_environment(license) == {"MLM_LICENSE_FILE": "27000@licenses.example.org"}
    assert not needs_stdin(license)


def test_file_form_is_mounted_and_checked(tmp_path: Path):
    lic = tmp_path / "license.lic"
    license = parse_license(f"file:{lic}")
    assert isinstance(license, LicenseFile)
    assert license_problems(license) == [f"the license file {lic} does not exist"]
    lic.write_text("SERVER host 0123456789ab 27000\n")
    assert license_problems(license) == []
    assert container_environment(license) == {"MLM_LICENSE_FILE": CONTAINER_LICENSE_PATH}


def test_account_form_opens_stdin_and_sets_no_variable():
    license = parse_license("account:ada@example.org")
    assert license == MathWorksAccount("ada@example.org")
    assert container_environment(license) == {}
    assert needs_stdin(license)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("27000@host", "is not one of"),
        ("floating:27000@host", "is not one of"),
        ("server:host", "is not PORT@HOST"),
        ("server:27000@", "is not PORT@HOST"),
        ("server:port@host", "is not a number"),
        ("server:70000@host", "from 1 to 65535"),
        ("account:ada", "is not an email address"),
        ("file:", "give the path"),
    ],
)
def test_malformed_licenses(text, words):
    with pytest.raises(LicenseError, match=words):
        parse_license(text)


def test_a_folder_given_as_the_license_file_is_called_a_folder(tmp_path: Path):
    folder = tmp_path / "licenses"
    folder.mkdir()
    license = parse_license(f"file:{folder}")
    assert license_problems(license) == [
        f"the license file {folder} is a folder: give the license file inside it (usually license.lic or network.lic)"
    ]
    (folder / "network.lic").write_text("SERVER host 0123456789ab 27000\n")
    (folder / "notes.txt").write_text("ask IT\n")
    assert license_problems(license) == [
        f"the license file {folder} is a folder: give the license file inside it ({folder / 'network.lic'})"
    ]
