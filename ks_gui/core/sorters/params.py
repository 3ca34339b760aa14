"""Sorter parameters: one declarative table feeds the form, the tooltips, `--param` and validation."""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ks_gui.core.sorters.param_names import other_sorters_name


class Kind(Enum):
    INT = "integer"
    FLOAT = "number"
    PAIR = "pair of numbers"
    RANGE = "time range [start, end] in seconds (end null = to the end)"


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    detected: bool = False  # filled from the recording when the user gives no value

    def problem(self, value: Any) -> str | None:
        """Why `value` is not acceptable for this parameter, or None."""
        numbers = _numbers(self.kind, value)
        if numbers is None:
            return f"{self.name} must be a {self.kind.value}, not {json.dumps(value)}"
        for number in numbers:
            if number is None:
                continue
            if self.minimum is not None and number < self.minimum:
                return f"{self.name} must be at least {self.minimum:g}, not {number:g}"
            if self.maximum is not None and number > self.maximum:
                return f"{self.name} must be at most {self.maximum:g}, not {number:g}"
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(kind: Kind, value: Any) -> list[float | None] | None:
    """The numbers inside `value` when it has the shape `kind` asks for, else None."""
    if kind is Kind.INT:
        ok = _is_number(value) and float(value).is_integer()
        return [value] if ok else None
    if kind is Kind.FLOAT:
        return [value] if _is_number(value) else None
    if not isinstance(value, list) or len(value) != 2:
        return None
    if kind is Kind.PAIR:
        return list(value) if all(_is_number(v) for v in value) else None
    start, end = value
    if not _is_number(start) or not (end is None or _is_number(end)):
        return None
    if end is not None and end <= start:
        return None
    return [start, end]


class ParamError(ValueError):
    """A parameter value that cannot be used; the message (str) is for the user in the window's words,
    command_line_text() in the CLI's (`--param …`)."""

    def __init__(self, message: str, about_the_text: bool = False) -> None:
        super().__init__(message)
        self.about_the_text = about_the_text  # the message starts with what was typed (KEY=VALUE)

    def command_line_text(self) -> str:
        return f"--param {self}" if self.about_the_text else str(self)


def parse_assignment(text: str, table: dict[str, Param]) -> tuple[str, Any]:
    """Turn `KEY=VALUE` (VALUE in JSON, bare words allowed) into a checked (name, value)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ParamError(f"{text!r} is not KEY=VALUE", about_the_text=True)
    if name not in table:
        raise ParamError(_unknown(name, table))
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ParamError(
            f"{name}={raw}: the value is not valid JSON (e.g. 10, 0.5, [10,4])", about_the_text=True
        ) from err
    problem = table[name].problem(value)
    if problem:
        raise ParamError(problem)
    return name, value


def _unknown(name: str, table: dict[str, Param]) -> str:
    """One line: the other Kilosort's name for a setting, a name in other letters' case, or the nearest names."""
    if hint := other_sorters_name(name, table, renamed_only=True):  # NT to Kilosort 4 is batch_size, not nt
        return hint
    lowered = {known.lower(): known for known in table}
    if name.lower() in lowered:
        return f"unknown parameter {name!r} (did you mean {lowered[name.lower()]}?)"
    if hint := other_sorters_name(name, table):
        return hint
    nearest = [lowered[n] for n in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    if nearest:
        return f"unknown parameter {name!r} (nearest: {', '.join(nearest)})"
    return f"unknown parameter {name!r}: no parameter of this sorter is named like it"
