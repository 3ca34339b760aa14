#!/bin/bash
# Make a Docker image of a minimal Debian 12 from Debian's own packages (no image registry is reachable here):
#   tests/setup/debian-image.sh NAME [PACKAGE...]
# mmdebstrap writes the root file system as a tar stream that `docker import` turns into NAME. The package list is
# kept as a label, so an image already made with the same list is reused (CI runs stay inside their budget) and a
# changed list makes a new one. Test-only images: nothing here is shipped.
set -euo pipefail

name=$1
shift
packages=$(printf '%s\n' python3 ca-certificates "$@" | sort -u | paste -sd, -)

if [ "$(docker image inspect --format '{{index .Config.Labels "ks-gui.test.packages"}}' "$name" 2>/dev/null)" = "$packages" ]; then
    exit 0
fi
if ! command -v mmdebstrap >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "debian-image: mmdebstrap is missing: sudo apt-get install mmdebstrap" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi
echo "debian-image: making $name from Debian's packages ($packages)"
mmdebstrap --quiet --variant=minbase --include="$packages" bookworm - |
    docker import \
        --change "LABEL ks-gui.test.packages=$packages" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' \
        - "$name" >/dev/null
echo "debian-image: $name ready"
