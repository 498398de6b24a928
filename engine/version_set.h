// Version and VersionSet: which table files make up the database, and the
// MANIFEST that makes that durable (docs/format/manifest.md).
//
// A Version is an immutable set of tables per level, shared (shared_ptr) by
// every reader that took it; a VersionSet holds the current Version and the
// open MANIFEST, applies edits (validated, then appended and synced before
// the new Version is installed), recovers from CURRENT and MANIFEST, and
// switches to a new MANIFEST (snapshot, sync, directory sync, CURRENT via
// a temporary file and rename, directory sync).
//
// ReadManifest gives tools (synapsed_ldb) the same replay, with the edits
// and without the table-file checks, so the recovery rules exist once.
//
// Thread safety: VersionSet methods require external serialization (the DB
// mutex, or one thread at Open); a Version is immutable and may be read from
// any thread. After a failed MANIFEST append or sync the VersionSet accepts
// no further edit until a new MANIFEST is started (manifest.md). After a
// failed Recover or ReadManifest it holds a partial replay: destroy it.
#ifndef SYNAPSED_ENGINE_VERSION_SET_H_
#define SYNAPSED_ENGINE_VERSION_SET_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/version_edit.h"
#include "sstable/table_reader.h"
#include "synapsed/file_system.h"
#include "util/function_ref.h"

namespace synapsed {

class TableCache;
namespace wal {
class Writer;
}

constexpr char kComparatorName[] = "synapsed.BytewiseComparator";

class Version {
 public:
  using FileList = std::vector<std::shared_ptr<const FileMetaData>>;
  // Level 0: newest first (by largest sequence). Levels >= 1: by smallest
  // key, ranges disjoint.
  const FileList& files(int level) const { return files_[level]; }
  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  uint64_t TotalFileBytes() const;

  // The newest entry for the user key of internal_key at or below its
  // sequence, searching level 0 newest first (files whose range holds the
  // key), then one candidate file per deeper level, with range tombstones
  // applied (TableReader::Get; *max_covering_seq, may be null, carries the
  // highest covering tombstone sequence from newer sources in and out). The
  // search stops at the first table that decides: a visible entry, or a
  // covering tombstone, which hides every version in deeper tables (a
  // table's key range covers its tombstones, and a deeper table's versions
  // of a key are older than a shallower one's tombstones over it). kAbsent
  // if no table of this version decides.
  Status Get(TableCache* tables, const ReadBlockOptions& options, std::string_view internal_key,
             TableGet* result, std::string* value,
             SequenceNumber* max_covering_seq = nullptr) const;

  // The tables Get searches for the user key of internal_key, in its order;
  // visit returns false to stop.
  void ForEachCandidateTable(std::string_view internal_key,
                             FunctionRef<bool(const FileMetaData&)> visit) const;

 private:
  friend class VersionBuilder;
  std::array<FileList, kNumLevels> files_;
};

// Applies edits to a version, checking the rules of manifest.md ("Applying
// an edit"). Used by recovery and by LogAndApply. A file deleted and added
// by one edit (a move between levels) keeps its FileMetaData object, so one
// object stands for one file across versions.
class VersionBuilder {
 public:
  explicit VersionBuilder(const Version& base);
  // Corruption (with the reason) if the edit does not fit.
  Status Apply(const VersionEdit& edit);
  std::shared_ptr<const Version> Finish() const;

 private:
  Version v_;
};

struct VersionSetOptions {
  // A new MANIFEST is started when the current one passes this size.
  uint64_t max_manifest_bytes = 64ull << 20;
};

class VersionSet {
 public:
  VersionSet(std::shared_ptr<FileSystem> fs, std::string dbname, VersionSetOptions options = {});
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Called with each record's offset and decoded edit, before the edit is
  // checked and applied (so a dump shows the record that fails).
  using EditVisitor = std::function<void(uint64_t record_offset, const VersionEdit& edit)>;

  // Reads CURRENT and replays the MANIFEST it names (manifest.md, Recovery
  // steps 1-3), from nothing: the current version and counters become the
  // MANIFEST's. *torn_tail is set when a damaged final record was ignored
  // (torn_tail_damage() says what it was). NotFound if there is no CURRENT;
  // other errors name CURRENT or the MANIFEST, and the offset when known.
  // Does not look at table files, so tools can show any MANIFEST; a DB opens
  // with Recover. manifest_number() names the MANIFEST from the first visit.
  // REQUIRES: no MANIFEST open (before StartNewManifest and LogAndApply).
  Status ReadManifest(bool* torn_tail, const EditVisitor& visit = nullptr);

  // ReadManifest, then the checks of Recovery step 4: the counters are above
  // every live file's number and sequences, and every live table exists
  // with its recorded size. Errors name the MANIFEST first, then the table
  // file, e.g. "MANIFEST-000004: live table 000005.sst (level 0) is missing".
  // REQUIRES: as ReadManifest.
  Status Recover(bool* torn_tail);

  // What the torn final record ignored by the last replay was, e.g.
  // "checksum mismatch at offset 96 (40 bytes)"; empty if there was none.
  const std::string& torn_tail_damage() const { return torn_tail_damage_; }

  // Starts a new MANIFEST holding a snapshot of the current version and
  // switches CURRENT to it; the old MANIFEST is deleted once the switch is
  // durable. Used at creation, at every Open, and past max_manifest_bytes.
  Status StartNewManifest();

  // Validates edit against the current version and the counters (refusing
  // what the next Open would refuse), fills in next_file and last_sequence,
  // appends it to the MANIFEST and syncs, then installs the new version.
  // With no MANIFEST open (at creation, or after Recover) or the current one
  // past max_manifest_bytes, the edit goes into the snapshot of a new
  // MANIFEST (StartNewManifest) instead.
  // Nothing is installed if any step fails -- but after an I/O failure the
  // record may be durable anyway, so the edit's outcome is unknown until the
  // next Open: the caller must keep the files the edit adds until then.
  Status LogAndApply(VersionEdit* edit);

  std::shared_ptr<const Version> current() const { return current_; }
  uint64_t NewFileNumber() { return next_file_number_++; }
  // Raises the counter to at least n (files seen in the directory).
  void MarkFileNumberUsed(uint64_t n);
  uint64_t next_file_number() const { return next_file_number_; }
  uint64_t log_number() const { return log_number_; }
  void set_log_number(uint64_t n) { log_number_ = n; }
  SequenceNumber last_sequence() const { return last_sequence_; }
  void set_last_sequence(SequenceNumber s) { last_sequence_ = s; }
  uint64_t manifest_number() const { return manifest_number_; }

 private:
  Status ReadCurrent(uint64_t* manifest_number);
  Status ReplayManifest(uint64_t number, bool* torn_tail, const EditVisitor& visit);
  Status CheckRecovered() const;
  // Writes MANIFEST-n with one snapshot record and syncs it.
  Status WriteSnapshot(uint64_t number, std::unique_ptr<wal::Writer>* writer);
  VersionEdit Snapshot() const;

  const std::shared_ptr<FileSystem> fs_;
  const std::string dbname_;
  const VersionSetOptions options_;
  std::shared_ptr<const Version> current_;
  uint64_t next_file_number_ = 1;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint64_t manifest_number_ = 0;
  std::string torn_tail_damage_;
  std::unique_ptr<wal::Writer> manifest_;
  Status manifest_error_;  // sticky: no edits until a new MANIFEST
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_VERSION_SET_H_
