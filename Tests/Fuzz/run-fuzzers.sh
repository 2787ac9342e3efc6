#!/usr/bin/env bash
# Builds and runs the libFuzzer targets for the readers.
#
# Usage (from anywhere inside the repository):
#   Tests/Fuzz/run-fuzzers.sh [seconds-per-target] [target ...]
# Targets: safetensors torchzip pickle numpy json torch7 (TensorFormats), jpeg png (Images),
# inflate tar (Archives), idx cifar npyimages (Datasets), metadata (model metadata → network:
# Checkpoints, Engine). Default: all, 180 seconds each. FUZZ_RUNS=N runs each target for N
# executions instead; FUZZ_TIMEOUT=S (default 10) is the per-input time limit (raise it on a
# busy machine).
#
# The TensorFormats targets are compiled with `swiftc -sanitize=fuzzer,address -parse-as-library`
# together with the TensorFormats and Basics sources (jpeg, png: the Images sources, inflate and
# CRC-32); the others link modules compiled one by one with the same flags (no SwiftPM; Engine
# without -Ounchecked, so bounds are checked). Each corpus is seeded from
# Tests/Fuzz/Corpus/<target>/ (committed, small), the committed fixtures and the regression
# inputs in Tests/Fuzz/Regressions/<target>/, and it runs for the given time.
# Crash inputs are written to <work>/<target>/crashes/, where <work> is $FUZZ_WORK (default
# .build/fuzz, relative to the repository root). Needs python3 only to seed the pickle corpus.
set -euo pipefail

