"""The GPU picker: the machine's NVIDIA GPUs by index, name, memory and compute capability, busy ones marked, and
a sentence when there is no GPU."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from ks_gui.core.gpu import GpuRequest, GpuScan, scan_gpus


class GpuPicker(QWidget):
    def __init__(self, scan: GpuScan | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.note)
        self.fill(scan if scan is not None else scan_gpus())

    def fill(self, scan: GpuScan) -> None:
        self.gpus = list(scan.gpus)  # what the window's queue places sorts on
        self.combo.clear()
        self.combo.addItem("Automatic (least busy)", "auto")
        for gpu in scan.gpus:
            self.combo.addItem(gpu.describe_in_full(), gpu.index)
        self.combo.addItem("No GPU (only images that allow it)", "none")
        self.note.setText(
            f"No GPU: {scan.problem}. Kilosort 2.5 needs an NVIDIA GPU; see Check setup." if scan.problem else ""
        )
        self.note.setVisible(bool(scan.problem))

    def request(self) -> GpuRequest:
        return self.combo.currentData()
