"""The GPU servers a user added, each with the path map that turns this computer's folders into the server's
(kept in the settings, so the window and the CLI remember them)."""

from __future__ import annotations

from ks_gui.core.places.path_map import PathMap
from ks_gui.core.settings import load_settings, save_settings

__all__ = ["PathMap", "forget_server", "remember_server", "remembered_path_map", "remembered_servers"]


def remembered_servers() -> dict[str, PathMap]:
    """Address -> path map, in the order they were added (a stored map that no longer parses counts as none)."""
    servers = {}
    for url, texts in load_settings().settings.servers.items():
        try:
            servers[url] = PathMap.parse(list(texts))
        except ValueError:
            servers[url] = PathMap()
    return servers


def remembered_path_map(url: str) -> PathMap:
    return remembered_servers().get(url, PathMap())


def remember_server(url: str, path_map: PathMap) -> None:
    settings = load_settings().settings
    settings.servers = {**settings.servers, url: path_map.texts()}
    save_settings(settings)


def forget_server(url: str) -> None:
    settings = load_settings().settings
    settings.servers = {key: value for key, value in settings.servers.items() if key != url}
    save_settings(settings)
