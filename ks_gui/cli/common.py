"""What every subcommand shares: exit codes, the bad-input error, JSON output."""

from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class BadInputError(Exception):
    """Input that stops the command before anything starts; each message is one line for the user."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = messages


def print_json(document: dict) -> None:
    """`--json`: exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


# Options whose value is itself an option (`--sbatch --constraint=a100`, as the README writes it): argparse would take
# the value for an option of ks-gui's, so it is joined to its option first.
_OPTIONS_TAKING_AN_OPTION = ("--sbatch",)


def joined_option_values(argv: list[str]) -> list[str]:
    """`argv` with `--sbatch -X` written `--sbatch=-X`."""
    joined: list[str] = []
    waiting = ""
    for word in argv:
        if waiting:
            joined.append(f"{waiting}={word}")
            waiting = ""
        elif word in _OPTIONS_TAKING_AN_OPTION:
            waiting = word
        else:
            joined.append(word)
    return joined + ([waiting] if waiting else [])
