"""How MATLAB is licensed inside the container: a license server, a license file, a MathWorks account or a batch
licensing token (kept in the system keyring, never in a plain file)."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Where a license file is mounted inside the container (read-only).
CONTAINER_LICENSE_PATH = "/licenses/license.lic"
# matlab-batch reads the token from this variable (mathworks-ref-arch/matlab-dockerfile, MATLAB-BATCH.md).
TOKEN_VARIABLE = "MLM_LICENSE_TOKEN"
# matlab-batch does not run startup.m, so the statement runs the image's own startup.m (which adds Kilosort's paths).
IMAGE_STARTUP_FILE = "/home/matlab/Documents/MATLAB/startup.m"
KEYRING_SERVICE = "ks-gui MATLAB batch token"
# "Keep me signed in": a Docker volume of the user's, mounted where MATLAB R2021b keeps its per-user state, so that
# the sign-in cache MATLAB writes after an online sign-in outlives the container. UNVERIFIED: which file under
# ~/.matlab holds that cache (R2021b_licenses/ or the prefdir R2021b/) is not documented publicly, and newer
# releases may also keep sign-in state in ~/.MathWorks; the whole ~/.matlab folder of the image's HOME
# (docker/kilosort2.5/Dockerfile sets HOME=/home/matlab) is kept so that either place is covered. If the real image
# shows the cache elsewhere, change this one constant.
SIGNIN_CACHE_PATH = "/home/matlab/.matlab"
SIGNIN_VOLUME_PREFIX = "ks-gui-matlab-signin-"
SIGNIN_VOLUME_PURPOSE = "matlab-signin"  # the label value that names the volume in Storage

FORMS = "server:PORT@HOST, file:PATH, account:EMAIL or token:EMAIL[::TOKEN]"
_EMAIL = re.compile(r"^[^@\s:]+@[^@\s:]+\.[^@\s:]+$")
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


class LicenseError(ValueError):
    """A license choice that cannot be used; the message is for the user."""


class NoKeyringError(LicenseError):
    """No system keyring service can keep the token (and ks-gui never falls back to a plain file)."""


@dataclass(frozen=True)
class LicenseServer:
    port: int
    host: str

    def describe(self) -> str:
        return f"license server {self.port}@{self.host}"


@dataclass(frozen=True)
class LicenseFile:
    path: Path
    # The MAC address a node-locked license is bound to; the container gets it (`docker run --mac-address`).
    mac_address: str | None = None

    def describe(self) -> str:
        bound = f" (bound to {self.mac_address})" if self.mac_address else ""
        return f"license file {self.path}{bound}"


@dataclass(frozen=True)
class MathWorksAccount:
    email: str
    # Keep MATLAB's own sign-in cache (never the password) in the user's Docker volume between runs.
    keep_signed_in: bool = False

    def describe(self) -> str:
        kept = ", kept signed in between runs" if self.keep_signed_in else ""
        return f"MathWorks account {self.email}{kept}"


def signin_volume_name(uid: int | None = None) -> str:
    """The Docker volume that keeps one user's MATLAB sign-in cache: one per uid, as the engine is shared."""
    return f"{SIGNIN_VOLUME_PREFIX}{os.getuid() if uid is None else uid}"


@dataclass(frozen=True)
class BatchToken:
    """A MATLAB batch licensing token, `EMAIL::TOKEN` or `EMAIL::LABEL::TOKEN`. `secret` never reaches a repr,
    a log, the job file or the container's JSON; only the container's environment at create time."""

    email: str
    secret: str = field(repr=False)
    label: str = ""

    @property
    def value(self) -> str:
        """The whole token, as matlab-batch reads it from MLM_LICENSE_TOKEN."""
        return "::".join(part for part in (self.email, self.label, self.secret) if part)

    def describe(self) -> str:
        return f"batch token for {self.email}"


License = LicenseServer | LicenseFile | MathWorksAccount | BatchToken


