"""What a found container's attributes say (docker inspect's document): the GPUs it holds, whether it never
started. Plain data in, no engine needed."""

from __future__ import annotations

from datetime import datetime, timezone

# A launcher starts its container within moments of creating it (attach, then start): one still "created" after
# this long never will be (its launcher died in between), and following it would wait for output forever.
NEVER_STARTED_AFTER_S = 120


def never_started(attrs: dict, now: datetime | None = None) -> bool:
    """Whether a container was created long ago and never started (not a sort: nothing ran)."""
    state = attrs.get("State") or {}
    if state.get("Status") != "created" or not str(state.get("StartedAt", "")).startswith("0001-"):
        return False
    try:
        created = datetime.fromisoformat(str(attrs.get("Created", ""))[:19]).replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return ((now or datetime.now(timezone.utc)) - created).total_seconds() > NEVER_STARTED_AFTER_S


def gpu_uuids(host_config: dict) -> tuple[str, ...]:
    requests_ = host_config.get("DeviceRequests") or []
    return tuple(uuid for request in requests_ for uuid in (request.get("DeviceIDs") or []))
