"""What an image's labels promise under the contract."""

from __future__ import annotations

from dataclasses import dataclass, field

from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_GPU, LABEL_SORTER


@dataclass(frozen=True)
class ImageInfo:
    name: str
    id: str
    labels: dict[str, str] = field(default_factory=dict)
    digests: tuple[str, ...] = ()
    size_bytes: int = 0

    def record(self) -> dict:
        """What a run's record (run.json) says of the image."""
        return {"name": self.name, "id": self.id, "digests": list(self.digests), "labels": self.labels}

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]

    @property
    def gpu_required(self) -> bool:
        # An image without the label is treated as the real images are: it needs a GPU.
        return self.labels.get(LABEL_GPU, "required") != "optional"

    def problems(self, sorter_name: str) -> list[str]:
        contract = self.labels.get(LABEL_CONTRACT)
        if contract is None:
            return [f"the image {self.name} is not a ks-gui image (it has no {LABEL_CONTRACT} label)"]
        if contract != str(CONTRACT_VERSION):
            return [
                f"the image {self.name} speaks contract {contract}, this ks-gui speaks {CONTRACT_VERSION}: "
                "rebuild the image or update ks-gui"
            ]
        sorter = self.labels.get(LABEL_SORTER)
        if sorter != sorter_name:
            return [f"the image {self.name} runs {sorter or 'an unknown sorter'}, not {sorter_name}"]
        return []
