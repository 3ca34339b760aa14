"""The one way the window and its dialogs run work off the GUI thread (the GUI thread never blocks):

- `run_in_background(function, receiver, owner)`: a short blocking call (a Docker query, nvidia-smi) on Qt's pool;
  its value, or the exception it raised, comes back to `receiver` on the GUI thread.
- `start_on_thread(worker, parent)` / `end_thread(thread)`: a long-running worker object (a sort, an image build, an
  install) on a QThread of its own; it reports through its own signals, which Qt delivers on the GUI thread.
- `run_detached(function)`: work nobody waits for and that may outlive its window (phy in a container, a cancel that
  kills a process tree); it reports, if at all, through signals of its own.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot
from shiboken6 import isValid

if TYPE_CHECKING:

    class _Worker(Protocol):
        def run(self) -> None: ...


class _Relay(QObject):
    """Carries every pool call's value to the GUI thread. One for the process, made on the GUI thread by the first
    call and never deleted: a pool thread only ever emits into an object that exists, and nothing is made or deleted
    per call off the GUI thread (a per-call QObject deleted there corrupted the heap while a hung Docker call was
    still out)."""

    ready = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.ready.connect(self._deliver)  # emitted on a pool thread: queued to this object's, the GUI thread

    @Slot(int, object)
    def _deliver(self, call: int, value: object) -> None:
        owner, receiver = _waiting.pop(call)
        if isValid(owner):  # the dialog that asked may be gone by now: nobody waits for the value then
            receiver(value)


_relay: _Relay | None = None
_waiting: dict[int, tuple[QObject, Callable[[object], None]]] = {}
_calls = itertools.count()


class _Call(QRunnable):
    def __init__(self, function: Callable[[], Any], relay: _Relay, call: int) -> None:
        super().__init__()
        self._function = function
        self._relay = relay
        self._call = call

    def run(self) -> None:
        try:
            value = self._function()
        except Exception as err:  # handed to the receiver, which says what went wrong
            value = err
        self._relay.ready.emit(self._call, value)


def run_in_background(
    function: Callable[[], Any],
    receiver: Callable[[object], None],
    owner: QObject,
    pool: QThreadPool | None = None,
) -> None:
    """Call `function` on a pool thread (Qt's global pool, or `pool`: one of its own never waits behind Docker or
    GPU queries); `receiver` gets its value or exception on the GUI thread, unless `owner` is gone by then. Call it
    from the GUI thread."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    call = next(_calls)
    _waiting[call] = (owner, receiver)
    (pool or QThreadPool.globalInstance()).start(_Call(function, _relay, call))


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
