#!/usr/bin/env python3
"""Run RocksDB's db_bench and synapsed_bench with one argument string, side by side.

    bench/compare.py [--rounds N] [--out DIR] [--prepare "FLAGS"] -- --benchmarks=... --num=...

Each round runs both tools (alternating which goes first) on fresh database
directories with exactly the given flags plus --db. With --prepare, each
tool first builds its database once with FLAGS, and every round then runs
the given flags plus --use_existing_db=1 on it (for read benchmarks on a
database too large to rebuild per round). The CPU time of each run (user +
system, all threads, from the child's rusage) per operation is reported too. Prints, per benchmark, the
median ops/sec of each engine, their ratio (synapsed / RocksDB) and the median
database size on disk after the run; writes the same table as CSV (and as a
PNG bar chart when gnuplot is installed) into --out.

The baseline is Debian's rocksdb-tools db_bench (7.8.3): an assertion-enabled
build without io_uring. Python 3 standard library only.
"""

import argparse
import csv
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# The same expression as tools/bench/report.cc kResultLineRegex.
RESULT_RE = re.compile(
    r"^(\w+)\s*:\s*([0-9.]+) micros/op ([0-9]+) ops/sec ([0-9.]+) seconds ([0-9]+) operations;",
    re.M)
ROCKSDB_NOTE = ("RocksDB: Debian rocksdb-tools db_bench (an assertion-enabled build "
                "without io_uring)")


def parse_results(text):
    """Maps benchmark name -> ops/sec for every result line in text."""
    return {m.group(1): int(m.group(3)) for m in RESULT_RE.finditer(text)}


def total_operations(text):
    return sum(int(m.group(5)) for m in RESULT_RE.finditer(text))


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def parse_amplification(tool, text):
    """From the last `stats` output in text: write amplification (RocksDB's
    definition: table bytes written by flushes and compactions / bytes
    flushed), write-stall seconds, and space amplification (live table
    bytes / bytes of the deepest non-empty level). None if there is none."""
    levels = {}
    wamp = None
    stall = 0.0
    if tool == "rocksdb":
        start = text.rfind("** Compaction Stats [default] **\nLevel")
        if start < 0:
            return None
        block = text[start:]
        for line in block.splitlines()[3:]:
            t = line.split()
            if len(t) < 12 or not (t[0].startswith("L") or t[0] == "Sum"):
                if levels:
                    break
                continue
            if t[0] == "Sum":
                wamp = float(t[11])
                break
            levels[int(t[0][1:])] = float(t[2]) * UNITS.get(t[3], 1)
        m = re.findall(r"Cumulative stall: (\d+):(\d+):([0-9.]+) H:M:S", text)
        if m:
            h, mi, sec = m[-1]
            stall = int(h) * 3600 + int(mi) * 60 + float(sec)
    else:
        start = text.rfind("** DB Stats **")
        if start < 0:
            return None
        block = text[start:]
        for line in block.splitlines():
            t = line.split()
            if len(t) >= 3 and re.match(r"^L\d+$", t[0]):
                levels[int(t[0][1:])] = float(t[2])
        m = re.search(r"Write amplification \(RocksDB's.*?\): ([0-9.]+)", block)
        wamp = float(m.group(1)) if m else None
        for pattern in (r"memtables full\): \d+, ([0-9.]+) s",
                        r"\(level 0\): .*?([0-9.]+) s stopped",
                        r"\(pending compaction bytes\): .*?([0-9.]+) s stopped",
                        r"Write slowdowns: ([0-9.]+) s delayed"):
            m = re.search(pattern, block)
            if m:
                stall += float(m.group(1))
    if not levels or wamp is None:
        return None
    deepest = max((lvl for lvl, size in levels.items() if size > 0), default=None)
    space = sum(levels.values()) / levels[deepest] if deepest is not None else 0.0
    return {"wamp": wamp, "stall": stall, "space": space}


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def run_once(tool, binary, args, workdir, log, keep=False):
    """One run of tool on workdir/<tool>-db: fresh (removed before and
    after) unless keep. Returns (ops/sec per benchmark, db bytes, seconds,
    amplification or None, CPU microseconds per operation)."""
    db = os.path.join(workdir, tool + "-db")
    if not keep:
        shutil.rmtree(db, ignore_errors=True)
    cmd = [binary] + args + ["--db=" + db]
    start = time.monotonic()
    cpu_before = children_cpu_seconds()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cpu = children_cpu_seconds() - cpu_before
    elapsed = time.monotonic() - start
    log.write("$ %s\n%s\n" % (" ".join(cmd), proc.stdout))
    if proc.returncode != 0:
        sys.exit("%s failed (exit %d): %s" % (tool, proc.returncode,
                                               proc.stderr.strip().splitlines()[-1:]))
    size = dir_size(db)
    if not keep:
        shutil.rmtree(db, ignore_errors=True)
    ops = total_operations(proc.stdout)
    cpu_us = cpu * 1e6 / ops if ops else 0.0
    return (parse_results(proc.stdout), size, elapsed, parse_amplification(tool, proc.stdout),
            cpu_us)


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return "%.1f %s" % (n, unit) if unit != "B" else "%d B" % n
        n /= 1024.0
    return str(n)


