#!/usr/bin/env bash
# Issue 6's measurement: reads on a database many times larger than the block
# cache, with direct reads, against the device's own limits measured by fio
# in the same rounds.
#
#   bench/io_bench.sh [WORKDIR [NUM [ROUNDS]]]
#
# Builds (once; reused if WORKDIR has them) a NUM-key fillseq database per
# engine in WORKDIR (default /var/tmp/synapsed-io-bench, NUM 32000000:
# about 2 GiB), then runs ROUNDS (default 3) rounds of, in this order:
#   fio randread 4 KiB QD1 (io_uring, O_DIRECT), both engines' readrandom,
#   fio QD32, both engines' multireadrandom --batch_size=32,
# alternating which engine goes first, 20 s each. Prints every figure, the
# medians, each engine's share of fio's IOPS (median over rounds of the
# round's ratio, since the device drifts), and CPU time (user + system, all
# threads) per read.
#
# Both engines get the same flags, so both compress every level with LZ4.
# IO_BENCH_ZSTD=1 adds a third engine, synapsed with its library default of
# Zstd at the bottom level (--bottommost_compression=zstd), in its own
# database.
# Needs fio (Debian package fio) and db_bench (rocksdb-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/var/tmp/synapsed-io-bench}
NUM=${2:-32000000}
ROUNDS=${3:-3}
SECONDS_EACH=${IO_BENCH_SECONDS:-20}  # per run
SYN=build/release/tools/synapsed_bench
mkdir -p "$WORK"
PREP=(--benchmarks=fillseq --num="$NUM" --compression_type=lz4 --bloom_bits=10 --seed=1)
READ=(--num="$NUM" --duration=$SECONDS_EACH --cache_size=67108864 --use_direct_reads=true
      --bloom_bits=10 --compression_type=lz4 --use_existing_db=1)
ENGINES=(rocksdb synapsed)
[ "${IO_BENCH_ZSTD:-0}" = 1 ] && ENGINES+=(synapsed-zstd)
bin_of() { [ "$1" = rocksdb ] && echo db_bench || echo "$SYN"; }
extra_of() { [ "$1" = synapsed-zstd ] && echo --bottommost_compression=zstd || true; }
for tool in "${ENGINES[@]}"; do
  if [ ! -d "$WORK/$tool-db" ]; then
    echo "prepare $tool: ${PREP[*]} $(extra_of $tool)" >&2
    $(bin_of $tool) "${PREP[@]}" $(extra_of $tool) --db="$WORK/$tool-db" \
      > "$WORK/prepare-$tool.log" 2>&1
  fi
done
[ -f "$WORK/fio.dat" ] || fio --name=make --filename="$WORK/fio.dat" --size=2G --rw=write \
  --bs=1M --direct=1 > /dev/null
for tool in "${ENGINES[@]}"; do echo "database $tool: $(du -sh "$WORK/$tool-db" | cut -f1)"; done
echo "block cache 64 MiB"

fio_iops() {
  fio --name=rr --filename="$WORK/fio.dat" --size=2G --ioengine=io_uring --direct=1 \
    --rw=randread --bs=4k --iodepth="$1" --runtime=$SECONDS_EACH --time_based \
    --output-format=terse --terse-version=3 | awk -F';' '{print $8}'
}
# run TOOL BENCH-ARGS...: prints "ops/s cpu_us_per_op"
run() {
  local tool=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%U %S" -o "$out.time" $(bin_of $tool) "$@" "${READ[@]}" $(extra_of $tool) \
    --db="$WORK/$tool-db" > "$out" 2>&1
  local line; line=$(grep -E '^[a-z]+ +: .* ops/sec' "$out" | tail -1)
  local ops; ops=$(sed -E 's/.* ([0-9]+) ops\/sec.*/\1/' <<< "$line")
  local n; n=$(sed -E 's/.* ([0-9]+) operations;.*/\1/' <<< "$line")
  read -r user sys < "$out.time"
  python3 -c "print($ops, round(($user + $sys) * 1e6 / $n, 1))"
  rm -f "$out" "$out.time"
}

# One line per measurement: "round bench engine ops/s cpu_us" (fio: cpu 0).
RESULTS=$(mktemp)
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${ENGINES[@]}")
  ((r % 2 == 0)) && order=($(printf '%s\n' "${ENGINES[@]}" | tac))
  echo "$r readrandom fio $(fio_iops 1) 0" >> "$RESULTS"
  for t in "${order[@]}"; do
    echo "$r readrandom $t $(run $t --benchmarks=readrandom)" >> "$RESULTS"
  done
  echo "$r multireadrandom fio $(fio_iops 32) 0" >> "$RESULTS"
  for t in "${order[@]}"; do
    echo "$r multireadrandom $t $(run $t --benchmarks=multireadrandom --batch_size=32 \
      --multiread_batched=true)" >> "$RESULTS"
  done
  echo "round $r done" >&2
done
python3 - "$RESULTS" "${ENGINES[@]}" <<'PY'
import collections, statistics, sys
engines = sys.argv[2:]
data = collections.defaultdict(dict)  # (bench, engine) -> round -> (ops, cpu)
for line in open(sys.argv[1]):
    r, bench, engine, ops, cpu = line.split()
    data[(bench, engine)][int(r)] = (float(ops), float(cpu))
med = statistics.median
print("%-16s %-14s %10s %8s %10s %10s  %s" % ("benchmark", "engine", "ops/s", "vs rocksdb",
      "of fio", "cpu us/op", "runs"))
for bench, dev in (("readrandom", "fio QD1"), ("multireadrandom", "fio QD32")):
    fio = data[(bench, "fio")]
    print("%-16s %-14s %10.0f %8s %10s %10s  %s" % (bench, dev, med(v[0] for v in fio.values()),
          "", "", "", [int(v[0]) for v in fio.values()]))
    rocks = data[(bench, "rocksdb")]
    for e in engines:
        runs = data[(bench, e)]
        ops = med(v[0] for v in runs.values())
        # Per-round ratios: the device drifts between rounds more than within one.
        of_fio = med(runs[r][0] / fio[r][0] for r in runs)
        vs = med(runs[r][0] / rocks[r][0] for r in runs)
        print("%-16s %-14s %10.0f %7.2fx %9.0f%% %10.1f  %s" % (bench, e, ops, vs, 100 * of_fio,
              med(v[1] for v in runs.values()), [int(v[0]) for v in runs.values()]))
print("(%d rounds, medians; 'vs rocksdb' and 'of fio' are medians of each round's ratio;"
      " fio: 4 KiB randread, io_uring, O_DIRECT; cpu: user+system of the whole process per"
      " read; RocksDB: Debian db_bench 7.8.3, assertion-enabled, no io_uring)" % len(
      data[("readrandom", "fio")]))
PY
rm -f "$RESULTS"
