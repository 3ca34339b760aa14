#!/bin/bash
# The real Kilosort 4 image (docker/kilosort4/Dockerfile), built here on a CPU base for the tests' real sorts:
#   tests/setup/kilosort4-image.sh PYTHON [IMAGE]     (PYTHON: a python with pip, e.g. the project's .venv/bin/python)
# No image registry is reachable here, so the CUDA PyTorch base cannot be pulled. Instead:
#   1. a Debian 12 image from Debian's packages (tests/setup/debian-image.sh), with python3-venv;
#   2. the CPU base: a venv at /opt/conda (where the PyTorch image keeps its Python) with the CPU build of torch,
#      and a wheelhouse of Kilosort and its dependencies that the base's pip uses instead of the index. The wheels are
#      downloaded on this machine (pip download, cached in build/ks4-image-wheels) and COPYed from a test-only context:
#      nothing is fetched over TLS inside a build, and no CA bundle enters an image;
#   3. the real Dockerfile, unchanged, with --build-arg BASE_IMAGE=<that base>, from a context of the Dockerfile and
#      the driver alone, as `ks-gui image build` makes it.
# Each image carries a hash of its inputs as a label: an image already built from the same inputs is kept.
set -euo pipefail

PYTHON=${1:?usage: kilosort4-image.sh PYTHON [IMAGE]}
IMAGE=${2:-ks-gui-test/kilosort4-cpu:latest}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEBIAN=ks-gui-test/debian-python-venv:latest
BASE=ks-gui-test/ks4-image-cpu-base:latest
WHEELS=$ROOT/build/ks4-image-wheels
REQUIREMENTS="torch==2.13.0 kilosort==4.1.7 spikeinterface==0.105.3 pandas==3.1.1"
LABEL=ks-gui.test.inputs
started=$(date +%s)

label_of() { docker image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }

# 1. Debian with Python's venv (reused when its package list is the same).
"$ROOT/tests/setup/debian-image.sh" "$DEBIAN" python3-venv

# 2. The wheels, downloaded once for this list; then the CPU base.
mkdir -p "$WHEELS"
if [ "$(cat "$WHEELS/.requirements" 2>/dev/null)" != "$REQUIREMENTS" ]; then
    echo "kilosort4-image: downloading $REQUIREMENTS and their dependencies into $WHEELS"
    # shellcheck disable=SC2086
    "$PYTHON" -m pip download --quiet --only-binary=:all: --dest "$WHEELS" $REQUIREMENTS
    echo "$REQUIREMENTS" >"$WHEELS/.requirements"
fi
# The CPU base's Dockerfile (test-only: never shipped).
base_dockerfile="FROM $DEBIAN
COPY wheels /opt/wheels
RUN python3 -m venv /opt/conda \\
 && /opt/conda/bin/pip install --no-cache-dir --no-index --find-links /opt/wheels torch==2.13.0 \\
 && chmod -R a+rX /opt/conda /opt/wheels
ENV PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PIP_NO_INDEX=1 \\
    PIP_FIND_LINKS=/opt/wheels"
debian_id=$(docker image inspect --format '{{.Id}}' "$DEBIAN")
base_hash=$( (echo "$debian_id"; ls "$WHEELS"; echo "$base_dockerfile") | sha256sum | cut -c1-16)
if [ "$(label_of "$BASE")" != "$base_hash" ]; then
    context=$(mktemp -d "$ROOT/build/ks4-base-context.XXXXXX")
    trap 'rm -rf "$context"' EXIT
    mkdir "$context/wheels"
    cp -l "$WHEELS"/*.whl "$context/wheels/" 2>/dev/null || cp "$WHEELS"/*.whl "$context/wheels/"
    echo "$base_dockerfile" >"$context/Dockerfile"
    echo "kilosort4-image: making the CPU base $BASE"
    docker build -q --label "$LABEL=$base_hash" -t "$BASE" "$context" >/dev/null
    rm -rf "$context"
    trap - EXIT
fi

# 3. The real Dockerfile on that base.
base_id=$(docker image inspect --format '{{.Id}}' "$BASE")
driver=ks_gui/drivers/ks_gui_kilosort4.py
image_hash=$( (echo "$base_id"; cat "$ROOT/docker/kilosort4/Dockerfile" "$ROOT/$driver") | sha256sum | cut -c1-16)
if [ "$(label_of "$IMAGE")" != "$image_hash" ]; then
    context=$(mktemp -d "$ROOT/build/ks4-image-context.XXXXXX")
    trap 'rm -rf "$context"' EXIT
    mkdir -p "$context/$(dirname "$driver")"
    cp "$ROOT/docker/kilosort4/Dockerfile" "$context/Dockerfile"
    cp "$ROOT/$driver" "$context/$driver"
    echo "kilosort4-image: building docker/kilosort4/Dockerfile on $BASE as $IMAGE"
    docker build -q --build-arg "BASE_IMAGE=$BASE" --label "$LABEL=$image_hash" \
        -t "$IMAGE" "$context" >/dev/null
    rm -rf "$context"
    trap - EXIT
    echo "kilosort4-image: $IMAGE ready in $(($(date +%s) - started)) s"
fi
