"""The main window, a shell: the setup form on the left and the sorts on the right in the Sort tab, the run history
in its own tab, the menus; it connects them and keeps the window's geometry and the user's choices."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6 import QtCore
from PySide6.QtCore import QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QPaintEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ks_gui import __version__
from ks_gui.core.settings import Settings, load_settings, save_settings, settings_file
from ks_gui.core.sorters import SHORTHANDS, SORTERS
from ks_gui.ui import dialogs, icons
from ks_gui.ui.actions import build_menus
from ks_gui.ui.drop_zone import WindowDrops
from ks_gui.ui.sort_form import RefusedError, SortForm, next_free_folder
from ks_gui.ui.sorts import Sorts
from ks_gui.ui.threads import run_detached, run_in_background

if TYPE_CHECKING:
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QAction

    from ks_gui.core.recordings.recording import Recording
    from ks_gui.core.results.history import RunRecord
    from ks_gui.ui.history_view import HistoryView
    from ks_gui.ui.run_panel import RunPanel

# What a just-opened window does not show (recording inspection, jobs, the sort machinery, dialogs) is imported where
# it is used: the window opens faster (issue #8; tests/ui/test_window_start.py keeps numpy and docker out).


WARM_UP_AFTER_MS = 1000


def _warm_up() -> None:
    """After the first frame, while the user finds a recording: load what opening one needs (probeinterface with
    numpy, about 0.3 s on a 2-core machine; the trace preview's reading and drawing), so its traces are on screen
    within 300 ms of the drop (tests/bench/pictures.py). Imports only: nothing is read or shown."""
    import probeinterface  # noqa: F401 (read_spikeglx: the Neuropixels probes)

    import ks_gui.core.recordings.preview
    import ks_gui.core.recordings.recording
    import ks_gui.ui.pictures
    import ks_gui.ui.trace_preview_panel  # noqa: F401


class MainWindow(QMainWindow):
    """Signals: completed() once the parts the first frame does not show are built (after that frame is on screen):
    the History tab's table, the menus' shortcuts; the GPUs are being read from then on."""

    completed = Signal()
    sort_action: QAction  # these two set by build_menus (actions.py)
    cancel_action: QAction

    def __init__(self, recording_path: Path | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("ks-gui — Kilosort in Docker")
        loaded = None
        if settings is None:
            loaded = load_settings()
            settings = loaded.settings
        self.settings = settings
        self._complete_scheduled = False
        self.history_view: HistoryView | None = None  # built by _complete(), after the first frame

        self.form = SortForm(self.settings)
        self.sorts = Sorts(self, lambda: self.form.gpu_picker.gpus, self.settings.sorts_per_gpu)
        # The image, the GPU, a server's folders: found only by the check at Sort.
        self.sorts.check_refused.connect(self.form.found_at_sort)
        self.form.outputs_in_use = self.sorts.outputs_in_use
        self.form.busy = lambda: self.sorts.running
        self._connect()
        self._history_page = QWidget()
        QVBoxLayout(self._history_page).setContentsMargins(0, 0, 0, 0)

        splitter = QSplitter()  # side by side
        splitter.addWidget(self.form)
        splitter.addWidget(self.sorts)
        # A wider window widens the form too (a quarter of the extra width): on a large screen its long choices and
        # parameter fields are not kept at their narrowest while the log takes the rest.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 680])
        self.splitter = splitter
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, icons.icon("fa6s.wave-square"), "Sort")
        self.tabs.addTab(self._history_page, icons.icon("fa6s.clock-rotate-left"), "History")
        self.setCentralWidget(self.tabs)
        self._shortcuts = build_menus(self)
        self.cancel_action.setEnabled(False)
        self._window_drops = WindowDrops(self, self.open_recording)  # a drop anywhere on the window

        self.form.apply_settings()
        self._restore_geometry()
        self.statusBar().showMessage(loaded.warning if loaded and loaded.warning else "Ready")
        if recording_path is not None:
            self.open_recording(recording_path)
        self.form.validate()

    def _connect(self) -> None:
        form, sorts = self.form, self.sorts
        form.drop_zone.path_chosen.connect(self.open_recording)
        form.recording_opened.connect(self._recording_opened)
        form.status.connect(self.statusBar().showMessage)
        form.validated.connect(lambda may_start: self.sort_action.setEnabled(may_start))
        form.sort_requested.connect(self.start_sort)
        form.sort_all_requested.connect(self.sort_all)
        form.check_setup_requested.connect(self.open_setup_check)
        form.image_dialog_requested.connect(self.open_image_dialog)
        form.sorter_chosen.connect(sorts.show_stages_of)
        form.gpu_picker.scanned.connect(sorts.gpus_known)
        form.sorts_per_gpu.valueChanged.connect(sorts.set_per_gpu)
        sorts.changed.connect(form.validate)
        sorts.ended.connect(self._reload_history)
        sorts.shown_changed.connect(lambda: self.cancel_action.setEnabled(self.run_panel.running))

    # --- the first frame, and after it ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if not self._complete_scheduled:  # the first frame: the window's own paint comes before its children's
            self._complete_scheduled = True
            QTimer.singleShot(0, self._complete)  # runs once the whole frame is on screen

    def _complete(self) -> None:
        """Build what the first frame does not show (ks_gui/ui/__init__.py says why it waits)."""
        from ks_gui.ui.history_view import HistoryView

        for item, shortcut in self._shortcuts:
            item.setShortcut(QKeySequence(shortcut))
        self.form.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form.after_first_frame()  # the wheel guard; Docker asked in the background whether the image is there
        self.history_view = HistoryView()
        self.history_view.run_again.connect(self.run_again)
        self.history_view.open_phy.connect(self.open_phy_for)
        cast(QVBoxLayout, self._history_page.layout()).addWidget(self.history_view)
        self.form.gpu_picker.scan_in_background()
        # A second later (the icons' glyphs are loaded and painted by then; no user drops a recording sooner).
        QTimer.singleShot(WARM_UP_AFTER_MS, lambda: run_detached(_warm_up, "warm-up"))
        self.completed.emit()

    # --- what tests and the menus reach ------------------------------------------------------------------------

    @property
    def recording(self) -> Recording | None:
        return self.form.recording

    @property
    def run_panel(self) -> RunPanel:
        """The sort shown on the right."""
        return self.sorts.run_panel

    @property
    def running(self) -> bool:
        """Whether any sort of this window runs or waits."""
        return self.sorts.running

    def follow_earlier_runs(self) -> None:
        """Sorts an earlier launcher started: ended ones are recorded, running ones are followed here."""
        self.sorts.follow_earlier_runs(self.form.show_message)

    # --- the recording and the sort ----------------------------------------------------------------------------

    @Slot()
    def browse_recording(self) -> None:
        self.form.drop_zone.browse()

    @Slot(Path)
    def open_recording(self, path: Path) -> None:
        from ks_gui.core.recordings.inspection import inspect_all
        from ks_gui.core.recordings.recording import RecordingError

        try:
            inspection = inspect_all(path)
        except RecordingError as err:
            self.form.show_message(str(err))
            return
        self.form.drop_zone.show_inspection(inspection)  # the recording's card, with a stream picker when several
        self.form.show_message("")
        self.form.use_recording(inspection.preselected)

    @Slot(object)
    def _recording_opened(self, recording: Recording) -> None:
        from ks_gui.core.ground.readable import recording_title

        self.setWindowTitle(f"{recording_title(recording.binary)} — ks-gui")  # the task bar names the recording

    @Slot()
    def start_sort(self) -> None:
        """Queue the form's job; it starts at once when its GPU is free."""
        # Ctrl+Return reaches here even while the form says why Sort is off: the same reason stops it.
        problem = self.form.first_problem()
        if problem is not None:
            self.form.show_refusal(problem)
            return
        self._enqueue(self.form.job())

    @Slot(list)
    def sort_all(self, recordings: list) -> None:
        """Queue each probe, each into a folder of its own in a new `<run>_kilosort` folder beside the run."""
        drop_zone = self.form.drop_zone
        dropped = drop_zone.inspection.path if drop_zone.inspection else recordings[0].folder
        parent = self.form.free_output(dropped.parent / f"{dropped.name}_kilosort")
        outputs = [parent / recording.folder.name for recording in recordings]
        for recording, output in zip(recordings, outputs, strict=True):
            problem = self.form.first_problem(recording, output)
            if problem is not None:  # say why, and queue none of them
                self.form.show_message(f"{recording.binary.name}: {problem.message}")
                return
        for recording, output in zip(recordings, outputs, strict=True):
            self._enqueue(self.form.job(recording, output))

    def _enqueue(self, job) -> None:
        if job.sorter.needs_matlab_license:
            job.license = self.form.license_box.license()  # now the token may come from the keyring
        self._remember_choices()
        self.form.confirmed_job_started()
        self.tabs.setCurrentIndex(0)
        self.sorts.enqueue(job, self.form.gpu_picker.request())

    @Slot()
    def cancel_sort(self) -> None:
        """Cancel the sort shown (the others, and the queue, go on: the queue list removes waiting ones)."""
        self.sorts.cancel_shown()

    # --- the other views ---------------------------------------------------------------------------------------

    @Slot()
    def show_sort_tab(self) -> None:
        self.tabs.setCurrentIndex(0)

    @Slot()
    def show_history(self) -> None:
        self._reload_history()
        self.tabs.setCurrentIndex(1)

    def _reload_history(self) -> None:
        if self.history_view is not None:  # else it reads the history when it is built
            self.history_view.reload()

    @Slot(object)
    def run_again(self, record: RunRecord) -> None:
        """A new run of a recorded one: same recording, sorter, place and image, a new output folder. Older records
        name "kilosort4-local", which is Kilosort 4 in the local environment."""
        self.tabs.setCurrentIndex(0)
        if record.sorter in SORTERS or record.sorter in SHORTHANDS:
            self.form.choose(record.sorter, record.place)
        self.form.output.clear()
        self.open_recording(Path(record.recording))
        if self.form.place != "local" and record.image:
            self.form.image.setText(record.image)
        self.form.output.setText(str(next_free_folder(Path(record.output))))

    @Slot(str)
    def open_phy_for(self, output: str) -> None:
        self.tabs.setCurrentIndex(0)
        panel = self.sorts.blank_panel()  # keep each sort's panel as it is
        panel.results_card.show_results(Path(output))
        panel.results_card.open_phy()

    @Slot()
    def open_image_dialog(self) -> None:
        """Build image… / Clear compiled files, for the image named in the form."""
        from ks_gui.ui.image_dialog import ImageDialog  # loads the engine: only when asked for

        image = self.form.image.text().strip() or self.form.sorter.default_image
        ImageDialog(image, self, sorter=self.form.sorter.name).exec()

    @Slot()
    def browse_results(self) -> None:
        """A sort's output folder, chosen: its units and drift map."""
        folder = dialogs.choose_folder(self, "Open a sort's output folder (a phy folder)", "")
        if folder is not None:
            from ks_gui.core.results.phy_folder import not_a_sort
            from ks_gui.ui.results_card import show_units_of

            if (wrong := not_a_sort(folder)) is not None:  # a recording's folder: say so, open no empty table
                dialogs.tell(self, "Not a sort's output folder", wrong[:1].upper() + wrong[1:] + ".")
                return

            show_units_of(folder, self)

    @Slot()
    def open_server_dialog(self) -> None:
        """Add a GPU server; once it answered, the form offers it under Runs on, chosen."""
        from ks_gui.ui.server_dialog import ServerDialog

        dialog = ServerDialog(self)
        if dialog.exec() and dialog.added:
            self.form.offer_places(dialog.added)

    @Slot()
    def open_cluster_dialog(self) -> None:
        """Add a SLURM cluster; once it answered, the form offers it under Runs on, chosen."""
        from ks_gui.ui.cluster_dialog import ClusterDialog

        dialog = ClusterDialog(self)
        if dialog.exec() and dialog.added:
            self.form.offer_places(dialog.added)

    @Slot()
    def open_setup_check(self) -> None:
        from ks_gui.ui.setup_view import SetupView  # loads the engine: only when asked for

        SetupView(self, place=self.form.place).exec()  # where the form sorts: this computer, or a server

    @Slot()
    def open_storage(self) -> None:
        from ks_gui.ui.storage_dialog import StorageDialog

        StorageDialog(parent=self, look_for_engine=True).exec()  # it looks for Docker off the GUI thread

    @Slot()
    def copy_docker_run(self) -> None:
        from ks_gui.ui.sort_worker import docker_run_line

        try:
            job = self.form.job()
        except RefusedError as refused:
            self.statusBar().showMessage(f"No command to copy: {refused.problem.message}")
            return
        self.statusBar().showMessage("Preparing the command…")
        request = self.form.gpu_picker.request()
        run_in_background(lambda: docker_run_line(job, request), self._on_docker_run_line, self)

    @Slot(object)
    def _on_docker_run_line(self, line: object) -> None:
        if isinstance(line, Exception):
            self.statusBar().showMessage(f"No command to copy: {line}")
            return
        QGuiApplication.clipboard().setText(str(line))
        self.statusBar().showMessage("Copied the docker run command to the clipboard")

    @Slot()
    def install_desktop_entry(self) -> None:
        from ks_gui.core.setup import desktop

        files = desktop.install()
        self.statusBar().showMessage(f"Added ks-gui to the application menu ({files.entry})")

    @Slot()
    def open_documentation(self) -> None:
        """The README, in the desktop's viewer; where none opens, the status line says where it is."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ks_gui.ui.documentation import documentation_file

        readme = documentation_file()
        if readme is None:
            self.statusBar().showMessage("This copy of ks-gui has no README: see ks-gui --help")
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(readme))):
            self.statusBar().showMessage(f"The documentation is {readme}: no program here opens it")

    def show_about(self) -> None:
        dialogs.about(
            self,
            "About ks-gui",
            f"<b>ks-gui {__version__}</b><p>Spike sorting with Kilosort in Docker.</p>"
            f"<p>Settings: {settings_file()}</p>",
        )

    # --- the user's choices and the window's geometry ----------------------------------------------------------

    def _remember_choices(self) -> None:
        self.form.remember_choices()
        try:
            save_settings(self.settings)
        except OSError as err:
            self.statusBar().showMessage(f"Your choices could not be saved in {settings_file()}: {err}")

    def _geometry_store(self) -> QSettings:
        # Window geometry is kept apart from the settings: it is Qt's own binary state.
        return QSettings(str(settings_file().with_name("window.ini")), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        store = self._geometry_store()
        if not self.restoreGeometry(cast("QByteArray | bytes", store.value("geometry", b""))):  # as saved, or b""
            # 1200x820 where it fits (a 1366x768 laptop gets less), more of a large screen.
            screen = QGuiApplication.primaryScreen().availableGeometry()
            width = min(screen.width() - 40, max(1200, int(screen.width() * 0.7)))
            self.resize(width, min(screen.height() - 60, max(820, int(screen.height() * 0.8))))
        self.splitter.restoreState(cast("QByteArray | bytes", store.value("splitter", b"")))

    def _save_geometry(self) -> None:
        store = self._geometry_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("splitter", self.splitter.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.sorts.may_close():
            event.ignore()
            return
        self._remember_choices()
        self._save_geometry()
        super().closeEvent(event)
