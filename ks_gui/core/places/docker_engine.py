"""The Docker Engine: the only module that imports `docker`.

Everything the launcher asks of Docker goes through here: connect, look up an image, start a container from a
ContainerSpec, read its output as lines, answer on its stdin, wait, stop, remove.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import docker
import docker.errors
import docker.types
import requests
import urllib3.exceptions

from ks_gui.core.ground.contract import LABEL_JOB, LABEL_OUTPUT
from ks_gui.core.places.base import FoundRun, PlaceError, VolumeMount
from ks_gui.core.places.container_spec import LABEL_VOLUME, ContainerSpec, secrets_on_stdin
from ks_gui.core.places.container_state import gpu_uuids, never_started
from ks_gui.core.places.images import ImageInfo
from ks_gui.core.places.outage import EngineLostError
from ks_gui.core.places.output_lines import OutputLine, OutputReader

EngineErrorKind = Literal["not_running", "permission", "no_gpu_runtime", "other"]


class EngineError(PlaceError):
    """Docker could not do what was asked; `message` is for the user."""

    def __init__(self, kind: EngineErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and exceptions hidden in their args (requests nests them)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]


def classify_connection_error(exc: BaseException) -> EngineError:
    for cause in _causes(exc):
        if isinstance(cause, PermissionError) or getattr(cause, "errno", None) == errno.EACCES:
            return EngineError(
                "permission",
                "permission denied on the Docker socket: add yourself to the docker group "
                "(sudo usermod -aG docker $USER), then log out and back in",
            )
        if isinstance(cause, FileNotFoundError | ConnectionRefusedError) or getattr(cause, "errno", None) in (
            errno.ENOENT,
            errno.ECONNREFUSED,
        ):
            return EngineError(
                "not_running",
                "the Docker engine is not running: start Docker (sudo systemctl start docker) and try again",
            )
    return EngineError("other", f"cannot reach the Docker engine: {exc}")


def _api_error(exc: docker.errors.APIError) -> EngineError:
    explanation = str(exc.explanation or exc)
    if "capabilities: [[gpu]]" in explanation or "nvidia-container-cli" in explanation:
        return EngineError(
            "no_gpu_runtime",
            "Docker cannot give the container a GPU: install the NVIDIA "
            f"Container Toolkit and restart Docker ({explanation})",
        )
    return EngineError("other", f"Docker refused: {explanation}")


# What a request raises when the engine's socket closes under it or is gone: the daemon stopped, crashed or restarts.
_CONNECTION_LOST = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, ConnectionError)


@contextlib.contextmanager
def _engine_answering() -> Iterator[None]:
    """Calls made while a sort runs: the engine going away is EngineLostError (the run waits for it to come back)."""
    try:
        yield
    except docker.errors.APIError:  # the engine answered: no
        raise
    except (*_CONNECTION_LOST, docker.errors.DockerException) as exc:
        raise EngineLostError(f"Docker stopped answering ({exc})") from exc


# A container in these states still sorts, or is about to.
RUNNING_STATES = ("running", "created", "restarting")


def _close_ssh_socket_quietly() -> None:
    """docker-py's SSH socket writes to its ssh process as it closes. When that process has already ended (the
    connection dropped) the write raises BrokenPipeError, printed as a traceback when Python exits
    (docker/docker-py#3218). Nothing is left to close then: the process is only ended."""
    try:
        from docker.transport.sshconn import SSHSocket
    except ImportError:  # the SDK without its SSH part: no ssh:// engines at all
        return
    close = SSHSocket.close

    def close_quietly(self: SSHSocket) -> None:
        try:
            close(self)
        except OSError:
            self.proc.terminate()

    SSHSocket.close = close_quietly


_close_ssh_socket_quietly()


def _new_client(base_url: str | None, timeout: int | None) -> docker.DockerClient:
    """A client of the engine at `base_url` (ssh://… through the system's ssh), or the one DOCKER_HOST names (or the
    default socket) when None."""
    if base_url is None:
        return docker.from_env(timeout=timeout)
    return docker.DockerClient(base_url=base_url, use_ssh_client=True, timeout=timeout)


def connect(timeout: int = 60, base_url: str | None = None) -> Engine:
    """Connect to the engine at `base_url`, or the one DOCKER_HOST names (or the default socket), with classified
    errors."""
    try:
        client = _new_client(base_url, timeout)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise classify_connection_error(exc) from exc
    return Engine(client, base_url)


class Engine:
    def __init__(self, client: docker.DockerClient, base_url: str | None = None) -> None:
        self._client = client
        self._base_url = base_url

    def version(self) -> str:
        with _engine_answering():
            return str(self._client.version().get("Version", "unknown"))

    def answers(self, timeout: float = 5) -> bool:
        """Whether the engine answers now, on a new connection to the same place connect() went (DOCKER_HOST or
        the default socket): a stopped daemon fails at once, a hung one within about twice `timeout` seconds (the
        SDK asks for the API version, then pings)."""
        try:
            client = _new_client(self._base_url, int(timeout))
        except (docker.errors.DockerException, *_CONNECTION_LOST, OSError):
            return False
        try:
            return bool(client.ping())
        except (docker.errors.DockerException, *_CONNECTION_LOST, OSError):
            return False
        finally:
            client.close()

    def info(self) -> dict:
        """The engine's own description (`docker info`), read by gpu.gpu_runtime_from_info and the doctor."""
        try:
            return dict(self._client.info())
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc

    def product(self) -> str:
        """What answers on the socket: "Docker Engine", or "Podman Engine" for Podman's Docker-compatible API."""
        names = [str(c.get("Name", "")) for c in self._client.version().get("Components") or []]
        return "Podman Engine" if any("podman" in name.lower() for name in names) else "Docker Engine"

    def image(self, name: str) -> ImageInfo | None:
        """The image by name, or None when it is not on this machine (never pulls)."""
        try:
            image = self._client.images.get(name)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        return _image_info(name, image)

    def start(self, spec: ContainerSpec) -> ContainerRun:
        """Create the container, attach to its output (and stdin when open), then start it."""
        mounts = [
            docker.types.Mount(target=m.target, source=str(m.source), type="bind", read_only=m.read_only)
            for m in spec.mounts
        ]
        for volume in spec.volumes:
            self.prepare_volume(volume, spec.image, spec.user)
            mounts.append(docker.types.Mount(target=volume.target, source=volume.name, type="volume"))
        devices = [
            docker.types.DeviceRequest(device_ids=list(r.device_ids), capabilities=[list(c) for c in r.capabilities])
            for r in spec.device_requests
        ]
        entrypoint, command, secrets = spec.entrypoint, spec.command, ""
        if spec.secret_environment:  # on stdin, never in the container's config (container_spec.py)
            entrypoint, command, secrets = secrets_on_stdin(spec)
        try:
            container = self._client.containers.create(
                spec.image,
                command=command,
                entrypoint=entrypoint,
                environment=spec.environment,
                mounts=mounts,
                device_requests=devices or None,
                shm_size=spec.shm_size,
                user=spec.user,
                labels=spec.labels,
                stdin_open=spec.stdin_open or bool(secrets),
                mac_address=spec.mac_address,
                network_mode=None if spec.network else "none",
                detach=True,
            )
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        try:
            # Attach before start so no output is missed; the attach stream delivers a prompt that has no line
            # end yet, which `docker logs` would hold back until the line is finished.
            output = container.attach(stdout=True, stderr=True, stream=True, logs=True)
            stdin = container.attach_socket(params={"stdin": 1, "stream": 1}) if spec.stdin_open or secrets else None
            container.start()
            if secrets:
                assert stdin is not None  # attached above whenever there are secrets
                getattr(stdin, "_sock", stdin).sendall(secrets.encode())
        except (docker.errors.APIError, OSError) as exc:
            container.remove(force=True)
            raise _api_error(exc) if isinstance(exc, docker.errors.APIError) else PlaceError(str(exc)) from exc
        return ContainerRun(container, output, stdin)

    def prepare_volume(self, volume: VolumeMount, image: str, owner: str) -> None:
        """Create the named volume when it is missing, and give its top folder to `owner` (UID:GID): a new volume's
        folder belongs to root (or, when the image has that folder, to the image's user), and the sorter runs as
        the invoking user. A short container of `image` run as root does the chown, so this works on a remote or
        rootless engine too. An existing volume is left as it is."""
        try:
            self._client.volumes.get(volume.name)
            return
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        try:
            self._client.volumes.create(volume.name, labels={LABEL_VOLUME: volume.purpose})
            self._client.containers.run(
                image,
                entrypoint=["chown", "-R", owner, volume.target],
                command=[],
                user="0:0",
                mounts=[docker.types.Mount(target=volume.target, source=volume.name, type="volume")],
                network_disabled=True,
                remove=True,
            )
        except docker.errors.ContainerError as exc:  # chown failed: take the volume back, so the next run retries
            self.remove_volume(volume.name)
            said = (exc.stderr or b"").decode(errors="replace").strip()
            raise EngineError(
                "other", f"the Docker volume {volume.name} could not be given to user {owner}: {said or exc}"
            ) from exc
        except docker.errors.APIError as exc:
            with contextlib.suppress(EngineError):
                self.remove_volume(volume.name)
            raise _api_error(exc) from exc

    def volumes_labelled(self, label: str) -> list[tuple[str, str, int]]:
        """(name, label value, bytes used) of the volumes carrying `label`. The size comes from `docker system
        df` (-1 where the engine does not say)."""
        try:
            volumes = self._client.volumes.list(filters={"label": label})
            usage = {
                v.get("Name"): int((v.get("UsageData") or {}).get("Size", -1))
                for v in self._client.df().get("Volumes") or ()
            }
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        return [(v.name, str((v.attrs.get("Labels") or {}).get(label, "")), usage.get(v.name, -1)) for v in volumes]

    def remove_volume(self, name: str) -> None:
        try:
            self._client.volumes.get(name).remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc

    def images_labelled(self, label: str) -> list[ImageInfo]:
        """Images on this machine that carry `label` (`key` or `key=value`), named by their first tag."""
        try:
            images = self._client.images.list(filters={"label": label})
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        return [_image_info(image.tags[0] if image.tags else image.short_id, image) for image in images]

    def remove_image(self, name: str) -> None:
        try:
            self._client.images.remove(name)
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc

    def launched_containers(self, uid: int | None = None) -> list[FoundRun]:
        """The containers this user's launchers started (any state), found again by the contract's labels. Another
        user's sorts on a shared workstation run as their uid (the launcher's `--user`): theirs to follow, not ours."""
        try:
            containers = self._client.containers.list(all=True, filters={"label": LABEL_JOB})
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        ours = f"{os.getuid() if uid is None else uid}:"
        containers = [
            c
            for c in containers
            if str(c.attrs.get("Config", {}).get("User", "")).startswith(ours) and not never_started(c.attrs)
        ]
        return [
            FoundRun(
                id=c.id,
                job_id=c.labels.get(LABEL_JOB, ""),
                output=c.labels.get(LABEL_OUTPUT, ""),
                running=c.status in RUNNING_STATES,
                image=str(c.attrs.get("Config", {}).get("Image", "")),
                gpu_uuids=gpu_uuids(c.attrs.get("HostConfig", {})),
            )
            for c in containers
        ]

    def attach(self, container_id: str) -> ContainerRun:
        """Follow a container started earlier (by this or an earlier launcher), its output from the beginning."""
        try:
            return self._follow_from_first_line(container_id)
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc

    def follow_again(self, container_id: str) -> ContainerRun | None:
        """After the engine came back: the container, its output again from the first line (live while it runs),
        or None when the engine no longer has it. EngineLostError when the engine went away again."""
        with _engine_answering():
            try:
                return self._follow_from_first_line(container_id)
            except docker.errors.NotFound:
                return None
            except docker.errors.APIError as exc:
                raise _api_error(exc) from exc

    def _follow_from_first_line(self, container_id: str) -> ContainerRun:
        container = self._client.containers.get(container_id)
        # The log from the first line, then live (attach's own replay was seen to start mid-run on Docker 20.10).
        # Unlike attach, a log holds back a prompt with no line end: nobody answers one here anyway.
        output = container.logs(stdout=True, stderr=True, stream=True, follow=True)
        return ContainerRun(container, output, None)

    def pull(self, name: str) -> EngineStream:
        """Pull `name` (repository:tag): the engine's progress messages, decoded (ks_gui.core.places.image_build reads
        them). Cancellable: EngineStream.cancel() from another thread ends the download."""
        repository, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
        return EngineStream(lambda api: api.pull(repository, tag=tag, stream=True, decode=True), self._base_url)

    def build(
        self, context: Path, tag: str, dockerfile: str = "Dockerfile", build_args: dict | None = None
    ) -> EngineStream:
        """Build the folder `context` as `tag`: the engine's build messages, decoded. Cancellable."""
        return EngineStream(
            lambda api: api.build(
                path=str(context), tag=tag, dockerfile=dockerfile, buildargs=build_args or {}, rm=True, decode=True
            ),
            self._base_url,
        )


def _image_info(name: str, image) -> ImageInfo:
    return ImageInfo(
        name=name,
        id=image.id,
        labels=dict(image.labels or {}),
        digests=tuple(image.attrs.get("RepoDigests") or ()),
        size_bytes=int(image.attrs.get("Size") or 0),
    )


class ContainerRun:
    """A started container: its output as lines, its stdin, its end."""

    def __init__(self, container, output, stdin_socket) -> None:  # docker objects stay private to this module
        self._container = container
        self._output = output
        self._stdin = stdin_socket
        self._reader = OutputReader(output, name=f"docker-output-{container.short_id}")

    @property
    def id(self) -> str:
        return str(self._container.id)

    @property
    def running(self) -> bool:
        """Whether it ran when it was last looked up (start, attach, follow_again)."""
        return str(self._container.status) in RUNNING_STATES

    def lines(self, quiet_after: float = 0.3, idle_every: float | None = None) -> Iterator[OutputLine]:
        return self._reader.lines(quiet_after, idle_every)

    def send(self, text: str) -> None:
        """Write `text` to the container's stdin (only for a spec with stdin_open)."""
        if self._stdin is None:
            raise RuntimeError("this container was started without stdin")
        raw = getattr(self._stdin, "_sock", self._stdin)
        raw.sendall(text.encode())

    def wait(self, timeout: float | None = None) -> int:
        """The exit code, once the container ends. EngineLostError when the engine goes away first."""
        try:
            with _engine_answering():
                return int(self._container.wait(timeout=timeout)["StatusCode"])
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc

    def stop(self, timeout: int = 10) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds. EngineLostError when the engine is away."""
        with contextlib.suppress(docker.errors.NotFound), _engine_answering():
            self._container.stop(timeout=timeout)

    def describe(self) -> str:
        return f"container {self.id[:12]}"

    def output_lost(self) -> bool:
        """The output ended, yet the container runs: the connection that carried it broke (an SSH connection to a
        server dropped). EngineLostError when the engine does not answer now."""
        try:
            with _engine_answering():
                self._container.reload()
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as exc:
            raise _api_error(exc) from exc
        return self.running

    def killed_for_memory(self) -> bool:
        """Whether the kernel's out-of-memory killer ended the container."""
        try:
            with _engine_answering():
                self._container.reload()
        except (docker.errors.APIError, EngineLostError):
            return False
        return bool(self._container.attrs.get("State", {}).get("OOMKilled"))

    def detach(self) -> None:
        """Stop following the container and leave it running (a later launcher attaches to it again)."""
        self._close_streams()

    def _close_streams(self) -> None:
        for closable in (self._stdin, self._output):
            if closable is not None:
                # The SDK's stream cannot find its socket on an ssh connection (UnboundLocalError in docker 7):
                # the stream is done with either way.
                with contextlib.suppress(OSError, UnboundLocalError, AttributeError):
                    closable.close()

    def remove(self) -> None:
        self._close_streams()
        try:
            with _engine_answering():  # EngineLostError: the engine is away
                self._container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            # Another launcher following the same sort (a second window) removes it at the same moment: done.
            if exc.status_code != 409 or "already in progress" not in str(exc.explanation):
                raise _api_error(exc) from exc


class EngineStream:
    """A streaming engine call (pull, build): its decoded JSON messages, one dict each, in order.

    It runs on its own connection, so `cancel()` from another thread can shut that connection's socket: the
    reading loop then ends at once, and the engine stops the pull or build when its client goes away.
    """

    def __init__(self, call: Callable[[docker.APIClient], Iterator[dict]], base_url: str | None = None) -> None:
        self._call = call
        self._base_url = base_url
        self._responses: list[requests.Response] = []
        self._api: docker.APIClient | None = None
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[dict]:
        try:
            self._api = _new_client(self._base_url, None).api
            self._api.hooks["response"].append(lambda response, **_: self._responses.append(response))
            for message in self._call(self._api):
                if self._cancelled.is_set():
                    return
                yield message
        except docker.errors.APIError as exc:
            if not self._cancelled.is_set():
                raise _api_error(exc) from exc
        except (
            docker.errors.DockerException,
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
        ) as exc:
            # A shut socket reads as a broken connection: that is the cancel, not an error.
            if not self._cancelled.is_set():
                raise classify_connection_error(exc) from exc
        finally:
            self._close()

    def cancel(self) -> None:
        self._cancelled.set()
        for response in list(self._responses):
            raw_socket = _socket_of(response)
            if raw_socket is not None:
                with contextlib.suppress(OSError):
                    raw_socket.shutdown(socket.SHUT_RDWR)

    def _close(self) -> None:
        for response in self._responses:
            with contextlib.suppress(Exception):
                response.close()
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket under a streaming response (urllib3 → http.client → SocketIO), or None."""
    with contextlib.suppress(AttributeError):
        return response.raw._fp.fp.raw._sock
    return None