def parse_mac_address(text: str) -> str:
    """A unicast MAC address such as 00:1a:2b:3c:4d:5e (dashes are accepted), lower-case with colons."""
    mac = text.strip().lower()
    if not _MAC.match(mac):
        raise LicenseError(f"MAC address {text!r} is not six hex pairs such as 00:1a:2b:3c:4d:5e")
    mac = mac.replace("-", ":")
    if int(mac[:2], 16) & 1:
        raise LicenseError(f"MAC address {mac} is a multicast address; a license is bound to a network card's address")
    return mac


def parse_token(text: str) -> BatchToken:
    """`EMAIL::TOKEN` or `EMAIL::LABEL::TOKEN`. The message never repeats the token."""
    parts = text.strip().split("::")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise LicenseError("the batch token does not have the shape EMAIL::TOKEN (or EMAIL::LABEL::TOKEN)")
    email = parts[0].strip()
    if not _EMAIL.match(email):
        raise LicenseError(f"the batch token's first part {email!r} is not an email address")
    secret = parts[-1].strip()
    if re.search(r"\s", secret):
        raise LicenseError("the batch token contains spaces: paste it exactly as MathWorks gave it")
    return BatchToken(email, secret, parts[1].strip() if len(parts) == 3 else "")


def parse_license(
    text: str, mac_address: str | None = None, use_keyring: bool = True, keep_signed_in: bool = False
) -> License:
    """Read `server:PORT@HOST`, `file:PATH`, `account:EMAIL`, `token:EMAIL::TOKEN` or `token:EMAIL` (the token is
    then read from the system keyring). `mac_address` is only for a license file, `keep_signed_in` for an account."""
    mode, sep, value = text.partition(":")
    value = value.strip()
    if not sep:
        raise LicenseError(f"license {text!r} is not one of {FORMS}")
    if mac_address and mode != "file":
        raise LicenseError("a MAC address goes with a node-locked license file (file:PATH)")
    if keep_signed_in and mode != "account":
        raise LicenseError("keeping MATLAB signed in goes with a MathWorks account (account:EMAIL)")
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
        return LicenseFile(Path(value).expanduser().resolve(), parse_mac_address(mac_address) if mac_address else None)
    if mode == "account":
        if not _EMAIL.match(value):
            raise LicenseError(f"account {value!r} is not an email address")
        return MathWorksAccount(value, keep_signed_in)
    if mode == "token":
        if "::" in value:
            return parse_token(value)
        if not _EMAIL.match(value):
            raise LicenseError("token: give EMAIL::TOKEN, or the EMAIL whose token is in the system keyring")
        if not use_keyring:
            raise LicenseError(f"no batch token given for {value}")
        return load_token(value)
    raise LicenseError(f"license {text!r} is not one of {FORMS}")


def license_record(license: License | None) -> dict | None:
    """parse_license's arguments for `license`, without its secret: how a kept job names its license."""
    if isinstance(license, LicenseServer):
        return {"text": f"server:{license.port}@{license.host}"}
    if isinstance(license, LicenseFile):
        return {"text": f"file:{license.path}", "mac_address": license.mac_address}
    if isinstance(license, MathWorksAccount):
        return {"text": f"account:{license.email}", "keep_signed_in": license.keep_signed_in}
    if isinstance(license, BatchToken):
        return {"text": f"token:{license.email}"}  # the token itself: from the keyring again
    return None


def license_from_record(record: dict | None) -> License | None:
    """The license a kept record names (a batch token read from the keyring again); LicenseError if it cannot be."""
    if record is None:
        return None
    return parse_license(
        str(record["text"]), mac_address=record.get("mac_address"), keep_signed_in=bool(record.get("keep_signed_in"))
    )


def license_problems(license: License) -> list[str]:
    if isinstance(license, LicenseFile):
        if license.path.is_dir():
            return [_folder_given(license.path)]
        if not license.path.is_file():
            return [f"the license file {license.path} does not exist"]
        if not os.access(license.path, os.R_OK):
            return [f"the license file {license.path} is not readable"]
    return []


