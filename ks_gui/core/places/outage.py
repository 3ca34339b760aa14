"""The Docker engine stops answering in the middle of a sort (the daemon stopped, crashed or restarts).

A sort takes hours; Docker may be restarted under it (an update, `systemctl restart docker`). The launcher then
waits for the engine with a bounded backoff, for a limited time, and looks at the sort's container again when it
answers. Without Docker's `--live-restore` the daemon stopped the container on its way out; with it, the container
sorted on. No docker import here: run.py catches EngineLostError without loading the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

# How long a sort waits for Docker to come back before it gives up (`ks-gui sort --docker-wait`).
DEFAULT_WAIT_SECONDS = 300.0
# The pauses between two looks grow from the first to the longest: a quick restart is seen within a second, and a
# long outage costs one connection attempt every LONGEST_DELAY seconds.
FIRST_DELAY, LONGEST_DELAY = 0.5, 10.0


class EngineLostError(Exception):
    """The engine stopped answering during a run: its socket closed under a request or is gone."""


def retry_delays(first: float = FIRST_DELAY, longest: float = LONGEST_DELAY) -> Iterator[float]:
    """0.5, 1, 2, 4, 8, 10, 10, … seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, longest)


def wait_until_back(answers: Callable[[], bool], deadline: float, wake: threading.Event) -> bool:
    """Ask `answers` again and again, pausing longer each time, until it says yes (True) or the monotonic clock
    passes `deadline` (False). Setting `wake` (a cancel, a detach) ends the pauses: one last look decides."""
    for delay in retry_delays():
        if answers():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if wake.wait(min(delay, left)):
            return answers()
    raise AssertionError("retry_delays() never ends")


def wait_text(seconds: float) -> str:
    """`seconds` as a person says it: "5 minutes", "90 seconds", "1 minute"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"
