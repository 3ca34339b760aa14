"""Another machine reached through the system's `ssh`: its config, agent, keys and ProxyJump, never a password.

Every ssh that ks-gui runs (its own commands, and the Docker SDK's connection to a server's engine) carries the same
options: BatchMode, so a missing key, an unknown host key or a refused login ends at once in words instead of a
prompt; keep-alives, so a dead network ends the connection within a minute instead of hanging; one shared connection
per server (ControlMaster), so the many short calls a sort makes do not each log in again.

`KS_GUI_SSH_CONFIG` names an ssh config file that ks-gui's ssh reads instead of ~/.ssh/config (the tests' own
server; a lab that wants ks-gui's settings apart from the user's).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ks_gui.core.places.base import PlaceError
from ks_gui.core.places.shell import run_captured

SCHEME = "ssh://"
CONFIG_VARIABLE = "KS_GUI_SSH_CONFIG"
# Seconds: give up connecting after CONNECT; call a silent connection dead after ALIVE_EVERY times ALIVE_MISSES.
CONNECT_TIMEOUT_S = 15
ALIVE_EVERY_S, ALIVE_MISSES = 10, 3
# A shared connection stays open this long after its last user, so the next call does not log in again.
KEEP_SHARED_S = 120


@dataclass(frozen=True)
class SshTarget:
    """Who logs in where: `ssh://[user@]host[:port]`, host being a name ~/.ssh/config may define."""

    host: str
    user: str = ""
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> SshTarget:
        """ValueError, in one sentence, for anything but ssh://[user@]host[:port]."""
        if not text.startswith(SCHEME):
            raise ValueError(f"{text!r} is not a server address: write it as ssh://user@host")
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or parts.path not in ("", "/") or parts.query or port == -1 or parts.password:
            raise ValueError(f"{text!r} is not a server address: write it as ssh://user@host or ssh://user@host:port")
        return cls(host=parts.hostname, user=parts.username or "", port=port)

    @property
    def url(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{SCHEME}{user}{self.host}{port}"

    @property
    def name(self) -> str:
        """The server as the window names it: its host."""
        return self.host

    def __str__(self) -> str:
        return self.url

    def docker_url(self) -> str:
        """The address for the Docker SDK. The SDK adds port 22 to an address without one (and passes it to ssh,
        over the ssh config's own Port): the port is asked from ssh's config here (`ssh -G`, nothing is sent)."""
        if self.port:
            return self.url
        shown = subprocess.run(
            [system_ssh(), *ssh_options(), "-G", self.host], capture_output=True, text=True, check=False
        )
        port = next((line.split()[1] for line in shown.stdout.splitlines() if line.startswith("port ")), "22")
        return f"{SCHEME}{f'{self.user}@' if self.user else ''}{self.host}:{port}"


def ssh_options() -> list[str]:
    """The options every ssh of ks-gui's carries (see the module's docstring)."""
    options = []
    if config := os.environ.get(CONFIG_VARIABLE):
        options += ["-F", config]
    for option in (
        "BatchMode=yes",
        f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        f"ServerAliveInterval={ALIVE_EVERY_S}",
        f"ServerAliveCountMax={ALIVE_MISSES}",
        "ControlMaster=auto",
        f"ControlPath={_control_folder()}/%C",
        f"ControlPersist={KEEP_SHARED_S}",
    ):
        options += ["-o", option]
    return options


def _control_folder() -> Path:
    # A socket path must stay short (about 100 characters): under /tmp, not the user's cache folder.
    folder = Path(tempfile.gettempdir()) / f"ks-gui-ssh-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def system_ssh() -> str:
    """The system's ssh program; PlaceError when there is none."""
    found = shutil.which("ssh", path=os.environ.get("PATH", "").replace(f"{_shim_folder()}{os.pathsep}", ""))
    if found is None:
        raise PlaceError("no ssh program is installed: install OpenSSH's client (sudo apt-get install openssh-client)")
    return found


def ssh_argv(target: SshTarget, command: list[str]) -> list[str]:
    """The ssh command line that runs `command` (words, quoted here for the remote shell) on `target`."""
    address = [*(["-l", target.user] if target.user else []), *(["-p", str(target.port)] if target.port else [])]
    return [system_ssh(), *ssh_options(), *address, "--", target.host, shlex.join(command)]


def explain_failure(target: SshTarget, said: str) -> str:
    """What ssh's own words (stderr, exit code 255) mean, in one sentence naming the fix."""
    text = said.strip()
    server = target.url
    if "Host key verification failed" in text or "No ED25519 host key is known" in text or "host key for" in text:
        return (
            f"{server} is not a known host: connect once with `ssh {_plain(target)}` in a terminal and accept "
            "its host key (ks-gui never accepts one on its own)"
        )
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
        return f"{server}'s host key has changed since it was last seen: ask its administrator before going on"
    if "Permission denied" in text:
        return (
            f"{server} refused the login: ks-gui logs in with SSH keys only (no passwords); add your public key "
            f"to the server (ssh-copy-id {_plain(target)}) or load it into your agent (ssh-add)"
        )
    if "Could not resolve hostname" in text:
        return f"{server}: no such host ({target.host} is not known to this computer's name service or ssh config)"
    if "Connection refused" in text:
        return f"{server} refused the connection: is its SSH server running, and is the port right?"
    if "timed out" in text or "No route to host" in text or "Network is unreachable" in text:
        return f"{server} does not answer (no network, or the server is down)"
    last = text.splitlines()[-1] if text else "ssh ended without a word"
    return f"cannot log in to {server}: {last}"


def _plain(target: SshTarget) -> str:
    """The target as the user would type it to ssh."""
    user = f"{target.user}@" if target.user else ""
    port = f" -p {target.port}" if target.port else ""
    return f"{user}{target.host}{port}"


@dataclass(frozen=True)
class SshShell:
    """Commands on another machine, one ssh each (over the shared connection)."""

    target: SshTarget

    def run(
        self, command: list[str], timeout: float = 30, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` there. PlaceError (in words) when ssh cannot log in or the server does not answer in
        `timeout` seconds; otherwise the command's own result, whatever its exit code."""
        try:
            done = run_captured(ssh_argv(self.target, command), timeout, stdin)
        except subprocess.TimeoutExpired as err:
            raise PlaceError(f"{self.target.url} did not answer within {timeout:.0f} s") from err
        if done.returncode == 255 and _is_ssh_own_failure(done.stderr):
            raise PlaceError(explain_failure(self.target, done.stderr))
        return done


def _is_ssh_own_failure(stderr: str) -> bool:
    """ssh exits 255 for its own errors; a remote command may too, without ssh's words."""
    return bool(
        re.search(
            r"Host key|host key|Permission denied|Could not resolve|Connection refused|timed out|No route|"
            r"unreachable|Connection closed|kex_exchange|ssh:|banner",
            stderr,
        )
    )


# --- the Docker SDK's ssh -----------------------------------------------------------------------------------------
# The SDK (use_ssh_client=True) runs `ssh` from PATH with no options of ours. A small program named ssh, first on
# PATH for this process, adds them and runs the system's ssh: the SDK's connection then behaves like ks-gui's own.


def _shim_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"ks-gui-ssh-{os.getuid()}-bin"


def put_options_on_sdk_ssh() -> None:
    """Make the `ssh` that the Docker SDK runs carry ks-gui's options (idempotent)."""
    folder = _shim_folder()
    real = system_ssh()
    shim = folder / "ssh"
    text = (
        "#!/bin/sh\n# ks-gui: the Docker SDK's ssh, with ks-gui's options (ks_gui/core/places/ssh.py)\n"
        f'exec {shlex.quote(real)} {shlex.join(ssh_options())} "$@"\n'
    )
    if not shim.is_file() or shim.read_text() != text:
        folder.mkdir(mode=0o700, exist_ok=True)
        partial = folder / f".ssh.{os.getpid()}"
        partial.write_text(text)
        partial.chmod(0o700)
        partial.replace(shim)
    path = os.environ.get("PATH", "")
    if not path.startswith(f"{folder}{os.pathsep}"):
        os.environ["PATH"] = f"{folder}{os.pathsep}{path}"
