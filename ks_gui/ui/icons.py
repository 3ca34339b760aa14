"""The app's icons: Font Awesome 6 solid glyphs ("fa6s.play"), drawn from the font qtawesome bundles, without qtawesome.

Importing qtawesome took longer than opening a bare window (issue #8, #27): it imports qtpy, whose
`from PySide6.QtCore/QtGui/QtWidgets import *` creates every Qt class (~0.25 s on a loaded 2-core machine). The app
only needs qtawesome's font file and its charmap (name -> code point), so it reads those two files itself (~5 ms) and
draws each glyph as qtawesome's default "text" painter does, pixel for pixel (tests/ui/test_window_start.py compares).

Even those 5 ms wait for the window's first frame: until the font is loaded, an icon paints nothing at its size, so
nothing moves when the glyphs appear. The first time an icon is painted, the font is loaded right after that frame,
and every window repaints with the glyphs.
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QPoint, QRect, QTimer
from PySide6.QtGui import QIcon, QIconEngine
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:  # the painting's classes are imported where they paint: PySide builds each class when first named
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap

PREFIX = "fa6s"  # the one font the app's icons name: Font Awesome 6, solid
# qtawesome's file names, their version part left open: fontawesome6-solid-webfont-6.7.2.ttf and its -charmap-….json
_FONT_FILES = "fontawesome6-solid-webfont-*.ttf"

_font_family: str | None = None  # set by load_now()
_charmap: dict[str, str] = {}  # glyph name ("play") -> its character, set by load_now()
_load_scheduled = False


def icon(name: str, **options: Any) -> QIcon:
    """The glyph `name` ("fa6s.play"), in the palette's text colour or `color` ("#1565c0"); blank until loaded."""
    prefix, _, glyph = name.partition(".")
    if prefix != PREFIX:
        raise ValueError(f"{name!r}: the app's icons are Font Awesome 6 solid glyphs, named {PREFIX}.<name>")
    if set(options) - {"color"}:
        raise TypeError(f"icon() takes only color=…, not {sorted(set(options) - {'color'})}")
    if _charmap and glyph not in _charmap:
        raise ValueError(f"{name!r}: Font Awesome 6 solid has no such glyph")
    return QIcon(_GlyphEngine(glyph, options.get("color")))


def loaded() -> bool:
    """Whether the font is loaded and icons show their glyphs."""
    return _font_family is not None


def load_now() -> None:
    """Load the font and its charmap now (a no-op once loaded); every window is repainted with the glyphs."""
    global _font_family
    if _font_family is not None:
        return
    from PySide6.QtGui import QFontDatabase  # some ms to build: after the first frame, with the font

    font_file = _font_file()
    family_id = QFontDatabase.addApplicationFont(str(font_file))
    families = QFontDatabase.applicationFontFamilies(family_id)
    if not families:
        raise RuntimeError(f"Qt could not load the icons' font {font_file}")
    charmap_file = font_file.with_name(font_file.name.replace("-webfont-", "-webfont-charmap-")).with_suffix(".json")
    codes = json.loads(charmap_file.read_text(encoding="utf-8"))
    _charmap.update((glyph, chr(int(code, 16))) for glyph, code in codes.items())
    _font_family = families[0]
    for window in QApplication.topLevelWidgets():
        if window.isVisible():
            window.repaint()  # with its children: every icon paints its glyph now


def _font_file() -> Path:
    """qtawesome's bundled Font Awesome 6 solid font, found without importing qtawesome."""
    spec = find_spec("qtawesome")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("qtawesome, whose fonts draw the icons, is not installed")
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    found = sorted(fonts.glob(_FONT_FILES))
    if not found:
        raise RuntimeError(f"no {_FONT_FILES} in {fonts}")
    return found[-1]


def _schedule_load() -> None:
    """Load the font once the frame being painted is on screen (the next turn of the event loop)."""
    global _load_scheduled
    if not _load_scheduled:
        _load_scheduled = True
        QTimer.singleShot(0, load_now)


class _GlyphEngine(QIconEngine):
    """Paints nothing until the font is loaded (its first paint schedules the loading), then its glyph as
    qtawesome's CharIconPainter draws it: a pixel size of 7/8 of the height, centred, in the palette's text colour
    (disabled: the palette's disabled text colour) unless given one; colours read when first drawn."""

    def __init__(self, glyph: str, color: Any = None) -> None:
        super().__init__()
        self._glyph = glyph
        self._color = color
        self._colors: tuple[QColor, QColor] | None = None  # normal (also active, selected), disabled

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        if _font_family is None:
            _schedule_load()
            return
        from PySide6.QtGui import QColor, QFont, QPalette

        if self._colors is None:
            palette = QApplication.palette()
            normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
            disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            self._colors = (normal if self._color is None else QColor(self._color), disabled)
        painter.save()
        painter.setPen(self._colors[1] if mode == QIcon.Mode.Disabled else self._colors[0])
        font = QFont()
        font.setFamily(_font_family)
        font.setPixelSize(round(0.875 * rect.height()))
        font.setStyleName("Solid")
        painter.setFont(font)
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, _charmap[self._glyph])
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        from PySide6.QtGui import QColor, QPainter, QPixmap

        pixmap = QPixmap(size)
        pixmap.fill(QColor(0, 0, 0, 0))  # transparent
        if _font_family is None:
            _schedule_load()  # styles paint button and tab icons through pixmap()
            return pixmap
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return _GlyphEngine(self._glyph, self._color)


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
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        mode = QIcon.Mode.Normal if self.isEnabled() else QIcon.Mode.Disabled
        self.icon.paint(painter, self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, mode)
        painter.end()
