// synapsed_ldb: inspect and edit a database from the command line (the
// counterpart of RocksDB's `ldb`).
//
//   synapsed_ldb --db=<dir> [--hex] [--create_if_missing] <command> [args]
//     get <key>                 the value; exit 1 and a NotFound line if absent
//     put <key> <value>         a synced write
//     delete <key>              a synced delete
//     deleterange <begin> <end> a synced DeleteRange of [begin, end)
//     scan [--from=K] [--to=K] [--max_keys=N]   "key ==> value", keys in [from, to)
//     dump [same flags as scan] every live key and value, then "Total keys: N"
//     manifest_dump             every MANIFEST edit and the resulting version
//     checkconsistency          MANIFEST, live tables and their checksums; "OK"
//
// get/put/delete/deleterange/scan/dump open the database through the public
// API (and so take its LOCK and recover it); manifest_dump and
// checkconsistency only read files (tools/ldb/inspect.h).
//
// Exit status: 0 success; 1 a data problem (damaged or foreign file, missing
// key, I/O error); 2 a usage error. Every failure prints exactly one line to
// stderr, "synapsed_ldb: <what>", naming the file and offset when known.
#ifndef SYNAPSED_TOOLS_LDB_LDB_H_
#define SYNAPSED_TOOLS_LDB_LDB_H_

#include <ostream>

namespace synapsed {

constexpr int kLdbExitOk = 0;
constexpr int kLdbExitDataError = 1;
constexpr int kLdbExitUsage = 2;

// Runs one command line (argv[0] is the program name) and returns the exit
// status; results go to out, the failure line (if any) to err. Flags are
// gflags, parsed without ever exiting the process and restored to their
// defaults before returning, so tests can call this repeatedly.
// Not thread-safe: gflags are process-wide.
int RunLdb(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace synapsed

#endif  // SYNAPSED_TOOLS_LDB_LDB_H_
