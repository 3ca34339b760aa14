#!/bin/bash
# Build the ks-gui stand-in image (ks-gui-sim:latest) from scratch with local files only.
# Usage: tests/sim/build.sh PYTHON   (a python with numpy, e.g. the project's .venv/bin/python)
set -euo pipefail

PYTHON=${1:?usage: build.sh PYTHON (a python interpreter with numpy)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=${KS_GUI_SIM_IMAGE:-ks-gui-sim:latest}
BUSYBOX=${KS_GUI_SIM_BUSYBOX:-/bin/busybox}

if [ ! -x "$BUSYBOX" ] || ! "$BUSYBOX" --list 2>/dev/null | grep -cx sh >/dev/null; then
    echo "build.sh: $BUSYBOX (a static busybox) is missing; install it with: apt-get install busybox-static" >&2
    exit 1
fi
# A dynamically linked binary names its loader (ld-linux...) in its first bytes.
if head -c 4096 "$BUSYBOX" | tr -d '\000' | grep -c "ld-linux" >/dev/null; then
    echo "build.sh: $BUSYBOX is dynamically linked; the image needs the static one: apt-get install busybox-static" >&2
    exit 1
fi

CTX=$(mktemp -d "${TMPDIR:-/tmp}/ks-gui-sim.XXXXXX")
trap 'rm -rf "$CTX"' EXIT

cp "$BUSYBOX" "$CTX/busybox"
cp "$HERE/Dockerfile" "$HERE/run.sh" "$HERE/matlab" "$CTX/"
chmod 0755 "$CTX/busybox" "$CTX/run.sh" "$CTX/matlab"
"$PYTHON" "$HERE/make_npy.py" "$CTX/npy"

docker build -q -t "$IMAGE" "$CTX" >/dev/null
echo "built $IMAGE"
