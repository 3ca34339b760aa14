"""The pictures as images: a recording's trace preview, a sort's drift map, a unit's template. Drawn with QImage and
QPainter from numbers core computed (core/recordings/preview.py, core/results/units.py): one image per picture, never
a point per spike. The window shows them; the CLI writes them as PNG (offscreen Qt, no display needed). Imported only
when a picture is first drawn: the window opens without it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF

from ks_gui.core.ground.contract import RUN_FOLDER
from ks_gui.core.recordings.preview import Preview
from ks_gui.core.results.drift_estimate import DriftEstimate
from ks_gui.core.results.units import UNIT_COLUMNS, DriftMap, SortResults, kept_drift_map, kept_results

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


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values (1, 2 or 5 times a power of ten apart) within [low, high]."""
    span = high - low
    if not np.isfinite(span) or span <= 0:
        return [low]
    raw = span / count
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999)
    first = np.ceil(low / step - 1e-9) * step
    return [float(v) for v in np.arange(first, high + step * 1e-6, step)]


def _tick_text(value: float, ticks: list[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    decimals = max(0, -int(np.floor(np.log10(step)))) if step < 1 else 0
    return f"{0.0 if abs(value) < step * 1e-6 else value:.{decimals}f}"  # never "-0"


def _canvas(size: tuple[int, int], ratio: float) -> QImage:
    """A white picture of `size` logical pixels, `ratio` device pixels each (2 on a 4K screen scaled 200 %: sharp,
    its text the same size as at 1x)."""
    canvas = QImage(round(size[0] * ratio), round(size[1] * ratio), QImage.Format.Format_ARGB32)
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(QColor("white"))
    return canvas


def _area(outer: QRect) -> QRect:
    """Where the data go inside `outer`: room for the title, the ticks and the axes' labels around them."""
    return outer.adjusted(MARGIN_LEFT, MARGIN_TOP, -MARGIN_RIGHT, -MARGIN_BOTTOM)


def _axes(painter: QPainter, outer: QRect, title: str, x_label: str, y_label: str,
          x_range: tuple[float, float], y_range: tuple[float, float]) -> None:  # fmt: skip
    """A frame around the plot area of `outer`, round ticks on both axes, the axes' labels and a title."""
    area = _area(outer)
    painter.setPen(QPen(QColor("#444444")))
    painter.drawRect(area)
    font = QFont()
    font.setPointSizeF(8.5)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    (x0, x1), (y0, y1) = x_range, y_range
    ticks = _nice_ticks(x0, x1)
    for value in ticks:
        x = area.left() + (value - x0) / ((x1 - x0) or 1) * area.width()
        text = _tick_text(value, ticks)
        painter.drawLine(int(x), area.bottom(), int(x), area.bottom() + 4)
        painter.drawText(int(x - metrics.horizontalAdvance(text) / 2), area.bottom() + 6 + metrics.ascent(), text)
    ticks = _nice_ticks(y0, y1, 4 if area.height() < 160 else 6)
    for value in ticks:
        y = area.bottom() - (value - y0) / ((y1 - y0) or 1) * area.height()
        text = _tick_text(value, ticks)
        painter.drawLine(area.left() - 4, int(y), area.left(), int(y))
        painter.drawText(area.left() - 8 - metrics.horizontalAdvance(text), int(y + metrics.ascent() / 2 - 1), text)
    painter.drawText(QRect(area.left(), outer.bottom() - metrics.height() - 1, area.width(), metrics.height()),
                     Qt.AlignmentFlag.AlignHCenter, x_label)  # fmt: skip
    painter.save()
    painter.translate(outer.left() + 12, area.center().y())
    painter.rotate(-90)
    painter.drawText(QRect(-area.height() // 2, -metrics.height() + 4, area.height(), metrics.height()),
                     Qt.AlignmentFlag.AlignHCenter, y_label)  # fmt: skip
    painter.restore()
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    shown = painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, outer.width() - area.left() - 4)
    painter.drawText(QRect(area.left(), outer.top() + 4, area.width(), MARGIN_TOP - 6), Qt.AlignmentFlag.AlignLeft,
                     shown)  # fmt: skip


def _plot(painter: QPainter, outer: QRect, picture: QImage, title: str, x_label: str, y_label: str,
          x_range: tuple[float, float], y_range: tuple[float, float]) -> None:  # fmt: skip
    """The picture scaled (pixels kept sharp) into the plot area of `outer`, with a title, ticks and labels."""
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(_area(outer), picture)
    _axes(painter, outer, title, x_label, y_label, x_range, y_range)


def _framed(picture: QImage, size: tuple[int, int], title: str, x_label: str, y_label: str,
            x_range: tuple[float, float], y_range: tuple[float, float], ratio: float = 1.0) -> QImage:  # fmt: skip
    """A picture of its own: `picture` plotted on a canvas of `size`."""
    canvas = _canvas(size, ratio)
    painter = QPainter(canvas)
    _plot(painter, QRect(0, 0, *size), picture, title, x_label, y_label, x_range, y_range)
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
    low, high = preview.limits  # from the noise: a pixel holding its largest sample is still pale where it is noise
    picture = _to_image(shown, low, high, _diverging_lut())
    end = preview.start_s + preview.duration_s
    what = "filtered (300 Hz highpass, median reference)" if preview.mode == "filtered" else "raw (median reference)"
    depths = (float(preview.depth_um.min()), float(preview.depth_um.max())) if preview.depth_um.size else (0, 0)
    title = title or f"Traces, {what}"
    canvas = _framed(picture, size, title, "time (s)", "depth (µm)", (preview.start_s, end), depths, ratio)
    _colour_key(canvas, QRect(0, 0, *size), low, high)
    return canvas


def _colour_key(canvas: QImage, outer: QRect, low: float, high: float) -> None:
    """Which colour is which value (the file's own int16 units), under the plot at its right end."""
    painter = QPainter(canvas)
    font = QFont()
    font.setPointSizeF(8)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    area = _area(outer)
    key = QImage(_diverging_lut().astype(np.uint32).reshape(1, -1).tobytes(), 256, 1, QImage.Format.Format_ARGB32)
    left_text, right_text = f"{low:.0f}", f"+{high:.0f}"
    width = min(90, area.width() // 5)
    y = outer.bottom() - metrics.height() + 2
    right = area.right() - metrics.horizontalAdvance(right_text) - 4
    bar = QRect(right - width, y + 2, width, metrics.ascent() - 4)
    painter.drawImage(bar, key)
    painter.setPen(QPen(QColor("#444444")))
    painter.drawRect(bar)
    painter.drawText(bar.right() + 4, y + metrics.ascent() - 1, right_text)
    painter.drawText(bar.left() - metrics.horizontalAdvance(left_text) - 4, y + metrics.ascent() - 1, left_text)
    painter.end()


ESTIMATE_COLOURS = ("#c62828", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00")  # one per section of the probe


def drift_map_image(drift: DriftMap, size: tuple[int, int] = (900, 520), title: str = "", ratio: float = 1.0,
                    marked: tuple[str, float] | None = None) -> QImage:  # fmt: skip
    """Spike depth by time, darker where more (and larger) spikes are: a flat band is a stable unit. Below it, on the
    same time axis, Kilosort 4's own drift estimate when the sort left one (ops.npy). `marked`: a unit's name and
    depth, marked across the map (the unit chosen in the table)."""
    image = drift.image[::-1]  # deepest bins at the top
    nonzero = image[image > 0]
    high = float(np.percentile(nonzero, 95)) if nonzero.size else 1.0
    picture = _to_image(image, 0.0, high, _grey_lut())
    times = (float(drift.time_edges_s[0]), float(drift.time_edges_s[-1]))
    depths = (float(drift.depth_edges_um[0]), float(drift.depth_edges_um[-1]))
    label = title or f"Drift map: {drift.n_spikes:,} spikes"
    width, height = size
    strip = 0 if drift.estimate is None else max(130, round(height * 0.3))
    canvas = _canvas(size, ratio)
    painter = QPainter(canvas)
    _plot(painter, QRect(0, 0, width, height - strip), picture, label, "time (s)", "depth (µm)", times, depths)
    if marked is not None:
        _mark_depth(painter, _area(QRect(0, 0, width, height - strip)), depths, *marked)
    if drift.estimate is not None:
        _draw_estimate(painter, QRect(0, height - strip, width, strip), drift.estimate, times)
    painter.end()
    return canvas


MARK_COLOUR = "#e65100"


def _mark_depth(painter: QPainter, area: QRect, depths: tuple[float, float], name: str, depth_um: float) -> None:
    """A pale band across the map at `depth_um` (the unit's own spikes stay visible in it), solid marks at both
    edges, and its name at the right end."""
    low, high = depths
    y = round(area.bottom() - (depth_um - low) / ((high - low) or 1) * area.height())
    if not area.top() <= y <= area.bottom():
        return
    band = QColor(MARK_COLOUR)
    band.setAlpha(45)
    painter.fillRect(QRect(area.left(), y - 5, area.width(), 11), band)
    pen = QPen(QColor(MARK_COLOUR))
    pen.setWidth(3)
    painter.setPen(pen)
    painter.drawLine(area.left() + 1, y, area.left() + 12, y)
    painter.drawLine(area.right() - 12, y, area.right() - 1, y)
    font = QFont()
    font.setPointSizeF(8.5)
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    text = f"{name} ({depth_um:.0f} µm)"
    box = QRect(area.right() - metrics.horizontalAdvance(text) - 8, int(y) - metrics.height() - 2,
                metrics.horizontalAdvance(text) + 6, metrics.height())  # fmt: skip
    painter.fillRect(box, QColor(255, 255, 255, 210))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _draw_estimate(painter: QPainter, outer: QRect, estimate: DriftEstimate, times: tuple[float, float]) -> None:
    """Kilosort 4's shift of each section of the probe against time, as its drift_amount.png draws it."""
    shifts = estimate.shift_um
    low, high = float(shifts.min()), float(shifts.max())
    middle, half = (low + high) / 2, max((high - low) / 2 * 1.15, 2.0)  # never a flat line magnified into noise
    depths = (middle - half, middle + half)
    area = _area(outer)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)

    def point(t: float, shift: float) -> QPointF:
        x = area.left() + (t - times[0]) / ((times[1] - times[0]) or 1) * area.width()
        return QPointF(x, area.bottom() - (shift - depths[0]) / (depths[1] - depths[0]) * area.height())

    painter.setPen(QPen(QColor("#9e9e9e"), 1, Qt.PenStyle.DashLine))
    if depths[0] < 0 < depths[1]:
        painter.drawLine(point(times[0], 0.0), point(times[1], 0.0))
    for section in range(shifts.shape[1]):
        painter.setPen(QPen(QColor(ESTIMATE_COLOURS[section % len(ESTIMATE_COLOURS)]), 1.6))
        line = zip(estimate.times_s, shifts[:, section], strict=True)
        painter.drawPolyline(QPolygonF([point(float(t), float(s)) for t, s in line]))
    sections = f", {shifts.shape[1]} sections of the probe" if shifts.shape[1] > 1 else ""
    title = f"Kilosort 4's drift estimate (ops.npy): up to {estimate.largest_um:.1f} µm{sections}"
    _axes(painter, outer, title, "time (s)", "shift (µm)", times, depths)


def template_image(template: np.ndarray, channels: np.ndarray, size: tuple[int, int] = (420, 320), title: str = "",
                   ratio: float = 1.0, sample_rate: float | None = None) -> QImage:  # fmt: skip
    """A unit's template on its best channels, one trace per channel stacked by channel, all on one scale; with the
    recording's `sample_rate`, a 1 ms scale bar under them."""
    width, height = size
    canvas = _canvas(size, ratio)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSizeF(8.5)
    painter.setFont(font)
    top = 6
    if title:
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#222222"))
        shown = painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, width - 8)
        painter.drawText(4, 4 + painter.fontMetrics().ascent(), shown)
        painter.setFont(font)
        top = painter.fontMetrics().height() + 10
    n_samples, n_channels = template.shape
    span = float(np.abs(template).max()) or 1.0
    bottom = 8 + (painter.fontMetrics().height() + 6 if sample_rate else 0)  # room for the scale bar
    lane = (height - top - bottom) / max(n_channels, 1)
    left = painter.fontMetrics().horizontalAdvance("ch 000") + 10
    xs = left + np.arange(n_samples) * (width - left - 8) / max(n_samples - 1, 1)
    for column in range(n_channels):
        base = height - bottom - (column + 0.5) * lane
        ys = base - template[:, column] / span * lane * 0.9
        painter.setPen(QPen(QColor("#1f4e9e"), 1.5))
        painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]))
        painter.setPen(QPen(QColor("#444444")))
        painter.drawText(4, int(base + painter.fontMetrics().ascent() / 2 - 1), f"ch {int(channels[column])}")
    if sample_rate:
        _time_scale_bar(
            painter, float(xs[-1]), height - 6, (xs[1] - xs[0]) * sample_rate / 1000 if n_samples > 1 else 0
        )
    painter.end()
    return canvas


