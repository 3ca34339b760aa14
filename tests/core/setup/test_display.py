"""The display check ks-gui makes before it loads Qt (ks_gui/core/setup/display.py): which platform, which libraries,
what it says. The loader is the real one where this machine decides; a stand-in loader says which library is missing."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import PySide6
import pytest

from ks_gui.core.setup.display import (
    LIBRARIES,
    DisplayCheck,
    _loads,
    check_display,
    libraries_for_doctor,
    session_platform,
)
from tests.conftest import running_xvfb

QT = Path(PySide6.__file__).parent / "Qt"
# What Qt loads for a window, by platform (the plugin and the Qt libraries it pulls in that reach outside the wheel).
QT_FILES = {
    "xcb": ["plugins/platforms/libqxcb.so", "lib/libQt6XcbQpa.so.6", "lib/libQt6Gui.so.6", "lib/libQt6DBus.so.6"],
    "wayland": ["plugins/platforms/libqwayland.so", "lib/libQt6WaylandClient.so.6", "lib/libQt6Gui.so.6"],
    "offscreen": ["plugins/platforms/libqoffscreen.so", "lib/libQt6Gui.so.6", "lib/libQt6DBus.so.6"],
}
# Come with any Python: not the display's.
BASE = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "libpthread.so.0", "libdl.so.2"}


def needed(elf: Path) -> list[str]:
    """The DT_NEEDED sonames of a 64-bit little-endian ELF file (what `objdump -p | grep NEEDED` prints)."""
    data = elf.read_bytes()
    shoff, shentsize, shnum = struct.unpack_from("<Q", data, 0x28)[0], *struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    dynamic = next(s for s in sections if s[1] == 6)  # SHT_DYNAMIC; its sh_link is the string table
    strtab_offset = sections[dynamic[6]][4]
    names = []
    for offset in range(dynamic[4], dynamic[4] + dynamic[5], 16):
        tag, value = struct.unpack_from("<qQ", data, offset)
        if tag == 0:
            break
        if tag == 1:  # DT_NEEDED
            end = data.index(b"\0", strtab_offset + value)
            names.append(data[strtab_offset + value : end].decode())
    return names


@pytest.mark.parametrize("platform", ["xcb", "wayland", "offscreen"])
def test_every_system_library_the_installed_qt_plugin_needs_is_checked(platform: str):
    bundled = {path.name for path in (QT / "lib").iterdir()}
    wanted = {name for file in QT_FILES[platform] for name in needed(QT / file)} - bundled - BASE
    checked = {lib.soname for lib in LIBRARIES[platform]}
    assert wanted - checked == set(), "a library Qt needs is not in ks_gui/core/setup/display.py"
    own = {"xcb": "libxcb-cursor.so.0", "wayland": "libwayland-client.so.0", "offscreen": "libglib-2.0.so.0"}
    assert own[platform] in checked


def test_the_debian_package_names_are_the_ones_that_ship_each_library_here():
    """On this Debian machine (make test installs Qt's xcb libraries) dpkg says which package owns each file."""
    patterns = [f"*/x86_64-linux-gnu/{lib.soname}" for lib in LIBRARIES["xcb"]]
    done = subprocess.run(["dpkg", "-S", *patterns], capture_output=True, text=True, check=True)
    owner_of = {Path(line.split(": ")[1]).name: line.split(":")[0] for line in done.stdout.splitlines()}
    assert {lib.soname: owner_of[lib.soname] for lib in LIBRARIES["xcb"]} == {
        lib.soname: lib.debian for lib in LIBRARIES["xcb"]
    }


@pytest.mark.parametrize(
    ("environ", "platform"),
    [
        ({"DISPLAY": ":0"}, "xcb"),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "wayland"),  # Qt prefers Wayland: not forced to xcb
        ({"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "xcb"),
        ({"QT_QPA_PLATFORM": "xcb"}, "none"),
        ({"QT_QPA_PLATFORM": "offscreen"}, "other"),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "WAYLAND_DISPLAY": "w"}, "wayland"),
        ({}, "none"),
        ({"XDG_SESSION_TYPE": "tty", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 22"}, "none"),
    ],
)
def test_the_platform_is_the_one_qt_will_start_with(environ: dict, platform: str):
    assert session_platform(environ) == platform


def test_missing_xcb_libraries_are_named_with_the_commands_that_install_them():
    missing = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-shm.so.0"}
    check = check_display({"DISPLAY": ":0"}, loads=lambda soname: soname not in missing)

    assert not check.ok
    assert check.message() == (
        "the window cannot open: X11 (Qt's xcb plugin) needs system libraries that are missing (libxcb-cursor.so.0, "
        "libxcb-icccm.so.4, libxcb-shm.so.0). Install them (Debian/Ubuntu: sudo apt-get install libxcb-cursor0 "
        "libxcb-icccm4 libxcb-shm0; Fedora: sudo dnf install xcb-util-cursor xcb-util-wm libxcb), then run ks-gui "
        "again."
    )


def test_with_no_display_it_points_to_the_command_line_and_ssh_x():
    check = check_display({}, loads=lambda soname: pytest.fail(f"{soname} was asked for with no display"))
    assert not check.ok
    assert check.message().startswith("no display: the window needs a desktop session (X11 or Wayland")
    assert "ks-gui sort RECORDING --output FOLDER" in check.message()
    assert "ssh -X" in check.message()


def test_a_wayland_session_asks_for_waylands_libraries_not_xcbs():
    asked = []
    check = check_display({"WAYLAND_DISPLAY": "wayland-0"}, loads=lambda soname: asked.append(soname) or True)
    assert check.ok and check.platform == "wayland"
    assert "libwayland-client.so.0" in asked
    assert not [soname for soname in asked if "xcb" in soname]


def test_without_waylands_libraries_qt_falls_back_to_x11_when_its_libraries_are_there():
    def loads(soname: str) -> bool:
        return "wayland" not in soname

    fell_back = check_display({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, loads, answers=lambda display: True)
    assert fell_back.ok and fell_back.platform == "xcb"
    only_wayland = check_display({"WAYLAND_DISPLAY": "w"}, loads)
    assert [lib.debian for lib in only_wayland.missing] == ["libwayland-client0", "libwayland-cursor0"]


def test_the_real_loader_finds_this_machines_libraries_and_not_an_absent_one():
    assert check_display({"DISPLAY": ":0"}, answers=lambda display: True) == DisplayCheck("xcb")
    assert not _loads("libks-gui-no-such-library.so.0")


def test_a_display_where_no_x_server_answers_is_named_before_qt_would_abort_on_it():
    with running_xvfb("640x480x24") as display:
        assert check_display({"DISPLAY": display}).ok
    # A display with no server: a stale DISPLAY, as in a tmux session after a logout.
    display = next(f":{n}" for n in range(900, 1000) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    check = check_display({"DISPLAY": display})
    assert not check.ok and check.unreachable == display
    assert check.message().startswith(f"no X server answers on DISPLAY={display} (or it does not let this user in)")
    assert "ssh -X" in check.message() and "ks-gui sort RECORDING --output FOLDER" in check.message()


def test_doctor_checks_x11s_libraries_when_there_is_no_display():
    check = libraries_for_doctor({}, loads=lambda soname: soname != "libxcb-cursor.so.0")
    assert check.platform == "none"
    assert [lib.debian for lib in check.missing] == ["libxcb-cursor0"]
