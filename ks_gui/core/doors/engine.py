"""This computer's Docker engine, for what is not a sort (a sort reaches it through core/sorting.py): the images,
Storage, phy in a container. The window and the CLI come here, never to core/places themselves; the engine module
(and with it `docker`) loads only when one of these is first used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ks_gui.core.places.base import PlaceError

if TYPE_CHECKING:
    from ks_gui.core.places.docker_engine import Engine

# What every engine failure is: a PlaceError whose `message` is one sentence for the user.
EngineError = PlaceError


def context_address(name: str) -> str | None:
    """The engine address of the user's Docker context `name`, or None (read from the Docker CLI's files)."""
    from ks_gui.core.places.docker_contexts import context_address as address

    return address(name)


def connect(timeout: int = 60) -> Engine:
    """This computer's engine (or the one DOCKER_HOST names); an EngineError (a PlaceError) in words when it
    does not answer."""
    from ks_gui.core.places.docker_engine import connect as connect_engine

    return connect_engine(timeout=timeout)
