"""The app's icons: qtawesome's Font Awesome glyphs, with qtawesome loaded just after the window's first paint.

Loading qtawesome takes longer than opening a bare window (issue #8): it imports qtpy, whose
`from PySide6.QtCore/QtGui/QtWidgets import *` creates every Qt class (~0.1 s), and its first icon loads all twelve
bundled fonts. So until the first window has painted, `icon()` hands out a stand-in icon that paints nothing at
the same size, and nothing moves when the glyphs appear. The first time a stand-in is painted, qtawesome is loaded
right after that frame, with only the fonts the app names, and every window repaints with the real glyphs. Icons
asked for after that are qtawesome's own.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore
from PySide6.QtCore import QRect, QSize, QTimer
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

# prefix ("fa6s") -> qtawesome's IconicFont for that one font; filled by load_now()
_fonts: dict[str, Any] = {}
_load_scheduled = False


def icon(name: str, **options: Any) -> QIcon:
    """The qtawesome icon `name` ("fa6s.play") with qtawesome's options (color=…); a stand-in until it is loaded."""
    if _fonts:
        return _qtawesome_icon(name, options)
    return QIcon(_StandInEngine(name, options))


def loaded() -> bool:
    """Whether qtawesome is loaded and icons show their glyphs."""
    return bool(_fonts)


def load_now() -> None:
    """Load qtawesome now (a no-op once loaded); every window is repainted with the glyphs before this returns."""
    if _fonts:
        return
    import qtawesome  # here, not at the top: the point of this module
    from qtawesome.iconic_font import IconicFont

    # qtawesome.icon() would load all twelve bundled fonts; the app only names a few, so load those alone.
    for prefix, *files in getattr(qtawesome, "_BUNDLED_FONTS", ()):
        if prefix in _PREFIXES:
            _fonts[prefix] = IconicFont((prefix, *files))
    _fonts.setdefault("", qtawesome)  # any other prefix: qtawesome's own instance (all fonts)
    for window in QApplication.topLevelWidgets():
        if window.isVisible():
            window.repaint()  # with its children: every stand-in paints its glyph now


# The prefixes the app's icons use; another works too, through qtawesome.icon() and all its fonts.
_PREFIXES = ("fa6s",)


def _qtawesome_icon(name: str, options: dict[str, Any]) -> QIcon:
    font = _fonts.get(name.partition(".")[0], _fonts[""])
    return font.icon(name, **options)


def _schedule_load() -> None:
    """Load qtawesome once the frame being painted is on screen (the next turn of the event loop)."""
    global _load_scheduled
    if not _load_scheduled:
        _load_scheduled = True
        QTimer.singleShot(0, load_now)


class _StandInEngine(QIconEngine):
    """Paints nothing until qtawesome is loaded, then qtawesome's icon; its first paint schedules the loading."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = name
        self._options = options
        self._real: QIcon | None = None

    def _icon(self) -> QIcon | None:
        if self._real is None and _fonts:
            self._real = _qtawesome_icon(self._name, dict(self._options))
        return self._real

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        real = self._icon()
        if real is None:
            _schedule_load()
        else:
            real.paint(painter, rect, QtCore.Qt.AlignmentFlag.AlignCenter, mode, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        real = self._icon()
        if real is not None:
            return real.pixmap(size, mode, state)
        _schedule_load()  # styles paint button and tab icons through pixmap()
        blank = QPixmap(size)
        blank.fill(QColor(0, 0, 0, 0))  # transparent
        return blank

    def clone(self) -> QIconEngine:
        return _StandInEngine(self._name, self._options)


class IconLabel(QWidget):
    """An icon shown on its own, like a QLabel with the icon's pixmap, but repainted when the glyph arrives."""

    def __init__(self, name: str, size: int, parent: QWidget | None = None, **options: Any) -> None:
        super().__init__(parent)
        self.icon = icon(name, **options)
        self.setFixedSize(size, size)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if not loaded():  # nothing to paint yet
            _schedule_load()
            return
        painter = QPainter(self)
        mode = QIcon.Mode.Normal if self.isEnabled() else QIcon.Mode.Disabled
        self.icon.paint(painter, self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, mode)
        painter.end()
