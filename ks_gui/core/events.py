"""What a run says while it goes: its output lines, progress, sign-in prompts, the launcher's notices, its end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ks_gui.core.sorters.diagnosis import Failure
from ks_gui.core.sorters.progress import ProgressEvent, Result

PromptKind = Literal["email", "password", "one_time_password", "retry"]


@dataclass(frozen=True)
class LogLine:
    text: str


@dataclass(frozen=True)
class SignInPrompt:
    """MATLAB waits for an answer on stdin; the UI asks the user and calls SortRun.answer()."""

    kind: PromptKind
    text: str


@dataclass(frozen=True)
class Notice:
    """What the launcher itself says mid-run, in plain words (Docker went away, came back); also in the log."""

    text: str


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    cancelled: bool
    exit_code: int | None
    output: Path
    log_file: Path
    result: Result | None = None
    failure: Failure | None = None
    # The launcher stopped following before the sort ended (Docker did not come back): not an end, the container
    # may be there still; `ks-gui status --attach` or the window's next start finds it.
    interrupted: bool = False
    quality: str | None = None  # how the quality stage ended, in a sentence: labels, or why there are none

    def summary(self) -> str:
        if self.interrupted:
            return f"Sort interrupted: {self.failure} The log so far is in {self.log_file}"
        if self.cancelled:
            return f"Cancelled. The log is in {self.log_file}"
        if self.succeeded and self.result:
            r = self.result
            quality = f". {self.quality}" if self.quality else ""
            return f"Sorted: {r.units} units ({r.good} good), {r.spikes} spikes in {self.output}{quality}"
        if self.failure:
            reason = str(self.failure)
        elif self.exit_code == 0:
            reason = "the sorter ended without finishing the phy folder."
        else:
            reason = f"the sorter stopped with exit code {self.exit_code}."
        return f"Sort failed: {reason} The log is in {self.log_file}"


RunEvent = LogLine | ProgressEvent | SignInPrompt | Notice | Outcome