seconds="${1:-180}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors torchzip pickle numpy torch7 jpeg png json inflate tar idx cifar npyimages metadata)
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
sources=(Sources/Readers/Formats/*.swift Sources/Basics/*.swift)
fixtures=Tests/TensorFormatsTests/Fixtures
work="${FUZZ_WORK:-.build/fuzz}"
swiftc_bin="${SWIFTC:-swiftc}"

entry_for() {
  case "$1" in
    safetensors) echo Tests/Fuzz/FuzzSafeTensors.swift ;;
    torchzip) echo Tests/Fuzz/FuzzTorchZip.swift ;;
    pickle) echo Tests/Fuzz/FuzzPickle.swift ;;
    numpy) echo Tests/Fuzz/FuzzNumPy.swift ;;
    json) echo Tests/Fuzz/FuzzStrictJSON.swift ;;
    inflate) echo Tests/Fuzz/FuzzInflate.swift ;;
    tar) echo Tests/Fuzz/FuzzTar.swift ;;
    idx) echo Tests/Fuzz/FuzzIDX.swift ;;
    cifar) echo Tests/Fuzz/FuzzCIFAR.swift ;;
    npyimages) echo Tests/Fuzz/FuzzNumPyImages.swift ;;
    metadata) echo Tests/Fuzz/FuzzModelMetadata.swift ;;
    torch7) echo Tests/Fuzz/FuzzTorch7.swift ;;
    jpeg) echo Tests/Fuzz/FuzzJPEG.swift ;;
    png) echo Tests/Fuzz/FuzzPNG.swift ;;
    *) echo "unknown target $1" >&2; exit 64 ;;
  esac
}

seed_corpus() {
  local target="$1" corpus="$2"
  case "$target" in
    safetensors) cp "$fixtures"/*.safetensors "$corpus"/ ;;
    torchzip) for f in "$fixtures"/zip_*.pt; do cp "$f" "$corpus"/; done ;;
    pickle)
      for f in "$fixtures"/legacy_*.pt; do cp "$f" "$corpus"/; done
      # data.pkl records pulled out of the zip fixtures: bare pickle streams.
      python3 - "$fixtures" "$corpus" <<'PY' || true
import sys, zipfile, glob, os
src, dst = sys.argv[1], sys.argv[2]
for path in glob.glob(os.path.join(src, "zip_*.pt")):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith("/data.pkl"):
                with open(os.path.join(dst, os.path.basename(path) + ".pkl"), "wb") as out:
                    out.write(archive.read(name))
PY
      ;;
    numpy) cp "$fixtures"/*.npy "$corpus"/ ;;
    inflate) cp Tests/DatasetsTests/Fixtures/tools/*.gz "$corpus"/ 2>/dev/null || true ;;
    tar) cp Tests/DatasetsTests/Fixtures/tools/*.tar "$corpus"/ 2>/dev/null || true ;;
    torch7) cp Tests/CheckpointsTests/Fixtures/torch7/*.t7 "$corpus"/ ;;
    jpeg) cp Tests/ImagesTests/Fixtures/*.jpg "$corpus"/ ;;
    png) cp Tests/ImagesTests/Fixtures/*.png "$corpus"/ ;;
  esac
  if [ -d "Tests/Fuzz/Corpus/$target" ]; then
    cp "Tests/Fuzz/Corpus/$target"/* "$corpus"/ 2>/dev/null || true
  fi
  if [ -d "Tests/Fuzz/Regressions/$target" ]; then
    cp "Tests/Fuzz/Regressions/$target"/* "$corpus"/ 2>/dev/null || true
  fi
}

# Library modules for the multi-module targets, in dependency order: name and source folder.
modules=(Archives:Sources/Readers/Archives TensorFormats:Sources/Readers/Formats Images:Sources/Readers/Images
  Datasets:Sources/Readers/Datasets Engine:Sources/Engine Checkpoints:Sources/Readers/Checkpoints)
if [ -d Sources/Basics ]; then modules=(Basics:Sources/Basics "${modules[@]}"); fi
lib="$work/lib"

build_modules() {
  [ -f "$lib/.built" ] && return 0
  mkdir -p "$lib"
  for pair in "${modules[@]}"; do
    local name="${pair%%:*}" folder="${pair#*:}"
    echo "== building module $name"
    if ! "$swiftc_bin" -sanitize=fuzzer,address -parse-as-library -O -g -wmo -enable-testing \
      -module-name "$name" -I "$lib" -emit-module -emit-module-path "$lib/$name.swiftmodule" \
      -c $(find "$folder" -name '*.swift' | sort) -o "$lib/$name.o" >"$lib/$name.log" 2>&1; then
      cat "$lib/$name.log" >&2
      exit 1
    fi
  done
  touch "$lib/.built"
}

for target in "${targets[@]}"; do
  entry="$(entry_for "$target")"
  dir="$work/$target"
  mkdir -p "$dir/corpus" "$dir/crashes"
  echo "== $target: building"
  case "$target" in
    safetensors | torchzip | pickle | numpy | json | torch7)
      command=("$swiftc_bin" -sanitize=fuzzer,address -parse-as-library -O -g
        -module-name TensorFormats "${sources[@]}" "$entry" -o "$dir/fuzzer") ;;
    jpeg | png)
      command=("$swiftc_bin" -sanitize=fuzzer,address -parse-as-library -O -g -module-name Images
        Sources/Readers/Images/*.swift Sources/Readers/Archives/Inflate.swift
        Sources/Readers/Archives/ArchiveError.swift Sources/Readers/Archives/DecompressionLimit.swift
        Sources/Basics/CRC32.swift "$entry" -o "$dir/fuzzer") ;;
    *)
      build_modules
      command=("$swiftc_bin" -sanitize=fuzzer,address -parse-as-library -O -g -I "$lib"
        "$entry" "$lib"/*.o -o "$dir/fuzzer") ;;
  esac
  if ! "${command[@]}" >"$dir/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$dir/build.log" >&2
    exit 1
  fi
  seed_corpus "$target" "$dir/corpus"
  echo "== $target: running for ${seconds}s"
  status=0
  limit=(-max_total_time="$seconds")
  if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); fi
  "$dir/fuzzer" "$dir/corpus" "${limit[@]}" -artifact_prefix="$dir/crashes/" \
    -max_len=65536 -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 2>"$dir/log.txt" || status=$?
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$dir/log.txt" | tail -3 || true
  crashes=$(find "$dir/crashes" -type f | wc -l)
  echo "== $target: exit status $status, crash/timeout artifacts: $crashes"
done
