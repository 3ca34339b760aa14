"""The pictures as images: a recording's trace preview, a sort's drift map, a unit's template. Drawn with QImage and
QPainter from numbers core computed (core/recordings/preview.py, core/results/units.py): one image per picture, never
a point per spike. The window shows them; the CLI writes them as PNG (offscreen Qt, no display needed). Imported only
when a picture is first drawn: the window opens without it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from ks_gui.core.recordings.preview import Preview
from ks_gui.core.results.units import DriftMap

MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_RIGHT = 64, 40, 26, 12


def _diverging_lut() -> np.ndarray:
    """Blue, white, red (as Kilosort's data view): 256 ARGB colours."""
    t = np.linspace(-1, 1, 256)
    red = np.where(t < 0, 255 * (1 + t), 255)
    blue = np.where(t > 0, 255 * (1 - t), 255)
    green = 255 * (1 - np.abs(t))
    return (0xFF << 24) | (red.astype(np.uint32) << 16) | (green.astype(np.uint32) << 8) | blue.astype(np.uint32)


def _grey_lut() -> np.ndarray:
    """White (no spikes) to black (many, large): 256 ARGB colours."""
    level = (255 - np.arange(256)).astype(np.uint32)
    return (0xFF << 24) | (level << 16) | (level << 8) | level


def _to_image(values: np.ndarray, low: float, high: float, lut: np.ndarray) -> QImage:
    """A 2-D array (rows top to bottom) as a QImage through a colour table."""
    scaled = np.clip((values - low) / max(high - low, 1e-12), 0, 1)
    argb = np.ascontiguousarray(lut[(scaled * 255).astype(np.uint8)])
    height, width = argb.shape
    return QImage(argb.data, width, height, width * 4, QImage.Format.Format_ARGB32).copy()


def _framed(picture: QImage, size: tuple[int, int], title: str, x_label: str, y_label: str,
            x_range: tuple[float, float], y_range: tuple[float, float], ratio: float = 1.0) -> QImage:  # fmt: skip
    """The picture scaled into a plot area, with a title, ticks on both axes and their labels. `size` is in the
    screen's logical pixels; `ratio` device pixels each (2 on a 4K screen scaled 200 %: sharp, text the same size)."""
    width, height = size
    canvas = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_ARGB32)
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(QColor("white"))
    area = QRect(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_LEFT - MARGIN_RIGHT, height - MARGIN_TOP - MARGIN_BOTTOM)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(area, picture)
    painter.setPen(QPen(QColor("#444444")))
    painter.drawRect(area)
    font = QFont()
    font.setPointSizeF(8.5)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    for fraction in np.linspace(0, 1, 6):
        x = area.left() + fraction * area.width()
        value = x_range[0] + fraction * (x_range[1] - x_range[0])
        text = f"{value:.3g}"
        painter.drawLine(int(x), area.bottom(), int(x), area.bottom() + 4)
        painter.drawText(int(x - metrics.horizontalAdvance(text) / 2), area.bottom() + 6 + metrics.ascent(), text)
        y = area.bottom() - fraction * area.height()
        value = y_range[0] + fraction * (y_range[1] - y_range[0])
        text = f"{value:.4g}"
        painter.drawLine(area.left() - 4, int(y), area.left(), int(y))
        painter.drawText(area.left() - 8 - metrics.horizontalAdvance(text), int(y + metrics.ascent() / 2 - 1), text)
    painter.drawText(QRect(area.left(), height - metrics.height() - 2, area.width(), metrics.height()),
                     Qt.AlignmentFlag.AlignHCenter, x_label)  # fmt: skip
    painter.save()
    painter.translate(12, area.center().y())
    painter.rotate(-90)
    painter.drawText(QRect(-area.height() // 2, -metrics.height() + 4, area.height(), metrics.height()),
                     Qt.AlignmentFlag.AlignHCenter, y_label)  # fmt: skip
    painter.restore()
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    painter.drawText(QRect(area.left(), 4, area.width(), MARGIN_TOP - 6), Qt.AlignmentFlag.AlignLeft, title)
    painter.end()
    return canvas


def _largest_per_pixel(rows: np.ndarray, width: int) -> np.ndarray:
    """More samples than pixels: each pixel shows its samples' value of largest size (a spike is never skipped)."""
    per_pixel = rows.shape[1] // max(width, 1)
    if per_pixel < 2:
        return rows
    used = rows[:, : per_pixel * (rows.shape[1] // per_pixel)].reshape(rows.shape[0], -1, per_pixel)
    pick = np.abs(used).argmax(axis=2)
    return np.take_along_axis(used, pick[..., None], axis=2)[..., 0]


def preview_image(preview: Preview, size: tuple[int, int] = (900, 520), title: str = "", ratio: float = 1.0) -> QImage:
    """Channels (deepest at the top, as on the probe) by time, blue to red."""
    rows = preview.image[::-1]  # the shallowest row at the bottom: depth grows upward as on the probe drawing
    shown = _largest_per_pixel(rows, round((size[0] - MARGIN_LEFT - MARGIN_RIGHT) * ratio))
    low, high = preview.limits
    if shown is not rows:  # each pixel holds its largest sample: colour by those, so spikes stand out of the noise
        top = float(np.percentile(np.abs(shown[:, ::4]), 99.8)) or high  # a quarter of the columns say as much
        low, high = -top, top
    picture = _to_image(shown, low, high, _diverging_lut())
    end = preview.start_s + preview.duration_s
    what = "filtered (300 Hz highpass, median reference)" if preview.mode == "filtered" else "raw (median reference)"
    depths = (float(preview.depth_um.min()), float(preview.depth_um.max())) if preview.depth_um.size else (0, 0)
    title = title or f"Traces, {what}"
    return _framed(picture, size, title, "time (s)", "depth (µm)", (preview.start_s, end), depths, ratio)


def drift_map_image(drift: DriftMap, size: tuple[int, int] = (900, 520), title: str = "") -> QImage:
    """Spike depth by time, darker where more (and larger) spikes are: a flat band is a stable unit."""
    image = drift.image[::-1]  # deepest bins at the top
    nonzero = image[image > 0]
    high = float(np.percentile(nonzero, 95)) if nonzero.size else 1.0
    picture = _to_image(image, 0.0, high, _grey_lut())
    times = (float(drift.time_edges_s[0]), float(drift.time_edges_s[-1]))
    depths = (float(drift.depth_edges_um[0]), float(drift.depth_edges_um[-1]))
    label = title or f"Drift map: {drift.n_spikes:,} spikes"
    return _framed(picture, size, label, "time (s)", "depth (µm)", times, depths)


def template_image(template: np.ndarray, channels: np.ndarray, size: tuple[int, int] = (420, 320)) -> QImage:
    """A unit's template on its best channels, one trace per channel stacked by channel."""
    width, height = size
    canvas = QImage(width, height, QImage.Format.Format_ARGB32)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    n_samples, n_channels = template.shape
    span = float(np.abs(template).max()) or 1.0
    lane = (height - 20) / max(n_channels, 1)
    painter.setPen(QPen(QColor("#1f4e9e"), 1.5))
    for column in range(n_channels):
        base = height - 10 - (column + 0.5) * lane
        xs = 40 + np.arange(n_samples) * (width - 50) / max(n_samples - 1, 1)
        ys = base - template[:, column] / span * lane * 0.9
        for i in range(n_samples - 1):
            painter.drawLine(int(xs[i]), int(ys[i]), int(xs[i + 1]), int(ys[i + 1]))
        painter.setPen(QPen(QColor("#444444")))
        painter.drawText(4, int(base + 4), f"ch {int(channels[column])}")
        painter.setPen(QPen(QColor("#1f4e9e"), 1.5))
    painter.end()
    return canvas


def ensure_offscreen_app() -> None:
    """Painting text needs a Qt application: the CLI makes one that draws offscreen (no display needed)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        QGuiApplication(["ks-gui", "-platform", "offscreen"])


def save_png(image: QImage, path: str) -> None:
    if not image.save(path, "PNG"):
        raise OSError(f"cannot write {path}")
