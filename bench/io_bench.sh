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
# medians, and CPU time (user + system, all threads) per read.
# Needs fio (Debian package fio) and db_bench (rocksdb-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/var/tmp/synapsed-io-bench}
NUM=${2:-32000000}
ROUNDS=${3:-3}
SECONDS_EACH=20
SYN=build/release/tools/synapsed_bench
mkdir -p "$WORK"
PREP=(--benchmarks=fillseq --num="$NUM" --compression_type=lz4 --bloom_bits=10 --seed=1)
READ=(--num="$NUM" --duration=$SECONDS_EACH --cache_size=67108864 --use_direct_reads=true
      --bloom_bits=10 --compression_type=lz4 --use_existing_db=1)
for tool in rocksdb synapsed; do
  if [ ! -d "$WORK/$tool-db" ]; then
    bin=$([ $tool = rocksdb ] && echo db_bench || echo $SYN)
    echo "prepare $tool: ${PREP[*]}" >&2
    $bin "${PREP[@]}" --db="$WORK/$tool-db" > "$WORK/prepare-$tool.log" 2>&1
  fi
done
[ -f "$WORK/fio.dat" ] || fio --name=make --filename="$WORK/fio.dat" --size=2G --rw=write \
  --bs=1M --direct=1 > /dev/null
echo "databases: rocksdb $(du -sh "$WORK/rocksdb-db" | cut -f1), synapsed" \
  "$(du -sh "$WORK/synapsed-db" | cut -f1); block cache 64 MiB"

fio_iops() {
  fio --name=rr --filename="$WORK/fio.dat" --size=2G --ioengine=io_uring --direct=1 \
    --rw=randread --bs=4k --iodepth="$1" --runtime=$SECONDS_EACH --time_based \
    --output-format=terse --terse-version=3 | awk -F';' '{print $8}'
}
# run TOOL BENCH-ARGS...: prints "ops/s cpu_us_per_op"
run() {
  local tool=$1; shift
  local bin=$([ $tool = rocksdb ] && echo db_bench || echo $SYN)
  local out; out=$(mktemp)
  /usr/bin/time -f "%U %S" -o "$out.time" $bin "$@" "${READ[@]}" --db="$WORK/$tool-db" \
    > "$out" 2>&1
  local line; line=$(grep -E '^[a-z]+ +: .* ops/sec' "$out" | tail -1)
  local ops; ops=$(sed -E 's/.* ([0-9]+) ops\/sec.*/\1/' <<< "$line")
  local n; n=$(sed -E 's/.* ([0-9]+) operations;.*/\1/' <<< "$line")
  read -r user sys < "$out.time"
  python3 -c "print($ops, round(($user + $sys) * 1e6 / $n, 1))"
  rm -f "$out" "$out.time"
}

declare -A R
for ((r = 1; r <= ROUNDS; r++)); do
  order=(rocksdb synapsed); ((r % 2 == 0)) && order=(synapsed rocksdb)
  R[fio1]+="$(fio_iops 1) "
  for t in "${order[@]}"; do R[rr_$t]+="$(run $t --benchmarks=readrandom)|"; done
  R[fio32]+="$(fio_iops 32) "
  for t in "${order[@]}"; do
    R[mr_$t]+="$(run $t --benchmarks=multireadrandom --batch_size=32 --multiread_batched=true)|"
  done
  echo "round $r done" >&2
done
python3 - "${R[fio1]}" "${R[fio32]}" "${R[rr_rocksdb]}" "${R[rr_synapsed]}" \
  "${R[mr_rocksdb]}" "${R[mr_synapsed]}" <<'PY'
import statistics, sys
fio1, fio32 = ([float(x) for x in a.split()] for a in sys.argv[1:3])
def runs(a):
    return [tuple(float(v) for v in x.split()) for x in a.split("|") if x.strip()]
rr_r, rr_s, mr_r, mr_s = (runs(a) for a in sys.argv[3:7])
med = statistics.median
def row(name, r, s, device, dev_name):
    ro, so = med(x[0] for x in r), med(x[0] for x in s)
    print("%-16s %10.0f %10.0f %7.2fx %10.0f %7.0f%% %9.1f %9.1f" % (
        name, ro, so, so / ro, device, 100 * so / device, med(x[1] for x in r),
        med(x[1] for x in s)))
    print("   runs: rocksdb %s; synapsed %s; %s %s" % (
        [int(x[0]) for x in r], [int(x[0]) for x in s], dev_name, [int(x) for x in
        (fio1 if dev_name == "fio QD1" else fio32)]))
print("%-16s %10s %10s %8s %10s %8s %9s %9s" % ("benchmark", "RocksDB/s", "synapsed/s",
      "ratio", "fio IOPS", "of fio", "R cpu us", "S cpu us"))
row("readrandom", rr_r, rr_s, med(fio1), "fio QD1")
row("multireadrandom", mr_r, mr_s, med(fio32), "fio QD32")
print("(medians of %d rounds; fio: 4 KiB randread, io_uring, O_DIRECT; cpu: user+system"
      " of the whole process per read; RocksDB: Debian db_bench 7.8.3, assertion-enabled,"
      " no io_uring)" % len(fio1))
PY
