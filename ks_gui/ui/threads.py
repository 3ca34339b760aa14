"""The one way the window and its dialogs run work off the GUI thread (the GUI thread never blocks):

- `run_in_background(function, receiver, owner)`: a short blocking call (a Docker query, nvidia-smi) on Qt's pool;
  its value, or the exception it raised, comes back to `receiver` on the GUI thread.
- `start_on_thread(worker, parent)` / `end_thread(thread)`: a long-running worker object (a sort, an image build, an
  install) on a QThread of its own; it reports through its own signals, which Qt delivers on the GUI thread.
- `run_detached(function)`: work nobody waits for and that may outlive its window (phy in a container, a cancel that
  kills a process tree); it reports, if at all, through signals of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

if TYPE_CHECKING:

    class _Worker(Protocol):
        def run(self) -> None: ...


class _Result(QObject):
    """Carries a pool call's value. Not a child of the call's owner: a call that outlives its owner (a dialog closed
    while Docker hangs) still emits into an object that exists; `_in_flight` keeps it until then."""

    ready = Signal(object)


class _Delivery(QObject):
    """A child of the call's owner, on the GUI thread: gone with its owner, and with it the delivery (Qt drops a
    queued call to a deleted receiver), so a late value never reaches a closed dialog."""

    def __init__(self, owner: QObject, receiver: Callable[[object], None]) -> None:
        super().__init__(owner)
        self._receiver = receiver

    @Slot(object)
    def deliver(self, value: object) -> None:
        self.deleteLater()
        self._receiver(value)


_in_flight: set[_Result] = set()


class _Call(QRunnable):
    def __init__(self, function: Callable[[], Any], result: _Result) -> None:
        super().__init__()
        self._function = function
        self._result = result

    def run(self) -> None:
        try:
            value = self._function()
        except Exception as err:  # handed to the receiver, which says what went wrong
            value = err
        self._result.ready.emit(value)
        _in_flight.discard(self._result)


def run_in_background(
    function: Callable[[], Any],
    receiver: Callable[[object], None],
    owner: QObject,
    pool: QThreadPool | None = None,
) -> None:
    """Call `function` on a pool thread (Qt's global pool, or `pool`: one of its own never waits behind Docker or
    GPU queries); `receiver` gets its value or exception on the GUI thread, unless `owner` is gone by then."""
    result = _Result()
    _in_flight.add(result)
    result.ready.connect(_Delivery(owner, receiver).deliver)
    (pool or QThreadPool.globalInstance()).start(_Call(function, result))


def start_on_thread(worker: QObject, parent: QObject) -> QThread:
    """Move `worker` to a new thread owned by `parent` and call its `run()` slot there. The worker reports through
    its own signals, which Qt delivers on the GUI thread."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(cast("_Worker", worker).run)  # every worker has its run() slot
    thread.start()
    return thread


def end_thread(thread: QThread | None) -> None:
    """Stop the thread's event loop and wait for it: call once the worker's `run()` has returned or been told to."""
    if thread is not None:
        thread.quit()
        thread.wait()


def run_detached(function: Callable[[], Any], name: str) -> None:
    """Call `function` on a thread of its own that nothing joins (a daemon: it never holds the app open). Not Qt's
    pool: the pool has as many threads as cores, and a call that lasts as long as phy is open would hold one."""
    threading.Thread(target=function, name=f"ks-gui {name}", daemon=True).start()
