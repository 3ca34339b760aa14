"""The image dialog: **Build image…** (the base image's download per layer, then the build log live; cancellable)
and **Clear compiled files** (the mex files kept for the image)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ks_gui.core.doors.engine import EngineError, connect
from ks_gui.core.doors.images import (
    BASE_IMAGE,
    IMAGE_CONTEXT,
    RECIPES,
    BuildFinished,
    BuildLine,
    ImageBuild,
    LayerProgress,
    SpaceCheck,
    clear_compiled_files,
    space_check,
)
from ks_gui.core.ground.readable import human_bytes
from ks_gui.ui.threads import end_thread, run_in_background, start_on_thread


class BuildWorker(QObject):
    """Lives on a QThread; `run()` pulls and builds, turning core's events into signals."""

    layer = Signal(LayerProgress)
    line = Signal(str)
    finished = Signal(BuildFinished)
    refused = Signal(str)

    def __init__(self, tag: str, context: Path, base_image: str | None, files: dict[str, Path] | None = None) -> None:
        super().__init__()
        self._tag, self._context, self._base, self._files = tag, context, base_image, files
        self._build: ImageBuild | None = None
        self._cancel_requested = False

    @Slot()
    def run(self) -> None:
        try:
            engine = connect()
        except EngineError as err:
            self.refused.emit(err.message)
            return
        self._build = ImageBuild(engine, tag=self._tag, context=self._context, base_image=self._base, files=self._files)
        if self._cancel_requested:
            self._build.cancel()
        for event in self._build.events():
            if isinstance(event, LayerProgress):
                self.layer.emit(event)
            elif isinstance(event, BuildLine):
                self.line.emit(event.text)
            else:
                self.finished.emit(event)

    def cancel(self) -> None:
        """From the GUI thread: shuts the engine connection, so the worker's loop ends at once."""
        self._cancel_requested = True
        if self._build is not None:
            self._build.cancel()


class ImageDialog(QDialog):
    def __init__(
        self,
        image: str,
        parent: QWidget | None = None,
        context: Path = IMAGE_CONTEXT,
        base_image: str | None = BASE_IMAGE,
        sorter: str | None = None,
    ) -> None:
        """`sorter`: build that sorter's image (its recipe's Dockerfile, files and base); otherwise `context` is
        built on `base_image`."""
        super().__init__(parent)
        self.setWindowTitle(f"Image {image}")
        self.image_name = image
        self._files: dict[str, Path] = {}
        self._size = None
        if sorter in RECIPES:
            recipe = RECIPES[sorter]
            context, base_image, self._files, self._size = (
                recipe.folder,
                recipe.base_image,
                recipe.files,
                recipe.size_bytes,
            )
        self._context, self._base = context, base_image
        self._thread: QThread | None = None
        self._worker: BuildWorker | None = None

        self.space = QLabel()
        self.space.setWordWrap(True)
        pulled = f"the base image {base_image}" if base_image else "nothing"
        self.status = QLabel(f"Building pulls {pulled} when it is missing.")
        self.status.setWordWrap(True)
        self.layer = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(QFont("monospace", 9))
        self.log.setPlaceholderText("The build log appears here.")
        self.build_button = QPushButton("Build image")
        self.build_button.clicked.connect(self.start_build)
        self.cancel_button = QPushButton("Cancel build")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_build)
        self.clear_button = QPushButton("Clear compiled files")
        self.clear_button.setToolTip("Remove the mex files compiled for this image; the next sort compiles them again")
        self.clear_button.clicked.connect(self.clear_compiled)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.build_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        for widget in (self.space, self.status, self.layer, self.progress):
            layout.addWidget(widget)
        layout.addWidget(self.log, stretch=1)
        layout.addLayout(buttons)
        self.resize(760, 520)
        self._show_space()

    def _show_space(self) -> None:
        """The free space against the image's size, read off the GUI thread (Docker may hang); Build waits for it."""
        self.build_button.setEnabled(False)
        self.space.setText("Checking the free space for the image…")
        run_in_background(self._space_check, self._on_space_check, self)

    def _space_check(self) -> SpaceCheck:
        engine = connect()
        base_present = self._base is None or engine.image(self._base) is not None
        root = engine.info().get("DockerRootDir")
        return (
            space_check(root, base_present, image_bytes=self._size) if self._size else space_check(root, base_present)
        )

    @Slot(object)
    def _on_space_check(self, check: object) -> None:
        if isinstance(check, EngineError):
            self.space.setText(check.message)
            return
        if isinstance(check, Exception):
            raise check
        assert isinstance(check, SpaceCheck)
        self.space.setText(check.message())
        self.space.setStyleSheet("" if check.enough else "color: #b00020;")
        self.build_button.setEnabled(check.enough and not self.running)

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def start_build(self) -> None:
        self.log.clear()
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self._set_running(True)
        self._worker = BuildWorker(self.image_name, self._context, self._base, self._files)
        self._worker.layer.connect(self._on_layer)
        self._worker.line.connect(self._on_line)
        self._worker.finished.connect(self._on_finished)
        self._worker.refused.connect(self._on_refused)
        self._thread = start_on_thread(self._worker, self)

    @Slot()
    def cancel_build(self) -> None:
        if self._worker is not None:
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")
            self._worker.cancel()

    @Slot()
    def clear_compiled(self) -> None:
        self.clear_button.setEnabled(False)
        self.status.setText("Clearing the compiled files…")
        run_in_background(self._clear_compiled, self._on_cleared, self)

    def _clear_compiled(self) -> str:
        image = connect().image(self.image_name)
        if image is None:
            return f"The image {self.image_name} is not on this machine, so it has no compiled files."
        return clear_compiled_files(image).message()

    @Slot(object)
    def _on_cleared(self, said: object) -> None:
        if isinstance(said, Exception) and not isinstance(said, EngineError):
            raise said
        self.status.setText(said.message if isinstance(said, EngineError) else str(said))
        self.clear_button.setEnabled(not self.running)

    def _set_running(self, running: bool) -> None:
        self.build_button.setEnabled(not running)
        self.clear_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _end_thread(self) -> None:
        end_thread(self._thread)
        self._thread = None
        self._worker = None
        self._set_running(False)

    @Slot(LayerProgress)
    def _on_layer(self, event: LayerProgress) -> None:
        self.status.setText(
            f"Downloading the base image: {human_bytes(event.downloaded)} of {human_bytes(event.known_total)}"
        )
        if event.known_total:
            self.progress.setValue(round(1000 * event.downloaded / event.known_total))
        self.layer.setText(event.describe())

    @Slot(str)
    def _on_line(self, text: str) -> None:
        if self.status.text().startswith(("Starting", "Downloading")):
            self.status.setText("Building…")
            self.layer.clear()
            self.progress.setRange(0, 0)  # a build says no total: a busy bar
        self.log.appendPlainText(text)

    @Slot(BuildFinished)
    def _on_finished(self, finished: BuildFinished) -> None:
        self._end_thread()
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if finished.succeeded else 0)
        self.status.setText(finished.summary())
        self.status.setStyleSheet("" if finished.succeeded or finished.cancelled else "color: #b00020;")

    @Slot(str)
    def _on_refused(self, message: str) -> None:
        self._end_thread()
        self.status.setText(message)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._worker is not None:
            self._worker.cancel()
            self._end_thread()
        super().closeEvent(event)
