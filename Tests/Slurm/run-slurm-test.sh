#!/usr/bin/env bash
# A real Slurm test of sharded runs (issue 18): starts a single-node Slurm cluster in a temporary
# folder (munged with its own key and socket, slurmctld, slurmd; proctrack/linuxproc, task/none),
# submits `sbatch --array=0-3 --wait` running a sharded single-deletion sweep of the bundled
# ResNet-110 with `--shard auto`, merges the four parts, and compares the bytes with the unsharded
# run. Everything it starts is stopped by process id on exit.
#
# Usage: Tests/Slurm/run-slurm-test.sh [path/to/resnet-lesion]   (default .build/release/resnet-lesion)
# Installs Debian's slurm-wlm and munge with apt-get when they are missing (needs root, as CI has).
# Environment: SLURM_TEST_LIMIT (images, default 60), SLURM_TEST_KEEP=1 keeps the folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
repository=$(pwd)
binary=$(realpath "${1:-.build/release/resnet-lesion}")
limit=${SLURM_TEST_LIMIT:-60}
started=$(date +%s)

[ -x "$binary" ] || { echo "slurm test: $binary is not built (swift build -c release)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
  || ! command -v sbatch >/dev/null; then
  echo "slurm test: installing slurm-wlm and munge" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/resnet-lesion-slurm.XXXXXX)
chmod 711 "$work"  # munged wants its socket folder searchable
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  fi
  [ "${SLURM_TEST_KEEP:-0}" = 1 ] && echo "slurm test: kept $work" >&2 || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge, with its own key, socket, pid and seed files.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --foreground --force --key-file="$work/munge.key" --socket="$work/munge.socket" \
  --pid-file="$work/munged.pid" --seed-file="$work/munged.seed" --log-file="$work/munged.log" \
  >"$work/munged.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge.socket" ] || { echo "slurm test: munged did not start" >&2; exit 1; }

# One node with the machine's real CPUs and memory, as slurmd -C reports them.
host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")
port=$(( 20000 + RANDOM % 20000 ))
user=$(id -un)
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=resnetlesiontest
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$port
SlurmdPort=$(( port + 1 ))
AuthType=auth/munge
AuthInfo=socket=$work/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
$node State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$work/slurmd.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || { echo "slurm test: the node did not come up (state '${state:-none}')" >&2; exit 1; }
ready=$(date +%s)

# The batch script of the README, with this binary and a small selection.
cat > "$work/sweep.sbatch" <<JOB
#!/bin/sh
#SBATCH --job-name=resnet-lesion-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/job-%a.log
export RESNET_LESION_THREADS=\${SLURM_CPUS_PER_TASK:-1}
exec "$binary" sweep --limit $limit --quiet --shard auto --output "$work/part-\$SLURM_ARRAY_TASK_ID.json"
JOB
export RESNET_LESION_DATA="$repository/notebooks-data"
sbatch --array=0-3 --wait --chdir="$work" "$work/sweep.sbatch" >"$work/sbatch.log"
submitted=$(date +%s)

# Outputs record their command with --output as given: the same relative name in two folders.
mkdir -p "$work/merged" "$work/unsharded"
(cd "$work/merged" && "$binary" merge ../part-0.json ../part-1.json ../part-2.json ../part-3.json \
  --output sweep.csv --quiet)
(cd "$work/unsharded" && "$binary" sweep --limit "$limit" --output sweep.csv --quiet)
if cmp "$work/merged/sweep.csv" "$work/unsharded/sweep.csv"; then
  echo "slurm test: 4 array tasks merged to the unsharded sweep's bytes ($(wc -l <"$work/merged/sweep.csv") lines); cluster up in $((ready - started)) s, array job $((submitted - ready)) s, total $(( $(date +%s) - started )) s"
else
  diff "$work/merged/sweep.csv" "$work/unsharded/sweep.csv" | head -n 20 >&2
  echo "slurm test: merged parts differ from the unsharded run" >&2
  exit 1
fi
