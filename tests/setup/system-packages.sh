#!/bin/bash
# Install the Debian packages the tests need: a virtual screen and Qt's xcb libraries for the window tests,
# a static busybox for the stand-in image, a D-Bus session bus and GNOME Keyring (the Secret Service that keeps batch
# tokens, tests/e2e/test_keyring_service.py), `ip` (iproute2) for the private dockerd's bridge
# (tests/helpers/private_dockerd.py), `gio launch` (what a file manager runs for a folder dropped on the menu entry,
# tests/ui/test_desktop_drop.py). As root on Debian (CI) they are installed; elsewhere missing ones are named so a
# person can install them.
set -euo pipefail

PACKAGES=(
    xvfb xauth x11-utils libgl1-mesa-dri libglx-mesa0 libegl1 libglib2.0-0 libfontconfig1 fonts-dejavu-core
    libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxcb-randr0 libxcb-shape0 libxcb-xfixes0
    busybox-static util-linux desktop-file-utils iproute2
    octave docker-registry
    dbus gnome-keyring libglib2.0-bin
)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-packages: missing ${missing[*]}" >&2
    echo "system-packages: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
