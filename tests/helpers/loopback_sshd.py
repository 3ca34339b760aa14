"""A real OpenSSH server on loopback, standing in for a lab's GPU server: its own host key, the test account
`ks-gui-test` (tests/setup/sshd.sh made it; it is in the docker group, so it reaches this machine's engine as a
server account reaches its server's), a key that logs in and one that is refused.

An ssh config file of its own (KS_GUI_SSH_CONFIG) names three hosts, all this server:
- `ks-gui-test-server`: known host key, the authorized key;
- `ks-gui-unknown-host`: no known host key;
- `ks-gui-refused`: a key the server does not accept.
Needs root (as `make test` in CI has): sshd must switch to the test account.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ACCOUNT = "ks-gui-test"
SERVER = "ks-gui-test-server"
UNKNOWN_HOST = "ks-gui-unknown-host"
REFUSED = "ks-gui-refused"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


class LoopbackSshd:
    def __init__(self) -> None:
        if os.geteuid() != 0:
            pytest.fail("the server tests start sshd for a test account and need root (as in CI)", pytrace=False)
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if not Path(sshd).exists():
            pytest.fail("sshd is missing: make test installs it (tests/setup/sshd.sh)", pytrace=False)
        # Readable by the test account (sshd reads authorized keys as the account), short for ssh's control sockets.
        self.root = Path(tempfile.mkdtemp(prefix="ks-gui-sshd-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        host_key = _keygen(self.root / "host_key")
        authorized = _keygen(self.root / "client_key")
        _keygen(self.root / "refused_key")
        (self.root / "authorized_keys").write_text(authorized + "\n")
        (self.root / "authorized_keys").chmod(0o644)
        (self.root / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_key}\n")
        (self.root / "empty_known_hosts").write_text("")
        config = self.root / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.root / 'host_key'}\n"
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n"
            f"PidFile {self.root / 'sshd.pid'}\nAllowUsers {ACCOUNT}\n"
        )
        self.client_config = self.root / "ssh_config"
        hosts = {
            SERVER: ("client_key", "known_hosts"),
            UNKNOWN_HOST: ("client_key", "empty_known_hosts"),
            REFUSED: ("refused_key", "known_hosts"),
        }
        self.client_config.write_text(
            "".join(
                f"Host {alias}\n  HostName 127.0.0.1\n  Port {self.port}\n  User {ACCOUNT}\n"
                f"  IdentityFile {self.root / key}\n  IdentitiesOnly yes\n  IdentityAgent none\n"
                f"  UserKnownHostsFile {self.root / known}\n  GlobalKnownHostsFile /dev/null\n"
                "  StrictHostKeyChecking yes\n"
                for alias, (key, known) in hosts.items()
            )
        )
        Path("/run/sshd").mkdir(exist_ok=True)
        self.log = self.root / "sshd.log"
        self._process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=self.log.open("w")
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"sshd did not start: {self.log.read_text()}", pytrace=False)

    @property
    def uid(self) -> int:
        return int(subprocess.run(["id", "-u", ACCOUNT], capture_output=True, text=True, check=True).stdout)

    def drop_connections(self) -> None:
        """Cut every SSH connection of the test account (as a network drop or a laptop's sleep does): the
        account's session processes end; the server itself keeps listening."""
        subprocess.run(["pkill", "-KILL", "-f", f"sshd: {ACCOUNT}"], check=False)
        subprocess.run(["pkill", "-KILL", "-f", f"ControlPath=.*ks-gui-ssh-{os.getuid()}"], check=False)

    def stop(self) -> None:
        self.drop_connections()
        self._process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
