#!/bin/bash
# `make run`, before the window: the system libraries Qt's window needs (ks_gui/core/setup/display.py knows which; it
# needs only Python's standard library, so this runs before anything is installed):
#   scripts/display-libraries.sh [PYTHON]
# Missing ones are installed on Debian/Ubuntu when that needs no password (as root, or with sudo that asks for none);
# otherwise the one command that installs them is printed and this exits 2.
set -euo pipefail

python=${1:-python3}
display() { PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" "$python" -m ks_gui.core.setup.display "$@"; }

packages=$(display --debian-packages)
[ -z "$packages" ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    as_root=(sudo -n)
fi
if command -v apt-get >/dev/null && { [ ${#as_root[@]} -eq 0 ] || sudo -n true 2>/dev/null; }; then
    echo "make run: installing the libraries the window needs: $packages"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086  # one package per word
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
    exit 0
fi
echo "make run: the window needs system libraries that are missing. Install them ($(display --install-commands))," \
    "then run make run again." >&2
exit 2
