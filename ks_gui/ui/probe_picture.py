"""A small picture of where the probe's connected channels sit: one dot per contact, shank outlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from ks_gui.core.recordings.channel_map import ChannelMap

MARGIN = 6.0


class ProbePicture(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.channel_map: ChannelMap | None = None
        self.setFixedSize(72, 150)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.hide()

    def set_channel_map(self, channel_map: ChannelMap | None) -> None:
        self.channel_map = channel_map if channel_map is not None and channel_map.n_connected else None
        self.setVisible(self.channel_map is not None)
        self.setToolTip(self.description())
        self.update()

    def description(self) -> str:
        """The picture in words (its tooltip)."""
        m = self.channel_map
        if m is None:
            return ""
        ys = [y for y, c in zip(m.y_um, m.connected, strict=True) if c]
        shanks = f" on {m.n_shanks} shanks" if m.n_shanks > 1 else ""
        return f"{m.name}: {m.n_connected} connected channels{shanks}, {max(ys) - min(ys):.0f} µm from first to last"

    def _contacts(self) -> list[tuple[float, float, int]]:
        m = self.channel_map
        assert m is not None
        return [(x, y, k) for x, y, k, c in zip(m.x_um, m.y_um, m.shank, m.connected, strict=True) if c]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if self.channel_map is None:
            return
        contacts = self._contacts()
        xs, ys = [c[0] for c in contacts], [c[1] for c in contacts]
        width = max(max(xs) - min(xs), 1.0)
        height = max(max(ys) - min(ys), 1.0)
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

        def point(x: float, y: float) -> tuple[float, float]:
            # Probes are far taller than wide: each axis is scaled on its own, tip at the bottom.
            return (
                area.left() + (x - min(xs)) / width * area.width(),
                area.bottom() - (y - min(ys)) / height * area.height(),
            )

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = QPen(self.palette().mid().color())
        painter.setPen(outline)
        for shank in sorted({c[2] for c in contacts}):
            on_shank = [point(x, y) for x, y, k in contacts if k == shank]
            left = min(p[0] for p in on_shank) - 3
            right = max(p[0] for p in on_shank) + 3
            painter.drawRect(QRectF(left, area.top() - 3, right - left, area.height() + 6))
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#2e7d32"))
        for x, y, _shank in contacts:
            px, py = point(x, y)
            painter.drawRect(QRectF(px - 1.5, py - 1, 3, 2))
        painter.end()
