#!/bin/bash
# Make sure a Docker engine answers. Use the one that runs; otherwise, as root on Debian (as CI is), install
# Debian's docker.io and start dockerd in the background. The engine tests never skip: no engine, no test run.
set -euo pipefail

if docker info >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "engine: no Docker engine answers, and this is not root on Debian: start Docker, then run make test" >&2
    exit 1
fi
if ! command -v dockerd >/dev/null; then
    echo "engine: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io >/dev/null
fi
log=${TMPDIR:-/tmp}/ks-gui-dockerd.log
echo "engine: starting dockerd (log: $log)"
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        echo "engine: ready ($(docker version --format '{{.Server.Version}}'))"
        exit 0
    fi
    sleep 1
done
echo "engine: dockerd did not answer within 60 s; its log:" >&2
tail -n 30 "$log" >&2
exit 1
