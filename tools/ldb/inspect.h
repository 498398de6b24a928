// Offline inspection of a database directory for synapsed_ldb: the MANIFEST
// replayed edit by edit (manifest_dump) and a consistency check of the
// version it describes (checkconsistency). Both replay with the engine's own
// VersionSet (ReadManifest, Recover), so the tool applies exactly the rules
// Open applies. Neither opens the DB, takes its LOCK or writes a byte, so
// both work on a copy, on a damaged directory, or beside a running process
// (which may switch CURRENT under them: the result is then a stale but
// self-consistent view, or a missing-file error).
//
// Errors are one-line Statuses naming the file (relative to the database
// directory, as the engine names them) and the offset when known.
// Thread safety: pure functions of the directory's contents.
#ifndef SYNAPSED_TOOLS_LDB_INSPECT_H_
#define SYNAPSED_TOOLS_LDB_INSPECT_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "synapsed/file_system.h"
#include "synapsed/status.h"

namespace synapsed::ldb {

// Bytes as the tools print them: "0x" + upper-case hex, or escaped.
std::string Printable(std::string_view s, bool hex);

// manifest_dump: every edit with its offset, then the resulting version
// (VersionSet::ReadManifest: the table files are not looked at).
Status DumpManifest(const std::shared_ptr<FileSystem>& fs, const std::string& dbname, bool hex,
                    std::ostream& out);

// checkconsistency: VersionSet::Recover accepts the directory (the MANIFEST
// replays; every live table exists with its recorded size); a torn final
// edit was not acted on (manifest.md, Recovery step 5); every live table
// opens as this database's table of that number (IDENTITY), verifies every
// block and holds the key range and sequences the MANIFEST records. Prints
// "OK" on success; otherwise returns the first problem.
Status CheckConsistency(const std::shared_ptr<FileSystem>& fs, const std::string& dbname,
                        std::ostream& out);

}  // namespace synapsed::ldb

#endif  // SYNAPSED_TOOLS_LDB_INSPECT_H_
