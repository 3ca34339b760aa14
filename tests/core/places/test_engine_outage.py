"""Waiting for a Docker engine that stopped answering: the backoff, its limit, and a cancel that ends it."""

from __future__ import annotations

import itertools
import threading
import time

from ks_gui.core.places.outage import retry_delays, wait_text, wait_until_back


def test_the_pauses_grow_and_stay_bounded():
    assert list(itertools.islice(retry_delays(), 8)) == [0.5, 1, 2, 4, 8, 10, 10, 10]


def test_it_stops_waiting_once_the_engine_answers():
    answers = iter([False, False, True])
    started = time.monotonic()
    assert wait_until_back(lambda: next(answers), time.monotonic() + 60, threading.Event()) is True
    assert time.monotonic() - started < 3  # 0.5 s, then 1 s


def test_it_gives_up_at_the_deadline():
    looks = []
    started = time.monotonic()
    assert wait_until_back(lambda: looks.append(1) or False, time.monotonic() + 1.2, threading.Event()) is False
    assert 1.2 <= time.monotonic() - started < 2.5
    assert len(looks) == 3  # at 0, 0.5 and 1.2 s (the last pause cut short by the deadline)


def test_a_cancel_ends_the_wait_at_once_with_one_last_look():
    wake = threading.Event()
    threading.Timer(0.2, wake.set).start()
    started = time.monotonic()
    assert wait_until_back(lambda: False, time.monotonic() + 60, wake) is False
    assert time.monotonic() - started < 1.5


def test_the_wait_is_said_as_a_person_says_it():
    assert [wait_text(s) for s in (300, 60, 90, 2, 1, 0.5)] == [
        "5 minutes",
        "1 minute",
        "90 seconds",
        "2 seconds",
        "1 second",
        "0.5 seconds",
    ]
