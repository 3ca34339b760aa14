"""What a sorter is: its command, its parameter table and checks. A sorter never asks where it runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ks_gui.core.sorters.params import Param
from ks_gui.core.sorters.stages import KILOSORT25_STAGE_NAMES, StageShape

# The forms a sorter ships in: an image (any place that runs containers) or a Python program (a place that runs a
# Python environment). A place runs one form; core pairs a sorter with a place through it.
Form = Literal["container", "python"]
# How the job file reaches the sorter: a MATLAB statement for the MATLAB image's entrypoint, or the path itself
# (the image's entrypoint, or the environment's python running the driver, takes it as its argument).
CommandStyle = Literal["matlab", "job_file"]


def _no_checks(params: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Sorter:
    name: str
    title: str
    default_image: str
    needs_matlab_license: bool
    params: dict[str, Param] = field(repr=False)
    forms: tuple[Form, ...] = ("container",)
    driver: str = ""  # the program a Python form runs (ks_gui/drivers), with the job file as its argument
    # Checks across parameters that Kilosort would only fail on late (one message each).
    checks: Callable[[dict], list[str]] = field(default=_no_checks, repr=False, compare=False)
    command_style: CommandStyle = "matlab"
    channels_param: str = "NchanTOT"  # the parameter that holds the binary's channel count
    sample_rate_param: str = "fs"
    batch_param: str = "NT"  # samples per batch
    writes_temp_file: bool = True  # Kilosort 2.5's whitened copy; Kilosort 4 reads the recording itself
    # Reads the sorter's own output lines: called with a progress Tracker, gives its OutputReader (progress.py).
    # None: every known sorter's reader reads them.
    output_reader: Callable | None = field(default=None, repr=False, compare=False)
    # How long its stages take on a GPU ("gpu") and on the CPU ("cpu"), measured on real runs: the bar's weights and
    # the first ETA before this machine has sorted anything of the kind (core/results/stage_times.py).
    shapes: dict[str, StageShape] = field(default_factory=dict, repr=False, compare=False)
    # The stages it goes through, in order, as a list of them calls them.
    stage_names: dict[str, str] = field(default_factory=lambda: dict(KILOSORT25_STAGE_NAMES), repr=False, compare=False)

    def command(self, job_file: str) -> list[str]:
        """The arguments that run the job file (for the MATLAB image, its entrypoint starts MATLAB)."""
        if self.command_style == "job_file":
            return [job_file]
        quoted = job_file.replace("'", "''")  # MATLAB doubles single quotes inside a char literal
        return ["-batch", f"ks_gui_run('{quoted}')"]

    def defaults(self) -> dict:
        return {name: p.default for name, p in self.params.items() if p.default is not None}

    def time_range(self, params: dict) -> tuple[float, float | None]:
        """(start, end) in seconds of the part to sort; end None = to the end of the recording."""
        if "trange" in self.params:
            start, end = params["trange"]
            return float(start), end
        end = params.get("tmax")
        return float(params.get("tmin", 0)), None if end is None or not math.isfinite(end) else float(end)

    def problems(self, params: dict) -> list[str]:
        """Every reason the merged parameters cannot be run."""
        found = [problem for name, value in params.items() if (problem := self.params[name].problem(value))]
        return found + self.checks(params)


def param_table(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}
