#!/usr/bin/env bash
# A single-node Slurm cluster for the tests, started and stopped by them: munged, slurmctld
# and slurmd from Debian's packages (scripts/install-deps.sh), every file under one folder.
#
#   tests/slurm/cluster.sh start DIR    prints "export SLURM_CONF=DIR/slurm.conf" when ready
#   tests/slurm/cluster.sh stop DIR
#
# Needs root (slurmd starts jobs as their user) and the munge key the package generated.
# Ports are picked free; the node is this host, declared with 8 CPUs so that tests can run
# several tasks at once on a small machine. Exit status 3: it
# cannot run here (the reason on stderr), which the tests turn into a skip.
set -euo pipefail

cmd="${1:?start|stop}"
dir="${2:?folder}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

cant() { echo "tests/slurm: $*" >&2; exit 3; }

stop() {
    local pids=() p
    for p in slurmd slurmctld munged; do
        [[ -f "$dir/$p.pid" ]] && pids+=("$(cat "$dir/$p.pid")")
        rm -f "$dir/$p.pid"
    done
    [[ ${#pids[@]} -gt 0 ]] || return 0
    kill "${pids[@]}" 2>/dev/null || true
    for p in "${pids[@]}"; do  # the daemons drop their pid files before they are gone
        for _ in $(seq 100); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null || true
    done
}

if [[ "$cmd" == stop ]]; then
    stop
    exit 0
fi
[[ "$cmd" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

for b in munged slurmctld slurmd sbatch; do
    command -v "$b" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
    command -v "$b" >/dev/null 2>&1 || cant "$b not installed (scripts/install-deps.sh installs slurmctld, slurmd, slurm-client, munge)"
done
[[ "$(id -u)" == 0 ]] || cant "slurmd needs root to start jobs; run the tests as root to include the Slurm test"
key=/etc/munge/munge.key
[[ -r "$key" ]] || cant "no munge key at $key (reinstall munge, or run mungekey)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host="$(hostname -s)"
# 8 CPUs whatever the host has (config_overrides): the tests run 4 tasks at once on 2 cores.
cpus=8
mkdir -p "$dir/state" "$dir/spool"
munged --force --socket="$dir/munge.sock" --key-file="$key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge.seed" ||
    cant "munged did not start: $(tail -n 3 "$dir/munged.log" 2>/dev/null)"

cat > "$dir/slurm.conf" <<CONF
ClusterName=tandemtest
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MinJobAge=600
KillWait=5
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" -i || { stop; cant "slurmctld did not start: $(tail -n 5 "$dir/slurmctld.log" 2>/dev/null)"; }
slurmd -f "$SLURM_CONF" || { stop; cant "slurmd did not start: $(tail -n 5 "$dir/slurmd.log" 2>/dev/null)"; }
for _ in $(seq 100); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 0.2
done
state="$(sinfo -h -o '%t %E' 2>&1 || true)"
stop
cant "the node did not become idle ($state); logs in $dir"
