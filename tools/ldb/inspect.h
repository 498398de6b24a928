// Offline inspection of a database directory for synapsed_ldb: the MANIFEST
// replayed edit by edit (manifest_dump) and a consistency check of the
// version it describes (checkconsistency). Neither opens the DB, takes its
// LOCK or writes a byte, so both work on a copy, on a damaged directory, or
// beside a running process (which may switch CURRENT under them: the result
// is then a stale but self-consistent view, or a missing-file error).
//
// Errors are one-line Statuses naming the file (relative to the database
// directory, as the engine names them) and the offset when known.
// Thread safety: pure functions of the directory's contents.
#ifndef SYNAPSED_TOOLS_LDB_INSPECT_H_
#define SYNAPSED_TOOLS_LDB_INSPECT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "engine/version_set.h"
#include "synapsed/file_system.h"
#include "synapsed/status.h"

namespace synapsed::ldb {

// Bytes as the tools print them: "0x" + upper-case hex, or escaped.
std::string Printable(std::string_view s, bool hex);

// What replaying the MANIFEST named by CURRENT produced.
struct ManifestReplay {
  std::string manifest_name;  // "MANIFEST-000004"
  uint64_t manifest_number = 0;
  std::shared_ptr<const Version> version;
  uint64_t log_number = 0;
  uint64_t next_file_number = 0;
  SequenceNumber last_sequence = 0;
  int edits = 0;
  // A damaged final record, ignored as recovery ignores it (manifest.md,
  // Recovery step 3); torn_tail_damage describes it.
  bool torn_tail = false;
  std::string torn_tail_damage;
};

// Reads CURRENT and replays the MANIFEST it names with the engine's rules
// for applying edits (snapshot first, counters never decrease, VersionBuilder),
// calling visit(record offset, edit) for every edit before it is applied.
// Does not look at table files.
Status ReplayManifest(FileSystem* fs, const std::string& dbname,
                      const std::function<void(uint64_t, const VersionEdit&)>& visit,
                      ManifestReplay* result);

// manifest_dump: every edit with its offset, then the resulting version.
Status DumpManifest(FileSystem* fs, const std::string& dbname, bool hex, std::ostream& out);

// checkconsistency: the MANIFEST replays; every live table exists with its
// recorded size; VersionSet::Recover accepts the directory; every live table
// opens as this database's table of that number (IDENTITY), verifies every
// block and holds the key range and sequences the MANIFEST records. Prints
// "OK" on success; otherwise returns the first problem.
Status CheckConsistency(const std::shared_ptr<FileSystem>& fs, const std::string& dbname,
                        std::ostream& out);

}  // namespace synapsed::ldb

#endif  // SYNAPSED_TOOLS_LDB_INSPECT_H_
