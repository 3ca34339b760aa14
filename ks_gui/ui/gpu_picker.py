"""The GPU picker: the machine's NVIDIA GPUs by index, name, memory and compute capability, busy ones marked, and
a sentence when there is no GPU. nvidia-smi takes from 50 ms to over a second to answer, so the window opens without
waiting for it: the GPUs are read on a pool thread and listed when they are known."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from ks_gui.core.gpu_choice import Gpu, GpuRequest, GpuScan, scan_gpus
from ks_gui.ui.threads import run_in_background


class GpuPicker(QWidget):
    """`scan`: the GPUs to list (tests); None: read them with nvidia-smi when scan_in_background() is called (the
    window calls it once its first frame is on screen). `scanned` is sent once they are listed."""

    scanned = Signal()

    def __init__(self, scan: GpuScan | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        # A long GPU description is elided where the form is narrow, never clipped (issue 15); whole in the list.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.note)
        self.gpus: list[Gpu] = []  # what the window's queue places sorts on
        self._wanted: GpuRequest | None = None  # the remembered choice, until the GPUs it may name are known
        self._cpu_sorter = False  # the chosen sorter sorts on the CPU too (Kilosort 4): no GPU is no fault
        self._problem: str | None = None  # what the scan found wrong ("" nothing; None: not scanned yet)
        if scan is not None:
            self.fill(scan)
        else:
            self._list([])
            self.note.setText("Looking for NVIDIA GPUs…")

    def scan_in_background(self) -> None:
        run_in_background(scan_gpus, self._on_scanned, self)

    def choose(self, request: GpuRequest) -> None:
        """Select `request` now, or once the GPUs are known if it names one not listed yet."""
        self._wanted = request
        index = self.combo.findData(request)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def fill(self, scan: GpuScan) -> None:
        chosen = self.combo.currentData()
        if chosen in (None, "auto") and self._wanted is not None:  # nobody chose since the settings were applied
            chosen = self._wanted
        self.gpus = list(scan.gpus)
        self._list(scan.gpus)
        self.combo.setCurrentIndex(max(0, self.combo.findData(chosen)))
        self._problem = scan.problem
        self._say_problem()
        self.scanned.emit()

    def for_sorter(self, sorts_on_cpu: bool) -> None:
        """Word the note for the chosen sorter: Kilosort 2.5 needs a GPU; Kilosort 4 sorts without one."""
        self._cpu_sorter = sorts_on_cpu
        self._say_problem()

    def _say_problem(self) -> None:
        if self._problem is None:  # still "Looking for NVIDIA GPUs…"
            return
        if not self._problem:
            self.note.setText("")
        elif self._cpu_sorter:
            self.note.setText("No GPU: Kilosort 4 sorts on the CPU, more slowly.")
            self.note.setToolTip(self._problem)
        else:
            self.note.setText(
                f"No GPU: {self._problem}. Kilosort 2.5 needs an NVIDIA GPU (Kilosort 4 can sort on the CPU); "
                "see Check setup."
            )
            self.note.setToolTip("")
        self.note.setVisible(bool(self._problem))

    def request(self) -> GpuRequest:
        return self.combo.currentData()

    def _list(self, gpus: list[Gpu]) -> None:
        self.combo.clear()
        self.combo.addItem("Automatic (least busy)", "auto")
        for gpu in gpus:
            self.combo.addItem(gpu.describe_in_full(), gpu.index)
        self.combo.addItem("No GPU (only images that allow it)", "none")

    @Slot(object)
    def _on_scanned(self, scan: object) -> None:
        self.fill(scan if isinstance(scan, GpuScan) else GpuScan([], f"the GPU scan failed ({scan})"))
