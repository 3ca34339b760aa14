"""The extra folders and environment variables a user gives a sort (`--mount`, `--env`, the window's Advanced)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from ks_gui.core.places.base import Mount

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


class _GivenError(ValueError):
    """Something the user typed that cannot be used: the message (str) names what was typed, not how (the window's
    field or the CLI's option); command_line_text() adds the option."""

    option = ""

    def __init__(self, message: str, about_the_text: bool = True) -> None:
        super().__init__(message)
        self.about_the_text = about_the_text  # the message starts with what was typed (so the option may lead it)

    def command_line_text(self) -> str:
        return f"{self.option} {self}" if self.about_the_text else str(self)


class EnvironmentVariableError(_GivenError):
    """An environment assignment that is not KEY=VALUE; the message is for the user."""

    option = "--env"


class MountError(_GivenError):
    """An extra mount that cannot be given to the container; the message is for the user."""

    option = "--mount"


def parse_mount(text: str) -> Mount:
    """`SRC[:DST][:ro]`: a folder of this machine, at DST inside the container (default: the same path)."""
    parts = text.split(":")
    read_only = parts[-1] == "ro"
    if read_only or parts[-1] == "rw":
        parts = parts[:-1]
    if not parts or len(parts) > 2 or not parts[0]:
        raise MountError(f"{text!r} is not SRC[:DST][:ro]")
    source = Path(parts[0]).expanduser().resolve()  # as Docker mounts it: links followed
    target = parts[1] if len(parts) == 2 and parts[1] else str(source)
    if not source.exists():
        raise MountError(f"{text!r}: {source} does not exist")
    if not target.startswith("/"):
        raise MountError(f"{text!r}: the path inside the container must be absolute, not {target!r}")
    if str(source.resolve()) in DOCKER_SOCKETS or target in DOCKER_SOCKETS:
        raise MountError("the Docker socket is never given to a sorter's container", about_the_text=False)
    return Mount(source=source, target=target, read_only=read_only)


def parse_environment(assignments: list[str]) -> dict[str, str]:
    """`["HTTPS_PROXY=http://proxy:3128", ...]` as a dict, for variables passed to the container."""
    environment = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not _VARIABLE_NAME.match(key):
            raise EnvironmentVariableError(f"{text!r} is not KEY=VALUE")
        environment[key] = value
    return environment


# Folders every Linux image needs: a mount at or above one of them hides the container's own system.
SYSTEM_FOLDERS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
)
# What ks-gui's own images keep (their `ks-gui.keeps` labels, docker/*/Dockerfile): used before an image is built,
# and with any image; an image's own label adds to it.
KS_GUI_IMAGE_FOLDERS = ("/opt/ks-gui", "/home/matlab", "/opt/conda", "/opt/matlab", "/usr/local/bin")


def image_folders(label: str | None) -> tuple[str, ...]:
    """The folders a container needs: the system's, ks-gui's images', and those its `ks-gui.keeps` label names."""
    return SYSTEM_FOLDERS + KS_GUI_IMAGE_FOLDERS + tuple((label or "").split())


def hidden_folder(target: str, needed: tuple[str, ...]) -> str | None:
    """The needed folder a mount at `target` (a path inside the container) would hide: one it is, or one below it.
    A target below a needed folder hides nothing that folder needs (`/opt/data/rec1`), so it is allowed."""
    target = posixpath.normpath("/" + target.lstrip("/")).replace("//", "/")
    if target == "/":
        return "/"
    for folder in needed:
        if folder == target or folder.startswith(target + "/"):
            return folder
    return None


def shadow_sentence(what: str, target: str, folder: str) -> str:
    if folder == target or folder == "/":
        return f"the {what} {target} would hide the container's own {folder}: choose a folder elsewhere"
    return f"the {what} {target} would hide the container's own {folder}, which is inside it: choose a folder elsewhere"
