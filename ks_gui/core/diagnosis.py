"""Say in one sentence what went wrong, from the lines a failed sort printed.

A first table of the failures users meet most; every pattern is a real text (reference/kilosort25_container.md §4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ks_gui.core.contract import MARKER


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str
    hint: str
    line: str = ""

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    message: str
    hint: str


_RULES = (
    _Rule(
        "license",
        re.compile(r"License Manager Error -96"),
        "MATLAB could not reach the license server.",
        "Check the server's port@host and that this machine can reach it (firewall, VPN).",
    ),
    _Rule(
        "license",
        re.compile(r"License Manager Error -9\b"),
        "The license file is bound to another user or computer.",
        "Use a network license server, or a license file made for this container.",
    ),
    _Rule(
        "license",
        re.compile(r"The license file specified does not exist"),
        "MATLAB did not find the license file inside the container.",
        "Choose an existing license file.",
    ),
    _Rule(
        "license",
        re.compile(r"Sign-in failed"),
        "Signing in to the MathWorks account failed.",
        "Check the email and password, or use a license server.",
    ),
    _Rule(
        "gpu_out_of_memory",
        re.compile(r"Out of memory on device"),
        "The GPU ran out of memory.",
        "Lower NT (e.g. --param NT=32768) or close other programs using the GPU.",
    ),
    _Rule(
        "host_out_of_memory",
        re.compile(r"^Out of memory\. Type (HELP MEMORY|\"help memory\")"),
        "The computer ran out of memory.",
        "Close other programs or sort a shorter time range.",
    ),
    _Rule(
        "mex_missing",
        re.compile(r"Undefined function '(spikedetector3|mex\w+)'"),
        "Kilosort's compiled GPU files are missing.",
        "Delete the image's mex cache folder and run again to recompile.",
    ),
    _Rule(
        "mex_compile_failed",
        re.compile(r"^Error using mex\b"),
        "Compiling Kilosort's GPU code failed.",
        "See the log for the compiler's message.",
    ),
    _Rule(
        "too_few_spikes",
        re.compile(r"Error in extractTemplatesfromSnippets"),
        "Kilosort found too few spikes to learn templates.",
        "Check the channel count and the recording, or lower the thresholds (Th, spkTh).",
    ),
)

_ERROR_MARKER = re.compile(rf"^{re.escape(MARKER)}error (\w+): (.*)$")


def diagnose(lines: Iterable[str]) -> Failure | None:
    """The first known failure in `lines`, or None when none is recognised."""
    for raw in lines:
        line = raw.strip().removeprefix("> ")
        if match := _ERROR_MARKER.match(line):
            return Failure(match.group(1), match.group(2), "", line)
        for rule in _RULES:
            if rule.pattern.search(line):
                return Failure(rule.kind, rule.message, rule.hint, line)
    return None
