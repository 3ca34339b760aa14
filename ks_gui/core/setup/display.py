"""Can the window open in this session? Which display Qt will use (X11 through its xcb plugin, Wayland, or none) and
whether the system libraries that plugin needs are loadable, asked before Qt is loaded: a missing library otherwise
makes Qt print its plugin lines and abort (exit 134), and with no display at all Qt aborts too.

No Qt import here: `ks-gui`, `make run` and `ks-gui doctor` ask this before (or without) loading Qt."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# The system libraries (outside the PySide6 wheel) that Qt's platform plugins load, with the package that ships each
# on Debian/Ubuntu and on Fedora. From the DT_NEEDED entries of PySide6's libQt6Gui, libQt6DBus, libQt6XcbQpa,
# plugins/platforms/libqxcb.so and libqwayland.so (PySide6 6.x); tests/core/setup/test_display.py reads them from the
# installed wheel and fails when one is not listed here. libc, libstdc++, libz and the like come with Python.
# (soname, Debian/Ubuntu package, Fedora package)
_GUI = [
    ("libGL.so.1", "libgl1", "libglvnd-glx"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    ("libfreetype.so.6", "libfreetype6", "freetype"),
    ("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
    ("libX11.so.6", "libx11-6", "libX11"),
]
_XCB = [
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("libxcb.so.1", "libxcb1", "libxcb"),
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    ("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    ("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    ("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
]
_WAYLAND = [
    ("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
    ("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
]


@dataclass(frozen=True)
class Library:
    soname: str
    debian: str
    fedora: str


LIBRARIES = {
    "xcb": [Library(*row) for row in _GUI + _XCB],
    "wayland": [Library(*row) for row in _GUI + _WAYLAND],
    # Pictures drawn with no display (ks-gui sort's, results --pictures, inspect --preview): QtGui's own libraries.
    "offscreen": [Library(*row) for row in _GUI],
}
PLATFORM_TITLES = {"xcb": "X11 (Qt's xcb plugin)", "wayland": "Wayland", "offscreen": "Drawing pictures (Qt)"}


@dataclass(frozen=True)
class DisplayCheck:
    """`platform`: "xcb", "wayland", "none" (no display in this session) or "other" (QT_QPA_PLATFORM names a plugin
    that needs no desktop, such as offscreen or vnc: nothing to check). `missing`: the libraries that platform needs
    and that would not load. `unreachable`: the X display named in DISPLAY when no X server there lets us in."""

    platform: str
    missing: tuple[Library, ...] = ()
    unreachable: str = ""

    @property
    def ok(self) -> bool:
        return self.platform != "none" and not self.missing and not self.unreachable

    def debian_packages(self) -> list[str]:
        return list(dict.fromkeys(lib.debian for lib in self.missing))

    def fedora_packages(self) -> list[str]:
        return list(dict.fromkeys(lib.fedora for lib in self.missing))

    def install_commands(self) -> str:
        return (
            f"Debian/Ubuntu: sudo apt-get install {' '.join(self.debian_packages())}; "
            f"Fedora: sudo dnf install {' '.join(self.fedora_packages())}"
        )

    def message(self) -> str:
        """What `ks-gui` says instead of opening the window ("" when it can open)."""
        if self.platform == "none":
            return (
                "no display: the window needs a desktop session (X11 or Wayland; DISPLAY and WAYLAND_DISPLAY are "
                "not set). Without one, use the command line (ks-gui sort RECORDING --output FOLDER; ks-gui --help), "
                "or connect with ssh -X to show the window on your own screen."
            )
        if self.unreachable:
            return (
                f"no X server answers on DISPLAY={self.unreachable} (or it does not let this user in): the window "
                "cannot open there. From a desktop, run ks-gui in one of its terminals; over SSH, connect with ssh -X; "
                "without a display, use the command line (ks-gui sort RECORDING --output FOLDER; ks-gui --help)."
            )
        if not self.missing:
            return ""
        names = ", ".join(lib.soname for lib in self.missing)
        if self.platform == "offscreen":
            return (
                f"the pictures cannot be drawn here: Qt needs system libraries that are missing ({names}). Install "
                f"them ({self.install_commands()}); the numbers need none (ks-gui results OUTPUT --json)."
            )
        return (
            f"the window cannot open: {PLATFORM_TITLES[self.platform]} needs system libraries that are missing "
            f"({names}). Install them ({self.install_commands()}), then run ks-gui again."
        )


def session_platform(environ: Mapping[str, str] | None = None) -> str:
    """The platform plugin Qt will start with, as QGuiApplication chooses it: QT_QPA_PLATFORM when set (its first
    choice), else Wayland when WAYLAND_DISPLAY is set, else X11 when DISPLAY is set, else none."""
    env = os.environ if environ is None else environ
    forced = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if forced == "xcb":
        return "xcb" if env.get("DISPLAY") else "none"
    if forced.startswith("wayland"):
        return "wayland" if env.get("WAYLAND_DISPLAY") or env.get("XDG_RUNTIME_DIR") else "none"
    if forced:
        return "other"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    if env.get("DISPLAY"):
        return "xcb"
    return "none"


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)  # the dynamic loader's own search, as Qt's plugin loader will do it
    except OSError:
        return False
    return True


def x_server_answers(display: str) -> bool:
    """Whether libxcb connects to `display` (a stale DISPLAY, in tmux or after a logout, would make Qt abort)."""
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)  # never NULL: an error is kept in the connection
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def missing_libraries(platform: str, loads: Callable[[str], bool] = _loads) -> tuple[Library, ...]:
    return tuple(lib for lib in LIBRARIES.get(platform, []) if not loads(lib.soname))


def check_display(
    environ: Mapping[str, str] | None = None,
    loads: Callable[[str], bool] = _loads,
    answers: Callable[[str], bool] = x_server_answers,
) -> DisplayCheck:
    """What `ks-gui` asks before it loads Qt for the window; `answers` says whether an X server lets us in."""
    env = os.environ if environ is None else environ
    platform = session_platform(env)
    if platform in ("none", "other"):
        return DisplayCheck(platform)
    missing = missing_libraries(platform, loads)
    # Qt falls back to X11 when its Wayland plugin cannot start: the window opens if xcb's libraries are there.
    falls_back = platform == "wayland" and env.get("DISPLAY") and not env.get("QT_QPA_PLATFORM")
    if missing and falls_back and not missing_libraries("xcb", loads):
        platform, missing = "xcb", ()
    if platform == "xcb" and not missing and not answers(env["DISPLAY"]):
        return DisplayCheck("xcb", unreachable=env["DISPLAY"])
    return DisplayCheck(platform, missing)


def pictures_check(loads: Callable[[str], bool] = _loads) -> DisplayCheck:
    """Whether the pictures can be drawn offscreen here (a server or a cluster's login node often lacks a desktop's
    libraries, and Qt fails to import without them)."""
    return DisplayCheck("offscreen", missing_libraries("offscreen", loads))


def libraries_for_doctor(
    environ: Mapping[str, str] | None = None, loads: Callable[[str], bool] = _loads
) -> DisplayCheck:
    """The display libraries as `ks-gui doctor` and Check setup see them: this session's platform, or X11's
    libraries when there is no display here (the window will need them on a desktop)."""
    check = check_display(environ, loads, answers=lambda display: True)  # the libraries only
    if check.platform == "none":
        return DisplayCheck("none", missing_libraries("xcb", loads))
    return check


def main(argv: list[str] | None = None) -> int:
    """`python -m ks_gui.core.setup.display`: the message and exit code 2 when the window cannot open here.
    `--debian-packages`: the Debian/Ubuntu packages to install, one line (scripts/display-libraries.sh, make run).
    `--install-commands`: the commands that install them, Debian/Ubuntu and Fedora."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--debian-packages"]:
        print(" ".join(libraries_for_doctor().debian_packages()))
        return 0
    if argv == ["--install-commands"]:
        libraries = libraries_for_doctor()
        print(libraries.install_commands() if libraries.missing else "")
        return 0
    check = check_display()
    if check.ok:
        return 0
    print(f"ks-gui: {check.message()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
