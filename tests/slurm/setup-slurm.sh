#!/usr/bin/env bash
# A private single-node Slurm for the tests: its own munged (key, socket), slurmctld and slurmd,
# all configured and logging under STATE_DIR, so nothing under /etc is changed.
#
#   setup-slurm.sh start STATE_DIR [CPUS]   install the packages if missing (needs root and apt), start
#                                           the daemons, wait for the node to be idle; prints
#                                           SLURM_CONF=STATE_DIR/slurm.conf
#   setup-slurm.sh stop STATE_DIR           stop the daemons started by `start`
#
# `start` exits 3 with one line on stderr saying why when Slurm cannot be started here.
set -uo pipefail
cmd=${1:-}
D=${2:-}
CPUS=${3:-2}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: setup-slurm.sh start|stop STATE_DIR [CPUS]" >&2; exit 2; }

stop_pidfile() {
  local f=$1
  [ -s "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

if [ "$cmd" = stop ]; then
  export SLURM_CONF="$D/slurm.conf"
  [ -f "$SLURM_CONF" ] && scancel --full --quiet --user="$(id -un)" 2>/dev/null
  stop_pidfile "$D/slurmd.pid"
  stop_pidfile "$D/slurmctld.pid"
  stop_pidfile "$D/munged.pid"
  exit 0
fi
[ "$cmd" = start ] || { echo "setup-slurm.sh: unknown command $cmd" >&2; exit 2; }

skip() { echo "$*" >&2; exit 3; }
[ "$(id -u)" = 0 ] || skip "not root: cannot install or start the Slurm and munge daemons"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "Slurm is not installed and apt-get is not available"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >"$D.apt.log" 2>&1; then
    apt-get update -qq >>"$D.apt.log" 2>&1
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >>"$D.apt.log" 2>&1 \
      || skip "apt-get could not install slurmctld slurmd slurm-client munge: $(tail -n 1 "$D.apt.log")"
  fi
fi

mkdir -p "$D/state" "$D/spool" "$D/munge"
chmod 700 "$D/munge"
HOST=$(hostname -s)
MEM=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)

# munge: a fresh key and a daemon of our own, on its own socket.
if [ ! -s "$D/munge/munge.key" ]; then
  mungekey --create --keyfile="$D/munge/munge.key" 2>/dev/null || dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$D/munge/munge.key"
munged --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.socket" --pid-file="$D/munged.pid" \
  --log-file="$D/munged.log" --seed-file="$D/munge/munge.seed" >"$D/munged.out" 2>&1 \
  || skip "munged did not start: $(tail -n 1 "$D/munged.out")"

cat >"$D/slurm.conf" <<EOF
ClusterName=mtlbench
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
ReturnToService=2
KillWait=10
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
export SLURM_CONF="$D/slurm.conf"

slurmctld -i -f "$SLURM_CONF" >"$D/slurmctld.out" 2>&1 || skip "slurmctld did not start: $(tail -n 1 "$D/slurmctld.out") $(tail -n 1 "$D/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" >"$D/slurmd.out" 2>&1 || skip "slurmd did not start: $(tail -n 1 "$D/slurmd.out") $(tail -n 1 "$D/slurmd.log" 2>/dev/null)"
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null | head -n 1)
  if [ "$state" = idle ]; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.5
done
skip "the Slurm node did not become idle in 30 s (state: ${state:-unknown}): $(tail -n 1 "$D/slurmctld.log" 2>/dev/null)"