def write_chart(out_dir, rows):
    if shutil.which("gnuplot") is None:
        return None
    data = os.path.join(out_dir, "compare.dat")
    png = os.path.join(out_dir, "compare.png")
    with open(data, "w") as f:
        for r in rows:
            f.write("%s %d %d\n" % (r["benchmark"], r["rocksdb_ops"], r["synapsed_ops"]))
    script = """
set terminal png size 900,500 noenhanced
set output '%s'
set yrange [0:*]
set key outside top center horizontal
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set ylabel 'ops/sec (median)'
set xtics rotate by -30
plot '%s' using 2:xtic(1) title 'RocksDB db_bench', '' using 3 title 'synapsed_bench'
""" % (png, data)
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    return png if os.path.exists(png) else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="build/bench-results")
    parser.add_argument("--synapsed", default="build/release/tools/synapsed_bench")
    parser.add_argument("--db-bench", default=shutil.which("db_bench") or "/usr/bin/db_bench")
    parser.add_argument("--prepare", default="",
                        help="flags that build each tool's database once, before the rounds")
    parser.add_argument("--workdir", default=None,
                        help="where the databases live (default: a new temporary directory, "
                             "removed at the end); with --prepare, a database already there "
                             "is reused and kept")
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="db_bench flags (after --), passed unchanged to both tools")
    opts = parser.parse_args()
    args = [a for a in opts.args if a != "--"]
    if any(a.startswith("--db=") for a in args):
        sys.exit("compare.py: do not pass --db; each run gets a fresh directory")
    for path in (opts.synapsed, opts.db_bench):
        if not os.access(path, os.X_OK):
            sys.exit("compare.py: %s is not an executable" % path)
    os.makedirs(opts.out, exist_ok=True)

    tools = {"rocksdb": opts.db_bench, "synapsed": opts.synapsed}
    ops = {"rocksdb": {}, "synapsed": {}}
    sizes = {"rocksdb": [], "synapsed": []}
    amps = {"rocksdb": [], "synapsed": []}
    cpus = {"rocksdb": [], "synapsed": []}
    order = []
    workdir = opts.workdir or tempfile.mkdtemp(prefix="synapsed-compare-")
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(opts.out, "compare.log")
    prepare = shlex.split(opts.prepare)
    keep = bool(prepare)
    if keep:
        args = args + ["--use_existing_db=1"]
    try:
        with open(log_path, "w") as log:
            for tool in (["rocksdb", "synapsed"] if keep else []):
                if opts.workdir and os.path.isdir(os.path.join(workdir, tool + "-db")):
                    print("prepare: reusing %s's database in %s" % (tool, workdir),
                          file=sys.stderr, flush=True)
                    continue
                print("prepare: %s ..." % tool, file=sys.stderr, flush=True)
                _, size, elapsed, _, _ = run_once(tool, tools[tool], prepare, workdir, log,
                                                  keep=True)
                print("  %.1f s, %s on disk" % (elapsed, human_bytes(size)), file=sys.stderr,
                      flush=True)
            for rnd in range(opts.rounds):
                pair = ["rocksdb", "synapsed"] if rnd % 2 == 0 else ["synapsed", "rocksdb"]
                for tool in pair:
                    print("round %d/%d: %s ..." % (rnd + 1, opts.rounds, tool), file=sys.stderr,
                          flush=True)
                    results, size, elapsed, amp, cpu_us = run_once(tool, tools[tool], args,
                                                                   workdir, log, keep=keep)
                    cpus[tool].append(cpu_us)
                    if amp is not None:
                        amps[tool].append(amp)
                    for name, value in results.items():
                        ops[tool].setdefault(name, []).append(value)
                        if name not in order:
                            order.append(name)
                    sizes[tool].append(size)
                    print("  %.1f s, %s on disk" % (elapsed, human_bytes(size)),
                          file=sys.stderr, flush=True)
    finally:
        if not (keep and opts.workdir):
            shutil.rmtree(workdir, ignore_errors=True)

    rows = []
    for name in order:
        r = ops["rocksdb"].get(name)
        s = ops["synapsed"].get(name)
        if not r or not s:
            continue
        rm, sm = statistics.median(r), statistics.median(s)
        rows.append({"benchmark": name, "rocksdb_ops": int(rm), "synapsed_ops": int(sm),
                     "ratio": sm / rm if rm else float("inf"), "rounds": min(len(r), len(s)),
                     "rocksdb_runs": " ".join(map(str, r)),
                     "synapsed_runs": " ".join(map(str, s))})
    size_r = statistics.median(sizes["rocksdb"]) if sizes["rocksdb"] else 0
    size_s = statistics.median(sizes["synapsed"]) if sizes["synapsed"] else 0

    print(ROCKSDB_NOTE)
    print("flags: %s" % " ".join(args))
    print("%-18s %16s %16s %8s" % ("benchmark", "RocksDB ops/s", "synapsed ops/s", "ratio"))
    for row in rows:
        print("%-18s %16d %16d %7.2fx" % (row["benchmark"], row["rocksdb_ops"],
                                          row["synapsed_ops"], row["ratio"]))
    print("%-18s %16s %16s" % ("db size on disk", human_bytes(size_r), human_bytes(size_s)))
    if cpus["rocksdb"] and cpus["synapsed"]:
        print("%-18s %16.1f %16.1f" % ("CPU us/op", statistics.median(cpus["rocksdb"]),
                                        statistics.median(cpus["synapsed"])))
        print("(CPU us/op: user + system time of the whole process, every thread, over every"
              " operation of the run)")
    if amps["rocksdb"] and amps["synapsed"]:
        def med(tool, key):
            return statistics.median(a[key] for a in amps[tool])
        print("%-18s %16.2f %16.2f" % ("write amp", med("rocksdb", "wamp"),
                                        med("synapsed", "wamp")))
        print("%-18s %16.1f %16.1f" % ("write stall s", med("rocksdb", "stall"),
                                        med("synapsed", "stall")))
        print("%-18s %16.2f %16.2f" % ("space amp", med("rocksdb", "space"),
                                        med("synapsed", "space")))
        print("(write amp: table bytes written / bytes flushed; space amp: live table bytes /"
              " deepest level's; from the last `stats` of each run)")
    print("(medians of %d alternating rounds; ratio = synapsed / RocksDB)" % opts.rounds)

    csv_path = os.path.join(opts.out, "compare.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["benchmark"])
        writer.writeheader()
        writer.writerows(rows)
        f.write("# db size on disk (median bytes): rocksdb=%d synapsed=%d\n" % (size_r, size_s))
        f.write("# %s\n# flags: %s\n" % (ROCKSDB_NOTE, " ".join(args)))
    png = write_chart(opts.out, rows)
    print("wrote %s%s (run log: %s)" % (csv_path, " and " + png if png else "", log_path))


if __name__ == "__main__":
    main()
