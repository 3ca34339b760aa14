"""A second, private Docker daemon that a test may stop and start again, beside the main engine (which other tests
use and which is never disturbed).

Its own socket, data root, exec root, pid file, config file, containerd (started by it, in namespaces of its own)
and bridge, and no iptables rules: nothing it does touches the main daemon's network or containers. Not
`--bridge=none`: a daemon started so deletes the host's `docker0` (Docker 20.10's removeDefaultBridgeInterface),
and with it the main engine's default network. Its own bridge, made here without an address, gets a free subnet from
the daemon (one the main engine's routes do not use). Containers with the launcher's default network settings run
on it as on the main engine. Needs root, as `make test` in CI has.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import docker
import docker.errors
import pytest


class PrivateDockerd:
    def __init__(self, live_restore: bool = False) -> None:
        if os.geteuid() != 0:
            pytest.fail(
                "the Docker restart tests start a private dockerd and need root (as in CI): run them as root",
                pytrace=False,
            )
        if shutil.which("dockerd") is None:
            pytest.fail("dockerd is missing: make engine installs Debian's docker.io", pytrace=False)
        if shutil.which("ip") is None:
            pytest.fail("ip is missing: make system-packages installs iproute2", pytrace=False)
        # Under /tmp, short: a unix socket's path must fit in 108 bytes, and pytest's tmp_path may not.
        self.root = Path(tempfile.mkdtemp(prefix="ks-gui-dockerd-"))
        self.bridge = f"ksg-{self.root.name[-8:]}"  # an interface name has at most 15 characters
        self.socket = self.root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.data_root = self.root / "data"
        self.log_file = self.root / "dockerd.log"
        config = self.root / "daemon.json"
        config.write_text("{}")  # never the host's /etc/docker/daemon.json (its "hosts" would clash)
        self._command = [
            "dockerd",
            f"--host={self.host}",
            f"--data-root={self.data_root}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'docker.pid'}",
            f"--config-file={config}",
            # A containerd of its own (under the exec root) and namespaces of its own, even where a system
            # containerd runs that both daemons would otherwise share.
            "--containerd-namespace=ks-gui-test",
            "--containerd-plugins-namespace=ks-gui-test-plugins",
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip-masq=false",
            *(["--live-restore"] if live_restore else []),
        ]
        self._process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def client(self, timeout: int = 10) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def start(self, timeout: float = 30) -> None:
        """Start the daemon (again, on the same data root) and wait until it answers."""
        if (problem := self._launch(timeout)) is not None:
            pytest.fail(problem, pytrace=False)

    def _launch(self, timeout: float) -> str | None:
        """None once the daemon answers, else why not."""
        assert not self.running
        if not Path("/sys/class/net", self.bridge).exists():
            subprocess.run(["ip", "link", "add", "name", self.bridge, "type", "bridge"], check=True)
            subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)
        with self.log_file.open("a") as log:
            self._process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
                self.stop()
                return f"the private dockerd did not start; its log ends:\n{tail}"
            time.sleep(0.05)
        return None

    def _answers(self) -> bool:
        try:
            client = self.client(timeout=2)
        except docker.errors.DockerException:
            return False
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, as `systemctl stop docker` sends; returns once the daemon has exited."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def load_image(self, name: str) -> None:
        """Copy `name` from the main engine: `docker save NAME | docker -H PRIVATE load`."""
        save = subprocess.Popen(["docker", "save", name], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["docker", "-H", self.host, "load", "--quiet"], stdin=save.stdout, capture_output=True, check=False
        )
        assert save.stdout is not None
        save.stdout.close()
        assert save.wait() == 0 and load.returncode == 0, f"loading {name}: {load.stderr.decode(errors='replace')}"

    def containers(self, **filters: str) -> list:
        client = self.client()
        try:
            return client.containers.list(all=True, filters=filters)
        finally:
            client.close()

    def printed_lines(self, container_id: str) -> list[str]:
        """Every line the container printed that the daemon took in, read from its json-file log on disk (so it
        can be read while the daemon is stopped)."""
        log = self.data_root / "containers" / container_id / f"{container_id}-json.log"
        text = "".join(json.loads(entry)["log"] for entry in log.read_text().splitlines())
        return text.splitlines()

    def close(self) -> None:
        """Remove every container it has, stop it and delete its folders."""
        if self.running or self._launch(timeout=30) is None:
            with contextlib.suppress(docker.errors.DockerException):
                for container in self.containers():
                    container.remove(force=True)
        self.stop()
        self._unmount()
        subprocess.run(["ip", "link", "delete", self.bridge], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _unmount(self) -> None:
        """dockerd leaves mounts under its roots (its data root bound onto itself, one per start): the deepest go
        first."""
        prefix = f"{self.root}/"
        for _ in range(100):
            mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
            ours = sorted((m for m in mounted if m.startswith(prefix)), key=len, reverse=True)
            if not ours:
                return
            if subprocess.run(["umount", ours[0]], check=False, capture_output=True).returncode != 0:
                subprocess.run(["umount", "--lazy", ours[0]], check=False, capture_output=True)
