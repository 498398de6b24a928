#!/usr/bin/env bash
# synapsed: the two commands of README.md.
#
#   ./run.sh test    install missing Debian packages, build (Release and
#                    ASan+UBSan), run every test in both, the concurrency
#                    tests and the kill loop under TSan, then every fuzz target for
#                    FUZZ_SECONDS (default 60) each
#   ./run.sh soak    the long runs: the kill loop for STRESS_KILLS kills
#                    (default 2000), the crash-point, metamorphic,
#                    corruption and I/O fault tests with denser settings,
#                    then every fuzz target for FUZZ_SECONDS (default 1800)
#                    each (docs/testing.md)
#   ./run.sh fuzz    only the fuzz step of `test` (FUZZ_SECONDS, default 60)
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

# The libFuzzer targets (fuzz/CMakeLists.txt; docs/testing.md, "Fuzzing").
FUZZ_TARGETS=(wal_reader block footer table_reader version_edit write_batch db_api)

usage() {
  cat >&2 <<'USAGE'
usage: ./run.sh COMMAND
  test    install missing packages, build Release and ASan, run every test,
          then run each fuzz target for FUZZ_SECONDS (default 60)
  soak    run the kill loop for STRESS_KILLS kills (default 2000), the
          crash-point, metamorphic, corruption and I/O fault tests with denser
          settings, then each fuzz target for FUZZ_SECONDS (default 1800)
  fuzz    only the fuzz step of test: each target for FUZZ_SECONDS (default 60)
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
  # Tests that belong to issue 7's protocols append their counts here
  # (test::ReportProtocol); print_protocols sums them at the end.
  export SYNAPSED_PROTOCOL_REPORT="$PWD/build/protocols.txt"
  mkdir -p build
  rm -f "$SYNAPSED_PROTOCOL_REPORT"
  build release
  log "tests: release"
  ctest --preset release -j "$JOBS"
  build asan
  log "tests: asan (ASan + UBSan)"
  sanitizer_ctest asan -j "$JOBS"
  # TSan: only the tests that race threads against each other.
  log "configure + build: tsan (concurrency tests)"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target concurrency_test memtable_test flush_db_test \
    io_db_test synapsed_stress
  log "tests: tsan"
  sanitizer_ctest tsan \
    -R '^(concurrency_test|memtable_test|flush_db_test|io_db_test|synapsed_stress_kill_loop)$'
  run_fuzzers "${FUZZ_SECONDS:-60}"
  print_protocols "$SYNAPSED_PROTOCOL_REPORT"
}

