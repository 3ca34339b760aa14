"""Small pieces the sort form is built from: a form layout that wraps, fields that give up width, the GPU section,
and the Advanced section (container settings and the sorter's own parameters), closed until the user opens it."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QMargins
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.sorters import Sorter
from ks_gui.ui.forward_compat_choice import ForwardCompatChoice
from ks_gui.ui.gpu_picker import GpuPicker
from ks_gui.ui.param_form import ParamForm

QWIDGETSIZE_MAX = 16777215  # Qt's "no maximum"

FieldT = TypeVar("FieldT", bound=QWidget)


def form_layout(box: QWidget) -> QFormLayout:
    """A form whose fields go under their labels where the panel is too narrow for both side by side."""
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def narrowable(field: FieldT) -> FieldT:
    """A field that gives up width before the panel clips it (its text scrolls inside it)."""
    field.setMinimumWidth(80)
    field.setSizePolicy(QSizePolicy.Policy.Ignored, field.sizePolicy().verticalPolicy())
    return field


class GpuSection(QGroupBox):
    """Which GPU a sort uses, and how many sorts the queue runs at a time on each."""

    def __init__(self, sorts_per_gpu: int) -> None:
        super().__init__("GPU")
        self.picker = GpuPicker()
        self.sorts_per_gpu = QSpinBox()
        self.sorts_per_gpu.setRange(1, 8)
        self.sorts_per_gpu.setSuffix(" at a time on each GPU (or the CPU)")
        self.sorts_per_gpu.setToolTip("Queued sorts beyond this wait until a sort on their GPU ends")
        self.sorts_per_gpu.setValue(max(1, sorts_per_gpu))
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addWidget(self.sorts_per_gpu)


class AdvancedSection(QGroupBox):
    """Environment variables and extra folders for the container, CUDA forward compatibility, the sorter's
    parameters. Collapsed, it is its title alone; checked, it opens."""

    def __init__(self, sorter: Sorter) -> None:
        super().__init__("Advanced: container and Kilosort parameters")
        self.setToolTip("Empty fields keep their defaults")
        self.setCheckable(True)
        self.setChecked(False)
        self.environment = narrowable(QLineEdit())
        self.environment.setPlaceholderText("KEY=VALUE pairs, e.g. HTTPS_PROXY=http://proxy:3128")
        self.mounts = QPlainTextEdit()
        self.mounts.setPlaceholderText("one folder per line: SRC[:DST][:ro]")
        self.mounts.setFixedHeight(52)
        self.param_form = ParamForm(sorter)
        self.forward_compat = ForwardCompatChoice()
        self._content = QWidget()
        self.form = form_layout(self._content)
        self.form.addRow("Environment", self.environment)
        self.form.addRow("Extra folders", self.mounts)
        self.form.addRow("CUDA forward compatibility", self.forward_compat)
        self.form.addRow(self.param_form)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self._content)
        self._open_margins = self._layout.contentsMargins()
        self._open(False)
        self.toggled.connect(self._open)

    def _open(self, opened: bool) -> None:
        self._content.setVisible(opened)
        self.setFlat(not opened)  # collapsed: the title alone, no empty frame under it
        self._layout.setContentsMargins(self._open_margins if opened else QMargins())
        # A flat box still draws an empty strip under its title: collapsed, it is cut to the title's height.
        title = max(self.fontMetrics().height(), self.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorHeight))
        self.setMaximumHeight(QWIDGETSIZE_MAX if opened else title + 2)