def _time_scale_bar(painter: QPainter, right: float, baseline: int, pixels_per_ms: float) -> None:
    """A 1 ms bar ending at `right`, its label beside it, on `baseline`."""
    if pixels_per_ms <= 0:
        return
    painter.setPen(QPen(QColor("#222222"), 2))
    y = baseline - painter.fontMetrics().height() // 2
    painter.drawLine(int(right - pixels_per_ms), y, int(right), y)
    text = "1 ms"
    painter.drawText(int(right - pixels_per_ms - painter.fontMetrics().horizontalAdvance(text) - 6),
                     baseline - painter.fontMetrics().descent(), text)  # fmt: skip


MAX_TABLE_ROWS = 400  # a longer table's picture says how to list them all
LABEL_COLOURS = {"good": "#2e7d32", "mua": "#b26a00", "noise": "#757575", "non_soma": "#6a1b9a"}
LABEL_COLUMNS = (UNIT_COLUMNS.index("Label"), UNIT_COLUMNS.index("Auto label"))  # coloured by their label


def units_table_image(results: SortResults, title: str = "", ratio: float = 1.0) -> QImage:
    """The unit table as a picture: one row per unit (by id), the label coloured, numbers right-aligned."""
    font = QFont()
    font.setPointSizeF(9)
    bold = QFont(font)
    bold.setBold(True)
    probe = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(probe)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    painter.end()
    units = results.units[:MAX_TABLE_ROWS]
    rows = [tuple(text for _, text in unit.cells()) for unit in units]
    pad, line = 14, metrics.height() + 6
    widths = [max(metrics.horizontalAdvance(t) for t in (name, *(r[i] for r in rows))) + 4 + pad
              for i, name in enumerate(UNIT_COLUMNS)]  # fmt: skip
    good = sum(u.label == "good" for u in results.units)
    title = title or f"{len(results.units)} units ({good} good) over {results.duration_s:.1f} s"
    more = len(results.units) - len(units)
    width = max(sum(widths) + 2 * pad, metrics.horizontalAdvance(title) + 40)
    height = (len(rows) + 2 + (1 if more else 0)) * line + 2 * pad
    canvas = _canvas((width, height), ratio)
    painter = QPainter(canvas)
    painter.setFont(bold)
    painter.setPen(QColor("#222222"))
    painter.drawText(pad, pad + metrics.ascent(), title)
    top = pad + line

    def cells(y: int, texts: tuple[str, ...], colour: str | None = None) -> None:
        x = pad
        for i, (text, column_width) in enumerate(zip(texts, widths, strict=True)):
            labelled = i in LABEL_COLUMNS
            painter.setPen(QColor(colour or (LABEL_COLOURS.get(text, "#222222") if labelled else "#222222")))
            align = Qt.AlignmentFlag.AlignLeft if labelled else Qt.AlignmentFlag.AlignRight
            painter.drawText(QRect(x, y, column_width - pad // 2, line), align | Qt.AlignmentFlag.AlignVCenter, text)
            x += column_width

    cells(top, UNIT_COLUMNS, "#222222")
    painter.setPen(QColor("#888888"))
    painter.drawLine(pad, top + line, width - pad, top + line)
    painter.setFont(font)
    for index, row in enumerate(rows):
        y = top + (index + 1) * line
        if index % 2:
            painter.fillRect(QRect(pad, y, width - 2 * pad, line), QColor("#f2f4f7"))
        cells(y, row)
    if more:
        painter.setPen(QColor("#555555"))
        text = f"… and {more} more units: `ks-gui results OUTPUT` lists them all"
        painter.drawText(pad, top + (len(rows) + 1) * line + metrics.ascent() + 3, text)
    painter.end()
    return canvas


DRIFT_PNG, UNITS_PNG = "drift_map.png", "units.png"


def write_result_pictures(folder: Path, results: SortResults, drift: DriftMap, name: str) -> list[Path]:
    """The drift map and the unit table as PNG into `folder` (made when missing); the paths written."""
    ensure_offscreen_app()
    folder.mkdir(parents=True, exist_ok=True)
    drift_path, units_path = folder / DRIFT_PNG, folder / UNITS_PNG
    save_png(drift_map_image(drift, title=f"Drift map of {name}: {drift.n_spikes:,} spikes"), str(drift_path))
    good = sum(u.label == "good" for u in results.units)
    title = f"Units of {name}: {len(results.units)} units ({good} good) over {results.duration_s:.1f} s"
    save_png(units_table_image(results, title), str(units_path))
    return [drift_path, units_path]


def write_kept_pictures(output: Path) -> list[Path]:
    """A finished sort's pictures under `<output>/.ks-gui/`, drawn from the numbers the run kept there (none when it
    kept none: an older sort, a damaged folder)."""
    drift, results = kept_drift_map(output), kept_results(output)
    if drift is None or results is None:
        return []
    return write_result_pictures(output / RUN_FOLDER, results, drift, output.name)


def ensure_offscreen_app() -> None:
    """Painting text needs a Qt application: the CLI makes one that draws offscreen (no display needed)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        QGuiApplication(["ks-gui", "-platform", "offscreen"])


def save_png(image: QImage, path: str) -> None:
    if not image.save(path, "PNG"):  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes only str
        raise OSError(f"cannot write {path}")
