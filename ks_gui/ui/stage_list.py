"""The sort's stages as a list that ticks off: done ones checked, the current one with what it is doing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ks_gui.core.ground.contract import STAGES
from ks_gui.core.sorters.stages import KILOSORT4_STAGE_NAMES, KILOSORT25_STAGE_NAMES

if TYPE_CHECKING:  # core.progress loads with the first sort, not with the window (issue #8)
    from ks_gui.core.sorters.progress import ProgressEvent

# What each stage is called in the list until the sort's sorter is known (a run followed again): Kilosort 2.5's.
STAGE_NAMES = KILOSORT25_STAGE_NAMES
# A row for every stage some sorter lists (Kilosort 4's quality stage too); each sort shows its sorter's.
LISTED_STAGES = tuple(stage for stage in STAGES if stage in {**STAGE_NAMES, **KILOSORT4_STAGE_NAMES})
# Steps inside a stage, shown while it runs.
STEP_NAMES = {"whitening": "whitening", "filtering": "filtering", "detect": "detect", "shift": "shift",
              "merge": "merge", "split": "split"}  # fmt: skip

MARK_PENDING, MARK_RUNNING, MARK_DONE, MARK_FAILED = "○", "▶", "✓", "✗"
_COLOURS = {MARK_PENDING: "palette(mid)", MARK_RUNNING: "palette(highlight)", MARK_DONE: "#2e7d32",
            MARK_FAILED: "#b00020"}  # fmt: skip


class StageList(QWidget):
    """One row per stage: ○ pending, ▶ running (with its step and counter), ✓ done, ✗ where it failed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = {stage: QLabel() for stage in LISTED_STAGES}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for row in self._rows.values():  # plain text: the names and steps below, and numbers
            layout.addWidget(row)
        layout.addStretch(1)
        self._current: str | None = None
        self._names = dict(STAGE_NAMES)
        self.reset()

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages listed now, in order (a Kilosort 4 sort has no compile stage)."""
        return tuple(stage for stage in LISTED_STAGES if stage in self._names)

    def row(self, stage: str) -> QLabel:
        return self._rows[stage]

    def mark(self, stage: str) -> str:
        """The mark the stage's row shows now."""
        return self._rows[stage].text().split(" ", 1)[0]

    def reset(self, stage_names: dict[str, str] | None = None) -> None:
        """Every stage pending; `stage_names`: the sorter's own stages and what it calls them."""
        self._current = None
        if stage_names is not None:
            self._names = {stage: name for stage, name in stage_names.items() if stage in self._rows}
        for stage, row in self._rows.items():
            row.setVisible(stage in self._names)
        for stage in self.stages:
            self._set(stage, MARK_PENDING)

    def show_progress(self, event: ProgressEvent) -> None:
        stage = event.stage
        if stage == "done":
            self.show_done()
            return
        if stage not in self._names:
            return
        self._current = stage
        stages = self.stages
        position = stages.index(stage)
        for earlier in stages[:position]:
            self._set(earlier, MARK_DONE)
        for later in stages[position + 1 :]:
            self._set(later, MARK_PENDING)
        self._set(stage, MARK_RUNNING, _running_text(event))

    def show_done(self) -> None:
        self._current = None
        for stage in self.stages:
            self._set(stage, MARK_DONE)

    def show_failure(self, stage: str | None) -> None:
        """Mark where the sort failed: the failure's stage, else the one that was running."""
        failed = stage if stage in self._names else self._current
        if failed is None:
            return
        stages = self.stages
        position = stages.index(failed)
        for earlier in stages[:position]:
            self._set(earlier, MARK_DONE)
        self._set(failed, MARK_FAILED, "failed")

    def _set(self, stage: str, mark: str, note: str = "") -> None:
        row = self._rows[stage]
        row.setText(f"{mark}  {self._names[stage]}" + (f" — {note}" if note else ""))
        row.setStyleSheet(f"color: {_COLOURS[mark]};" + (" font-weight: 600;" if mark == MARK_RUNNING else ""))


def _running_text(event: ProgressEvent) -> str:
    parts = []
    if event.step in STEP_NAMES:
        parts.append(STEP_NAMES[event.step])
    if event.counter is not None:
        index, total = event.counter
        parts.append(f"{index} of {total}")
    return ", ".join(parts)
