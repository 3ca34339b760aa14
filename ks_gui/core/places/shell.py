"""Where a place's commands run: on this computer, or on another one through ssh (places/ssh.py SshShell). A SLURM
cluster is asked the same way from its login node or from a workstation that reaches the login node over SSH."""

from __future__ import annotations

import subprocess
from typing import Protocol

from ks_gui.core.places.base import PlaceError


class Shell(Protocol):
    def run(
        self, command: list[str], timeout: float = 30, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `command`; PlaceError (in words) when it cannot run at all; otherwise its result, whatever its exit
        code."""
        ...


def run_captured(command: list[str], timeout: float, stdin: str | None) -> subprocess.CompletedProcess[str]:
    """`command` with its output captured as text and `stdin` as its input (none: nothing to read)."""
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


class LocalShell:
    """Commands on this computer."""

    def run(
        self, command: list[str], timeout: float = 30, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            return run_captured(command, timeout, stdin)
        except FileNotFoundError as err:
            raise PlaceError(f"{command[0]} is not installed on this computer") from err
        except subprocess.TimeoutExpired as err:
            raise PlaceError(f"{command[0]} did not answer within {timeout:.0f} s") from err
