"""The frame of Tools → Add a GPU server… and Add a SLURM cluster…: a short introduction, the fields, one status line
and "Check and add". The check runs off the GUI thread; what does not work is said on the status line and nothing
is remembered."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.doors.servers import PathMap
from ks_gui.ui.threads import run_in_background


class CheckAndAddDialog(QDialog):
    """Subclasses make their fields, call `lay_out`, and implement `check_and_add` with `check_off_thread`."""

    def __init__(self, parent: QWidget | None, title: str, intro: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.added = ""  # the place's name, once it answered and was remembered
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("Check and add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.check_and_add)
        self.buttons.rejected.connect(self.reject)

    def lay_out(self, rows: list[tuple[str, QWidget]], min_width: int) -> None:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for label, field in rows:
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(max(self.sizeHint().width(), min_width), self.sizeHint().height())

    def path_map_field(self, text: str, placeholder: str, lines: int) -> QPlainTextEdit:
        field = QPlainTextEdit(text)
        field.setPlaceholderText(placeholder)
        field.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 12)
        return field

    def check_and_add(self) -> None:
        raise NotImplementedError

    def check_off_thread(self, waiting: str, check: Callable[[], object], answered: Callable[[object], None]) -> None:
        """Say `waiting`, run `check` off the GUI thread, then give its answer (or its exception) to `answered`."""
        self.add_button.setEnabled(False)
        self.status.setText(waiting)

        def done(said: object) -> None:
            self.add_button.setEnabled(True)
            answered(said)

        run_in_background(check, done, self)


def path_map_of(field: QPlainTextEdit) -> PathMap:
    """The path map typed, one LOCAL=REMOTE per line; ValueError in words."""
    try:
        return PathMap.parse([line.strip() for line in field.toPlainText().splitlines() if line.strip()])
    except ValueError as err:
        raise ValueError(str(err).replace("--path-map ", "Path map: ")) from None
