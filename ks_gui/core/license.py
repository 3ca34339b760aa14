"""How MATLAB is licensed inside the container: a license server, a license file or a MathWorks account."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# Where a license file is mounted inside the container (read-only).
CONTAINER_LICENSE_PATH = "/licenses/license.lic"

FORMS = "server:PORT@HOST, file:PATH or account:EMAIL"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LicenseError(ValueError):
    """A license choice that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class LicenseServer:
    port: int
    host: str

    def describe(self) -> str:
        return f"license server {self.port}@{self.host}"


@dataclass(frozen=True)
class LicenseFile:
    path: Path

    def describe(self) -> str:
        return f"license file {self.path}"


@dataclass(frozen=True)
class MathWorksAccount:
    email: str

    def describe(self) -> str:
        return f"MathWorks account {self.email}"


License = LicenseServer | LicenseFile | MathWorksAccount


def parse_license(text: str) -> License:
    """Read `server:PORT@HOST`, `file:PATH` or `account:EMAIL`."""
    mode, sep, value = text.partition(":")
    value = value.strip()
    if not sep:
        raise LicenseError(f"license {text!r} is not one of {FORMS}")
    if mode == "server":
        port, at, host = value.partition("@")
        if not at or not host.strip():
            raise LicenseError(f"license server {value!r} is not PORT@HOST, e.g. 27000@licenses.example.org")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise LicenseError(f"license server port {port!r} is not a number from 1 to 65535")
        return LicenseServer(int(port), host.strip())
    if mode == "file":
        if not value:
            raise LicenseError("license file: give the path of the .lic file")
        return LicenseFile(Path(value).expanduser().resolve())
    if mode == "account":
        if not _EMAIL.match(value):
            raise LicenseError(f"account {value!r} is not an email address")
        return MathWorksAccount(value)
    raise LicenseError(f"license {text!r} is not one of {FORMS}")


def license_problems(license: License) -> list[str]:
    if isinstance(license, LicenseFile):
        if not license.path.is_file():
            return [f"the license file {license.path} does not exist"]
        if not os.access(license.path, os.R_OK):
            return [f"the license file {license.path} is not readable"]
    return []


def container_environment(license: License) -> dict[str, str]:
    """MATLAB's image picks its license mode from MLM_LICENSE_FILE; no variable means account sign-in."""
    if isinstance(license, LicenseServer):
        return {"MLM_LICENSE_FILE": f"{license.port}@{license.host}"}
    if isinstance(license, LicenseFile):
        return {"MLM_LICENSE_FILE": CONTAINER_LICENSE_PATH}
    return {}


def needs_stdin(license: License | None) -> bool:
    """Only account sign-in talks to MATLAB on stdin."""
    return isinstance(license, MathWorksAccount)
