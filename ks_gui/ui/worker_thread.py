"""A long-running worker object on a QThread of its own: the one way the window and its dialogs run blocking work
(a sort, an image build, an install) while the window stays responsive."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread


def start_on_thread(worker: QObject, parent: QObject) -> QThread:
    """Move `worker` to a new thread owned by `parent` and call its `run()` slot there. The worker reports through
    its own signals, which Qt delivers on the GUI thread."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    thread.start()
    return thread


def end_thread(thread: QThread | None) -> None:
    """Stop the thread's event loop and wait for it: call once the worker's `run()` has returned or been told to."""
    if thread is not None:
        thread.quit()
        thread.wait()
