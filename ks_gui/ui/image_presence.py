"""Whether the image the form names is on this computer's Docker, asked off the GUI thread whenever the sorter, the
place or the image changes: a missing image keeps Sort disabled before the user presses it, with a hint that names
the local Kilosort 4 (which needs no image) (issue 29)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from ks_gui.ui.threads import run_in_background

DOCKER = "docker"


def _missing_image_sentence(image: str) -> str:
    """Blocking (Docker is asked): why `image` cannot sort on this computer's Docker, or "" when it is there (or
    Docker cannot be asked: the check at Sort then says why)."""
    from ks_gui.core import sorting

    try:
        readiness = sorting.open_place(DOCKER, timeout=10).readiness(image)
    except sorting.PlaceError:
        return ""
    return next((message for field, message in readiness.problems if field == "image"), "")


def local_kilosort4_hint() -> str:
    """The other way to sort here: the app's own Kilosort 4, installed or one click away."""
    from ks_gui.core.doors import kilosort4_install as kilosort4_env

    installed = kilosort4_env.env_python(kilosort4_env.env_dir()).exists()
    how = "installed already" if installed else "Install Kilosort 4… installs it"
    return f"or sort with Kilosort 4 on 'This computer, no Docker' ({how}: no image, no MATLAB)"


class ImagePresence(QObject):
    """Signals: changed() when what is known about the named image changed (the form validates again)."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._asked: tuple[str, str] = ("", "")  # (place, image) asked last
        self._missing: dict[str, str] = {}  # image -> why it cannot sort ("" when it is there)

    def ask(self, place: str, image: str, again: bool = False) -> None:
        """Find out, in the background, whether `image` is on `place` (only this computer's Docker is asked)."""
        self._asked = (place, image)
        if place != DOCKER or not image or (image in self._missing and not again):
            return
        run_in_background(lambda: (image, _missing_image_sentence(image)), self._answered, self)

    @Slot(object)
    def _answered(self, answer: object) -> None:
        if not isinstance(answer, tuple):  # a bug in the question: the check at Sort still says what is wrong
            return
        image, sentence = answer
        if self._missing.get(image) != sentence:
            self._missing[image] = sentence
            self.changed.emit()

    def problem_text(self, place: str, image: str) -> str:
        """Why `image` cannot sort on `place`, with the hint; "" when it can, or nobody knows yet."""
        sentence = self._missing.get(image, "") if place == DOCKER else ""
        if not sentence:
            return ""
        return sentence.replace(": build it first", ": build it (Build image…), ") + local_kilosort4_hint()
