#!/usr/bin/env bash
# synapsed: the two commands of README.md.
#
#   ./run.sh test    install missing Debian packages, build (Release and
#                    ASan+UBSan), run every test in both, and the concurrency
#                    tests under TSan
#   ./run.sh bench   install missing packages, build Release, run the default
#                    benchmark and print the results table
#
# Only what is missing is installed (apt-get, non-interactive). Builds use
# CMake presets (CMakePresets.json) in build/<preset>, with 2 jobs.
set -euo pipefail
cd "$(dirname "$0")"

# Build and test dependencies (DESIGN.md §2 lists what each is for).
BUILD_PACKAGES=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config python3
  libxxhash-dev libzstd-dev liblz4-dev liburing-dev libgflags-dev libgtest-dev libgmock-dev libbenchmark-dev
)
BENCH_PACKAGES=(rocksdb-tools fio)

# The default benchmark: DESIGN.md section 7's reference workload, exactly.
# Both engines get this same string.
REFERENCE_ARGS=(
  --benchmarks=fillseq,fillrandom,overwrite,readrandom,readseq,seekrandom
  --num=2000000 --reads=500000 --value_size=100 --key_size=16
  --compression_type=lz4 --cache_size=268435456 --bloom_bits=10 --threads=1
)

JOBS=${JOBS:-2}

usage() {
  cat >&2 <<'USAGE'
usage: ./run.sh COMMAND
  test    install missing packages, build Release and ASan, run every test
  bench   install missing packages, build Release, run the default benchmark
          against RocksDB's db_bench; ./run.sh bench -- FLAGS runs FLAGS instead
          (ROUNDS=N sets the rounds, default 3)
USAGE
}

log() { printf '==> %s\n' "$*" >&2; }

install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build() {
  local preset=$1
  log "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
}

cmd_test() {
  install_missing "${BUILD_PACKAGES[@]}"
  build release
  log "tests: release"
  ctest --preset release -j "$JOBS"
  build asan
  log "tests: asan (ASan + UBSan)"
  ctest --preset asan -j "$JOBS"
  # TSan: only the tests that race threads against each other.
  log "configure + build: tsan (concurrency tests)"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target concurrency_test memtable_test flush_db_test io_db_test
  log "tests: tsan"
  ctest --preset tsan -R '^(concurrency_test|memtable_test|flush_db_test|io_db_test)$'
}

cmd_bench() {
  install_missing "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
  build release
  [ "${1:-}" = "--" ] && shift
  local args=("$@")
  [ ${#args[@]} -eq 0 ] && args=("${REFERENCE_ARGS[@]}")
  python3 bench/compare.py --rounds "${ROUNDS:-3}" --out build/bench-results -- "${args[@]}"
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) usage; exit 2 ;;
esac