# sanitizer_ctest PRESET CTEST_ARGS...: ctest under a sanitizer preset, its
# test count reported as protocol 7 (a failed test fails the run, as always).
sanitizer_ctest() {
  local preset=$1 log=build/ctest-$1.log
  shift
  ctest --preset "$preset" "$@" | tee "$log"
  local passed total
  total=$(sed -n 's/.*tests passed, [0-9]* tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  passed=$(sed -n 's/^\([0-9]*\)% tests passed.*/\1/p' "$log" | tail -1)
  [ "$passed" = 100 ] || return 1
  echo "protocol=7 test=ctest-$preset tests_$preset=${total:-0} failures=0" >>"$SYNAPSED_PROTOCOL_REPORT"
}

# print_protocols FILE: one line per protocol of issue 7, each count summed
# over the builds and tests that reported it (lines "protocol=N test=T k=v
# ..."; testutil/testutil.h, ReportProtocol).
print_protocols() {
  local file=$1
  [ -s "$file" ] || { log "no protocol counts were reported"; return 0; }
  log "reliability protocols (issue 7; docs/testing.md), summed over the builds:"
  awk '
    { p = ""; for (i = 1; i <= NF; i++) { split($i, kv, "=");
        if (kv[1] == "protocol") { p = kv[2]; if (!(p in seen)) { seen[p] = 1; order[++n] = p } }
        else if (kv[1] != "test" && p != "") {
          if (!((p, kv[1]) in sum)) keys[p] = keys[p] " " kv[1];
          sum[p, kv[1]] += kv[2] } } }
    END { names[1] = "crash points"; names[2] = "kill loop"; names[3] = "I/O faults";
          names[4] = "metamorphic"; names[5] = "corruption"; names[6] = "fuzzing";
          names[7] = "sanitizers";
          for (j = 1; j <= 7; j++) { p = j ""; if (!(p in seen)) continue;
            line = sprintf("protocol %s %-13s", p, names[j]); m = split(keys[p], ks, " ");
            for (k = 1; k <= m; k++) line = line sprintf(" %s=%d", ks[k], sum[p, ks[k]]);
            print line } }' "$file"
}

# run_fuzzers SECONDS: builds the fuzz preset (the fuzz targets only) and runs
# each target for SECONDS from a copy of its corpus and kept regressions
# (build/fuzz/runs/<target>/corpus: what a run adds never reaches the
# committed corpus), then prints executions, exec/s and failures per target.
# A crash, sanitizer report, leak or timeout is a failure and fails the run;
# the input is saved in build/fuzz/runs/<target>/ (crash-*, leak-*, ...).
run_fuzzers() {
  local seconds=$1
  log "configure + build: fuzz (libFuzzer + ASan + UBSan, fuzz targets only)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$JOBS" --target "${FUZZ_TARGETS[@]/%/_fuzzer}"
  log "fuzzing: ${#FUZZ_TARGETS[@]} targets, ${seconds} s each"
  local runs=build/fuzz/runs failed=0 total=0 t
  rm -rf "$runs"
  local report
  report=$(printf '%-14s %12s %8s %9s\n' target executions exec/s failures)
  for t in "${FUZZ_TARGETS[@]}"; do
    local dir=$runs/$t rc=0
    mkdir -p "$dir/corpus"
    cp fuzz/corpus/"$t"/* "$dir/corpus/"
    if [ -d fuzz/regressions/"$t" ]; then cp fuzz/regressions/"$t"/* "$dir/corpus/"; fi
    local flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=60
                 -rss_limit_mb=3072 -artifact_prefix="$dir/")
    # The API target's inputs cover thousands of features each; libFuzzer's
    # entropic schedule then costs more than the runs themselves.
    if [ "$t" = db_api ]; then flags+=(-entropic=0); fi
    "build/fuzz/fuzz/${t}_fuzzer" "${flags[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
    local execs rate failures=0
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    if [ "$rc" -ne 0 ]; then
      failures=1
      failed=$((failed + 1))
      log "$t FAILED (exit $rc); log: $dir/log; input: $(ls "$dir" | grep -E '^(crash|leak|timeout|oom)-' || true)"
      grep -E 'ERROR|check failed|runtime error|#[0-9]+ 0x' "$dir/log" | head -30 >&2 || true
    fi
    total=$((total + ${execs:-0}))
    if [ -n "${SYNAPSED_PROTOCOL_REPORT:-}" ]; then
      echo "protocol=6 test=${t}_fuzzer targets=1 executions=${execs:-0} failures=$failures" \
        >>"$SYNAPSED_PROTOCOL_REPORT"
    fi
    report+=$'\n'$(printf '%-14s %12s %8s %9s' "$t" "${execs:-?}" "${rate:-?}" "$failures")
  done
  report+=$'\n'$(printf '%-14s %12s %8s %9s' total "$total" "" "$failed")
  log "fuzzing results (protocol 6), ${seconds} s per target:"
  echo "$report"
  if [ "$failed" -ne 0 ]; then
    log "$failed fuzz target(s) failed; keep each input in fuzz/regressions/<target>/ with the fix"
    return 1
  fi
}

# run_kill_loop KILLS: protocol 2's kill loop (docs/testing.md) with KILLS
# kills from STRESS_SEED (default: from the clock; printed). The log of every
# round is build/stress-soak.log; a failure names the seed and the round.
run_kill_loop() {
  local kills=$1 rc=0 log_file=build/stress-soak.log
  log "configure + build: release (synapsed_stress only)"
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$JOBS" --target synapsed_stress
  log "kill loop (protocol 2): $kills kills; log: $log_file"
  build/release/tools/stress/synapsed_stress --kill_loop --kills="$kills" \
    --seed="${STRESS_SEED:-0}" --db=build/stress-soak/db >"$log_file" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "kill loop FAILED (exit $rc):"
    grep -A4 -E 'FAILED' "$log_file" | tail -20 >&2
  fi
  tail -1 "$log_file"
  return "$rc"
}

cmd_soak() {
  install_missing "${BUILD_PACKAGES[@]}"
  local rc=0
  export SYNAPSED_PROTOCOL_REPORT="$PWD/build/protocols-soak.txt"
  mkdir -p build
  rm -f "$SYNAPSED_PROTOCOL_REPORT"
  run_kill_loop "${STRESS_KILLS:-2000}" || rc=$?
  run_soak_tests || rc=$?
  run_fuzzers "${FUZZ_SECONDS:-1800}" || rc=$?
  print_protocols "$SYNAPSED_PROTOCOL_REPORT"
  return "$rc"
}

# run_soak_tests: the deterministic protocols with their soak knobs
# (docs/testing.md): crash points with 8 torn-append seeds per point, 20
# seeds per metamorphic configuration and 2,000 randomized ones, the
# corruption matrix sampled 20 times as densely, the I/O fault matrix.
run_soak_tests() {
  log "configure + build: release (soak tests)"
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$JOBS" --target crash_test model_test corruption_test \
    io_fault_test
  local rc=0
  log "soak: crash points (protocol 1)"
  SYNAPSED_CRASH_SEEDS=8 build/release/tests/crash_test >build/soak-crash.log 2>&1 || rc=$?
  log "soak: metamorphic (protocol 4)"
  SYNAPSED_MODEL_SEEDS=20 SYNAPSED_MODEL_RANDOM_SEEDS=2000 build/release/tests/model_test \
    >build/soak-model.log 2>&1 || rc=$?
  log "soak: corruption matrix (protocol 5)"
  SYNAPSED_CORRUPTION_SAMPLES=20 build/release/tests/corruption_test \
    >build/soak-corruption.log 2>&1 || rc=$?
  log "soak: I/O faults (protocol 3)"
  build/release/tests/io_fault_test >build/soak-io-fault.log 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "a soak test FAILED; logs: build/soak-*.log"
    grep -h -A8 -E 'Failure|FAILED' build/soak-*.log | head -40 >&2 || true
  fi
  return "$rc"
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
  soak) shift; cmd_soak "$@" ;;
  fuzz) shift; install_missing "${BUILD_PACKAGES[@]}"; run_fuzzers "${FUZZ_SECONDS:-60}" ;;
  bench) shift; cmd_bench "$@" ;;
  *) usage; exit 2 ;;
esac
