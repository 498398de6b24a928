// File names inside a database directory (docs/design/architecture.md):
//
//   LOCK              advisory lock held while a DB object has the directory open
//   IDENTITY          a unique id, written once at creation; its presence means
//                     "a database lives here"
//   NNNNNN.log        write-ahead log number NNNNNN (write batches)
//   NNNNNN.sst        a table (docs/format/sstable.md)
//   MANIFEST-NNNNNN   the log of version edits (docs/format/manifest.md)
//   CURRENT           names the live MANIFEST ("MANIFEST-NNNNNN\n")
//   NNNNNN.dbtmp      a file being written before it is renamed into place
//   LOG, LOG.old      notes for people (engine/info_log.h); LOG.old is the
//                     previous open's
//   lost/             logs that held damaged or unapplied records, kept for
//                     salvage instead of being deleted
//
// Numbers come from one counter, so every file's number is unique.
#ifndef SYNAPSED_ENGINE_FILENAME_H_
#define SYNAPSED_ENGINE_FILENAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace synapsed {

enum class FileType { kLock, kIdentity, kLog, kTemp, kTable, kManifest, kCurrent, kInfoLog };

std::string LockFileName(const std::string& dbname);
std::string IdentityFileName(const std::string& dbname);
std::string LogFileName(const std::string& dbname, uint64_t number);
std::string TempFileName(const std::string& dbname, uint64_t number);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string ManifestFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string InfoLogFileName(const std::string& dbname);
std::string LostDirName(const std::string& dbname);

// Parses a directory entry name (not a path). False for names that are not
// the database's.
bool ParseFileName(std::string_view name, uint64_t* number, FileType* type);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_FILENAME_H_
