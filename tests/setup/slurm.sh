#!/bin/bash
# A one-node SLURM cluster on this machine for the cluster tests (tests/cluster): Debian's slurm-wlm and munge, a
# minimal slurm.conf (/etc/slurm/slurm.conf, written only where none is, or where this script wrote it), munged,
# slurmctld and slurmd started without systemd. Its state lives in /var/lib/ks-gui-test-slurm. As root on Debian (CI)
# this installs and starts; elsewhere it names what is missing. Tried: ../shared/reference/scale.md §5 and §7.
set -euo pipefail

STATE=/var/lib/ks-gui-test-slurm
CONF=/etc/slurm/slurm.conf
MARK="# ks-gui test cluster (tests/setup/slurm.sh)"

if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|allocated"; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "slurm: no SLURM cluster answers, and this is not root on Debian: start one (sinfo must list a node)" >&2
    exit 1
fi
missing=()
for package in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# munge: a key of its own, its runtime folder, the daemon as the munge user
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

mkdir -p "$STATE"/{state,spool} /etc/slurm
if [ ! -f "$CONF" ] || head -n 1 "$CONF" | grep -qF "$MARK"; then
    node=$(slurmd -C | head -n 1)
    cat >"$CONF" <<CONFIG
$MARK
ClusterName=ks-gui-test
SlurmctldHost=$(hostname -s)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.txt
ReturnToService=2
MinJobAge=600
# Each job takes one CPU and a share of memory (not the whole node): the one node runs as many jobs as it has CPUs.
DefMemPerCPU=1024
KillWait=10
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONFIG
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 30); do
    if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|allocated"; then
        echo "slurm: one-node cluster ready ($(sinfo -h -o '%P %D %T' | head -n 1))"
        exit 0
    fi
    sleep 1
done
echo "slurm: the cluster did not come up; its logs:" >&2
tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
exit 1
