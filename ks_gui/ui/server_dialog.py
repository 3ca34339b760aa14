"""Tools → Add a GPU server…: the server's SSH address and, when the shared storage has other names there, its
path map. Adding logs in once (keys only) and asks the server's Docker: what does not work is said in one sentence
here, and nothing is remembered."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QLineEdit, QWidget

from ks_gui.core.doors.servers import PathMap, remember_server, remembered_servers
from ks_gui.ui.check_and_add import CheckAndAddDialog, path_map_of

if TYPE_CHECKING:
    from ks_gui.core.sorting import ServerPlace


class ServerDialog(CheckAndAddDialog):
    def __init__(self, parent: QWidget | None = None, address: str = "") -> None:
        super().__init__(
            parent,
            "Add a GPU server",
            "Sort on a lab server's Docker over SSH. ks-gui logs in with your SSH keys (never a password): "
            "<code>ssh user@host</code> must work in a terminal first. The recordings and results must be on "
            "storage the server sees too.",
        )
        self.address = QLineEdit(address)
        self.address.setPlaceholderText("ssh://me@gpu-server")
        self.path_map = self.path_map_field(
            "\n".join(remembered_servers().get(address, PathMap()).texts()),
            "/mnt/lab=/data/lab   (one LOCAL=SERVER per line; empty: same paths)",
            lines=4,
        )
        self.lay_out([("Address", self.address), ("Path map", self.path_map)], min_width=560)

    def check_and_add(self) -> None:
        address = self.address.text().strip()
        try:
            path_map = path_map_of(self.path_map)
        except ValueError as err:
            self.status.setText(str(err))
            return

        def answered(said: object) -> None:
            if isinstance(said, str):
                remember_server(address, path_map)
                self.added = address
                self.status.setText(said)
                self.accept()
            else:
                self.status.setText(getattr(said, "message", str(said)))

        self.check_off_thread(f"Logging in to {address}…", lambda: _reach(address, path_map), answered)


def _reach(address: str, path_map: PathMap) -> str:
    """Log in and ask the server's Docker (blocking: off the GUI thread). What was found, in words; PlaceError
    when it does not work."""
    from ks_gui.core import sorting

    if not address.startswith("ssh://"):
        raise sorting.PlaceError(f"{address!r} is not a server address: write it as ssh://user@host")
    place = cast("ServerPlace", sorting.open_place(address, timeout=20, path_map=path_map))  # ssh://: a server
    scan = place.scan_gpus()
    gpus = ", ".join(gpu.describe() for gpu in scan.gpus) or scan.problem
    return f"{place.title}: Docker {place.version()}; {gpus}"
