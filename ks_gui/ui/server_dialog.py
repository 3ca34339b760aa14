"""Tools → Add a GPU server…: the server's SSH address and, when the shared storage has other names there, its
path map. Adding logs in once (keys only) and asks the server's Docker: what does not work is said in one sentence
here, and nothing is remembered."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.servers import PathMap, remember_server, remembered_servers
from ks_gui.ui.threads import run_in_background


class ServerDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, address: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a GPU server")
        self.added = ""  # the address, once the server answered and was remembered
        intro = QLabel(
            "Sort on a lab server's Docker over SSH. ks-gui logs in with your SSH keys (never a password): "
            "<code>ssh user@host</code> must work in a terminal first. The recordings and results must be on "
            "storage the server sees too."
        )
        intro.setWordWrap(True)
        self.address = QLineEdit(address)
        self.address.setPlaceholderText("ssh://me@gpu-server")
        self.path_map = QPlainTextEdit("\n".join(remembered_servers().get(address, PathMap()).texts()))
        self.path_map.setPlaceholderText("/mnt/lab=/data/lab   (one LOCAL=SERVER per line; empty: same paths)")
        self.path_map.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Address", self.address)
        form.addRow("Path map", self.path_map)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("Check and add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.check_and_add)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    @Slot()
    def check_and_add(self) -> None:
        address = self.address.text().strip()
        try:
            path_map = PathMap.parse(
                [line.strip() for line in self.path_map.toPlainText().splitlines() if line.strip()]
            )
        except ValueError as err:
            self.status.setText(str(err).replace("--path-map ", "Path map: "))
            return
        self.add_button.setEnabled(False)
        self.status.setText(f"Logging in to {address}…")
        run_in_background(lambda: _reach(address, path_map), lambda said: self._reached(address, path_map, said), self)

    def _reached(self, address: str, path_map: PathMap, said: object) -> None:
        self.add_button.setEnabled(True)
        if isinstance(said, str):
            remember_server(address, path_map)
            self.added = address
            self.status.setText(said)
            self.accept()
            return
        self.status.setText(getattr(said, "message", str(said)))


def _reach(address: str, path_map: PathMap) -> str:
    """Log in and ask the server's Docker (blocking: off the GUI thread). What was found, in words; PlaceError
    when it does not work."""
    from ks_gui.core import sorting

    if not address.startswith("ssh://"):
        raise sorting.PlaceError(f"{address!r} is not a server address: write it as ssh://user@host")
    place = sorting.open_place(address, timeout=20, path_map=path_map)
    scan = place.scan_gpus()
    gpus = ", ".join(gpu.describe() for gpu in scan.gpus) or scan.problem
    return f"{place.title}: Docker {place.version()}; {gpus}"
