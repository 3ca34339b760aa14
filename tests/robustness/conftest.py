from collections.abc import Callable, Iterator

import pytest

from tests.conftest import SIM_IMAGE
from tests.helpers.private_dockerd import PrivateDockerd
from tests.ui.conftest import window  # noqa: F401  (the same window fixture as the widget tests)


@pytest.fixture
def private_dockerd(sim_image, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., PrivateDockerd]]:
    """Starts a private dockerd (`live_restore` as asked) holding the stand-in image, and points DOCKER_HOST at it
    for the test and the `ks-gui` processes it starts. `sim_image` comes first, so the main engine's session
    fixture is connected before DOCKER_HOST changes."""
    started: list[PrivateDockerd] = []

    def start(live_restore: bool = False) -> PrivateDockerd:
        daemon = PrivateDockerd(live_restore=live_restore)
        started.append(daemon)
        daemon.start()
        daemon.load_image(SIM_IMAGE)
        monkeypatch.setenv("DOCKER_HOST", daemon.host)
        return daemon

    yield start
    for daemon in started:
        daemon.close()
