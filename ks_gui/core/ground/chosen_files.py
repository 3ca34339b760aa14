"""Files a user chose (a log to explain, a channel map, a probe file), looked at for what they are before they are
read: a device (`/dev/zero`), a FIFO or a folder is refused in one sentence, and a file is read only up to a size
its kind can sensibly have, so that no choice makes the app hang or fill the memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ks_gui.core.ground.readable import human_bytes


class ChosenFileError(ValueError):
    """The file cannot be read as what it was chosen for; the message is one sentence for the user."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_chosen(path: Path, what: str, limit: int, tail: bool = False) -> tuple[bytes, bool]:
    """At most `limit` bytes of the regular file `path` (its last ones with `tail`), and whether it holds more.
    ChosenFileError, naming `what` it was chosen as, for a missing or unreadable file or one that is not a
    regular file. Opened without blocking, so a FIFO is refused instead of waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as err:
        raise ChosenFileError(f"no such {what}: {path}") from err
    except IsADirectoryError as err:
        raise ChosenFileError(f"{path} is a folder, not a {what}") from err
    except OSError as err:
        raise ChosenFileError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ChosenFileError(f"{path} is {_kind(info.st_mode)}, not a {what}")
        more = info.st_size > limit
        if more and tail:
            os.lseek(fd, info.st_size - limit, os.SEEK_SET)
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), more
    except OSError as err:
        raise ChosenFileError(f"cannot read {path}: {err.strerror or err}") from err
    finally:
        os.close(fd)


def check_chosen(path: Path, what: str, limit: int) -> None:
    """ChosenFileError unless `path` is a regular file of at most `limit` bytes (for a reader that opens it itself)."""
    try:
        info = os.stat(path)
    except FileNotFoundError as err:
        raise ChosenFileError(f"no such {what}: {path}") from err
    except OSError as err:
        raise ChosenFileError(f"cannot read {path}: {err.strerror or err}") from err
    if not stat.S_ISREG(info.st_mode):
        raise ChosenFileError(f"{path} is {_kind(info.st_mode)}, not a {what}")
    if info.st_size > limit:
        raise ChosenFileError(f"{path} is {human_bytes(info.st_size)}: too large for a {what}")
