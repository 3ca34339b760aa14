"""How the time left is said, the same in the window, the CLI's bar, the queue list and notifications.

"estimating…" until the Tracker has an estimate, then "about 12 min left", rounded the coarser the longer it is
(people plan by the quarter hour, not the second), so small wobbles of the estimate do not show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

ESTIMATING = "estimating…"


def _rounded_minutes(seconds: float) -> int:
    minutes = seconds / 60
    step = 1 if minutes < 15 else 5 if minutes < 90 else 15
    return max(step, round(minutes / step) * step)


def duration_words(seconds: float) -> str:
    """'under a minute', '12 min', '1 h 15 min' (rounded: see _rounded_minutes)."""
    if seconds < 60:
        return "under a minute"
    minutes = _rounded_minutes(seconds)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def left_text(seconds: float | None) -> str:
    """'estimating…' or 'about 12 min left' ('almost done' when the estimate has run out)."""
    if seconds is None:
        return ESTIMATING
    if seconds < 60:
        return "less than a minute left" if seconds > 5 else "almost done"
    return f"about {duration_words(seconds)} left"


def done_at_text(seconds: float | None, now: datetime | None = None) -> str:
    """'done at about 14:35' (the clock time, to 5 minutes when over a quarter hour away), or 'estimating…'."""
    return ESTIMATING if seconds is None else f"done at about{_clock_time(seconds, now)}"


def starts_at_text(seconds: float, now: datetime | None = None) -> str:
    """A waiting sort's start, as done_at_text says an end: 'starts at about 14:35'."""
    return f"starts at about{_clock_time(seconds, now)}"


def _clock_time(seconds: float, now: datetime | None) -> str:
    """' 14:35' (' Fri 09:10' on another day) for `seconds` from now, rounded as people plan."""
    end = (now or datetime.now()) + timedelta(seconds=max(seconds, 0.0))
    if seconds >= 15 * 60:
        end += timedelta(minutes=2.5)  # round to the nearest 5 minutes
        end = end.replace(minute=end.minute - end.minute % 5)
    elif end.second >= 30:
        end += timedelta(minutes=1)
    day = "" if end.date() == (now or datetime.now()).date() else end.strftime(" %a")
    return f"{day} {end:%H:%M}"


def running_text(title: str, seconds: float | None, now: datetime | None = None) -> str:
    """One running sort for a notification, as the queue list says it: 'rec2: done at about 14:35'."""
    return f"{title}: {done_at_text(seconds, now)}"


def still_running_text(running: list[tuple[str, float | None]], waiting: int, now: datetime | None = None) -> str:
    """What a notification adds when a sort ended: the sorts still running and when each will be done, and how
    many wait ('Still running: rec2: done at about 14:35. 1 waiting.'); empty when nothing runs or waits."""
    parts = []
    if running:
        parts.append("Still running: " + "; ".join(running_text(t, s, now) for t, s in running) + ".")
    if waiting:
        parts.append(f"{waiting} waiting.")
    return " ".join(parts)
