#!/usr/bin/env bash
# Runs every hostile case of issue 12 against the built binary and prints, per case, the exit
# status, the first line of standard error and the peak resident memory (/usr/bin/time -v).
# Usage (from the repository root, after `swift build -c release`):
#   Tests/Fuzz/Hostile/measure.sh [work-folder]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work="${1:-$root/.build/hostile}"
binary="$root/.build/release/resnet-lesion"
python="${PYTHON:-python3}"
[ -f "$work/.made" ] || { "$python" "$root/Tests/Fuzz/Hostile/make_hostile.py" "$root" "$work" && touch "$work/.made"; } || exit 1
[ -p "$work/fifo.pt" ] || mkfifo "$work/fifo.pt"
mkdir -p "$work/folder.pt"
export RESNET_LESION_DATA="$root/notebooks-data"

run() {
  local name="$1"; shift
  /usr/bin/time -v -o "$work/time.txt" timeout 120 "$binary" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local status=$?
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  printf '%-28s exit %-3s peak %6s MB  %s\n' "$name" "$status" "$((rss / 1024))" \
    "$(head -c 150 "$work/err.txt" | head -1)"
}

run blocks-1e9/info info --model "$work/blocks-1e9.safetensors"
run blocks-1e9/convert convert --model "$work/blocks-1e9.safetensors" --output "$work/x.safetensors"
run blocks-1e9/drop drop --model "$work/blocks-1e9.safetensors" --blocks 1 --limit 10
run widths-2p31/info info --model "$work/widths-2p31.safetensors"
run input-2p40/info info --model "$work/input-2p40.safetensors"
run pax-overflow.tar data info --data "$work/pax-overflow.tar"
run pax-overflow.tar.gz data info --data "$work/pax-overflow.tar.gz"
run mnist-gzip-1GiB data info --data "$work/mnist-bomb"
run mnist-gzip-1GiB/limit50 drop --model plain --data "$work/mnist-bomb" --limit 50 --blocks 1
run cifar-1GiB data info --data "$work/cifar-bomb.tar.gz"
run cifar-1GiB/limit50 drop --data "$work/cifar-bomb.tar.gz" --limit 50 --blocks 1
run cifar-1GiB-4-members data info --data "$work/cifar-bomb-4-members.tar.gz"
run cifar-4x1GiB-members data info --data "$work/cifar-bomb-4x1GiB.tar.gz"
run paths-100000 paths --blocks 100000
run paths-10000 paths --blocks 10000 --format csv
run nan-weight/drop drop --model "$work/nan-weight.safetensors" --blocks 1 --limit 10
run inf-weight/drop drop --model "$work/inf-weight.safetensors" --blocks 1 --limit 10
run negative-variance/drop drop --model "$work/negative-variance.safetensors" --blocks 1 --limit 10
run nan-weight/convert convert --model "$work/nan-weight.safetensors" --output "$work/y.safetensors"
run nan-pixels/predict predict --model plain --input "$work/nan-pixels.npy" --output "$work/l.npy"
run pickle.pt info --model "$work/pickle.pt"
run fifo.pt info --model "$work/fifo.pt"
run dev-zero info --model /dev/zero
run folder.pt info --model "$work/folder.pt"