def _folder_given(folder: Path) -> str:
    """A folder given as the license file: name the .lic files in it, if any."""
    try:
        found = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".lic" and p.is_file())
    except OSError:
        found = []
    inside = ", ".join(str(folder / name) for name in found[:3]) if found else "usually license.lic or network.lic"
    return f"the license file {folder} is a folder: give the license file inside it ({inside})"


def container_environment(license: License) -> dict[str, str]:
    """The variables that may be shown. MATLAB's image picks its license mode from MLM_LICENSE_FILE; no variable
    means account sign-in. A batch token's variable is secret: see `secret_environment`."""
    if isinstance(license, LicenseServer):
        return {"MLM_LICENSE_FILE": f"{license.port}@{license.host}"}
    if isinstance(license, LicenseFile):
        return {"MLM_LICENSE_FILE": CONTAINER_LICENSE_PATH}
    return {}


def secret_environment(license: License | None) -> dict[str, str]:
    """Variables whose values are secrets: set on the container at create time only, never shown or written."""
    if isinstance(license, BatchToken):
        return {TOKEN_VARIABLE: license.value}
    return {}


def needs_stdin(license: License | None) -> bool:
    """Only account sign-in talks to MATLAB on stdin."""
    return isinstance(license, MathWorksAccount)


def mac_address(license: License | None) -> str | None:
    return license.mac_address if isinstance(license, LicenseFile) else None


def keeps_signin(license: License | None) -> bool:
    """Whether the container gets the user's sign-in volume (account mode with "Keep me signed in")."""
    return isinstance(license, MathWorksAccount) and license.keep_signed_in


def matlab_batch_invocation(batch_command: list[str]) -> tuple[list[str], list[str]]:
    """The entrypoint and command that run the sorter's `-batch STATEMENT` with matlab-batch instead. matlab-batch
    skips startup.m, so the statement runs the image's startup.m first (it adds Kilosort's paths)."""
    statement = batch_command[batch_command.index("-batch") + 1]
    return ["matlab-batch"], [f"run('{IMAGE_STARTUP_FILE}'); {statement}"]


# --- the system keyring ------------------------------------------------------------------------------------------


def _keyring_backend():
    """The keyring backend, or NoKeyringError saying why there is none. A backend that writes plain files
    (keyrings.alt) counts as none."""
    try:
        import keyring
        import keyring.backends.fail
        import keyring.errors
    except ImportError as err:  # the dependency is declared; a broken install still gets a sentence
        raise NoKeyringError(f"the keyring package is not installed ({err})") from err
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, keyring.backends.fail.Keyring) or backend.priority <= 0:
        raise NoKeyringError(
            "no system keyring is available to keep the batch token (install and unlock GNOME Keyring or KWallet, "
            "or give the token each time as token:EMAIL::TOKEN); ks-gui never writes it to a plain file"
        )
    if "keyrings.alt" in name or "plaintext" in name.lower():
        raise NoKeyringError(f"the keyring backend {name} stores plain files; ks-gui does not keep the token there")
    return keyring


def keyring_status() -> str:
    """One sentence: which keyring keeps tokens. Raises NoKeyringError when none can."""
    keyring = _keyring_backend()
    backend = keyring.get_keyring()
    return f"the system keyring ({type(backend).__module__}.{type(backend).__name__}) keeps batch tokens"


def store_token(token: BatchToken) -> None:
    keyring = _keyring_backend()
    try:
        keyring.set_password(KEYRING_SERVICE, token.email, token.value)
    except keyring.errors.KeyringError as err:
        raise NoKeyringError(f"the system keyring refused to keep the token: {err}") from err


def load_token(email: str) -> BatchToken:
    keyring = _keyring_backend()
    try:
        stored = keyring.get_password(KEYRING_SERVICE, email)
    except keyring.errors.KeyringError as err:
        raise NoKeyringError(f"the system keyring could not be read: {err}") from err
    if not stored:
        raise LicenseError(f"no batch token for {email} in the system keyring: give it once as token:{email}::TOKEN")
    return parse_token(stored)


def forget_token(email: str) -> None:
    keyring = _keyring_backend()
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, email)
