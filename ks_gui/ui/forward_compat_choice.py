"""The Advanced section's CUDA forward compatibility choice: automatic (by the GPU), always on, or off."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from ks_gui.core.gpu_choice import FORWARD_COMPAT_CHOICES

_TITLES = {
    "auto": "Automatic (on for GPUs newer than MATLAB R2021b knows)",
    "on": "On",
    "off": "Off",
}
TOOLTIP = (
    "MATLAB R2021b's CUDA 11.0 libraries predate GPUs of compute capability 9.0 and up (such as the H100): they run "
    "only with CUDA forward compatibility, which MATLAB warns can give wrong answers. Automatic switches it on for "
    "such a GPU only. On forces it (for a GPU whose kernels fail to launch); Off never uses it."
)


class ForwardCompatChoice(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for choice in FORWARD_COMPAT_CHOICES:
            self.addItem(_TITLES[choice], choice)
        self.setToolTip(TOOLTIP)
        # Narrower than its longest entry where the form is narrow (elided, never clipped: issue 15).
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)

    def choice(self) -> str:
        return str(self.currentData())

    def choose(self, choice: str) -> None:
        """Select `choice`; an unknown one (an old or hand-edited settings file) leaves Automatic."""
        self.setCurrentIndex(max(0, self.findData(choice)))
