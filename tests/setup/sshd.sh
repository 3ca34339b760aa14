#!/bin/bash
# The GPU-server tests (tests/server) log in over SSH on loopback as a test account that may use Docker: OpenSSH's
# server and client, and the account `ks-gui-test` in the docker group. The server itself is started by the tests,
# on a port and with keys of their own (tests/helpers/loopback_sshd.py). As root on Debian (CI) this installs; elsewhere it
# names what is missing.
set -euo pipefail

ACCOUNT=ks-gui-test
missing=()
for package in openssh-server openssh-client; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ] || ! id "$ACCOUNT" >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "sshd: needs root on Debian to install ${missing[*]:-} and add the account $ACCOUNT" >&2
        exit 1
    fi
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "sshd: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! id "$ACCOUNT" >/dev/null 2>&1; then
    getent group docker >/dev/null || groupadd --system docker
    useradd --create-home --shell /bin/bash --groups docker "$ACCOUNT"
    echo "sshd: added the account $ACCOUNT (group docker)"
fi
# No password at all ('*'), rather than a locked one ('!'): sshd without PAM refuses a locked account's key logins.
if [ "$(id -u)" -eq 0 ] && [ "$(getent shadow "$ACCOUNT" | cut -d: -f2)" != "*" ]; then
    usermod -p '*' "$ACCOUNT"
fi
mkdir -p /run/sshd
