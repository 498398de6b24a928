// VersionEdit: one MANIFEST record, the change from one version (the set of
// live table files per level plus the engine's counters) to the next. This
// unit is the codec only: building, encoding and strictly decoding an edit.
// Applying edits to versions, the MANIFEST and CURRENT files and recovery are
// specified in docs/format/manifest.md and implemented by the version set.
//
// Format: docs/format/manifest.md; version_edit.cc opens with the grammar.
//
// Ownership: an edit owns copies of everything it holds (names, keys).
// Thread safety: a value type; one thread at a time per object.
// Dependencies: util only, so fuzz/ builds it without the rest of the engine.
//
// Guarantees:
//  - EncodeTo writes fields in one fixed order, so equal edits encode to equal
//    bytes, and DecodeFrom(EncodeTo(e)) == e for every valid edit e.
//  - DecodeFrom accepts only well-formed, self-consistent edits (the rules are
//    listed at DecodeFrom and in the format page). On any malformed input it
//    returns Corruption with a reason; it never crashes, never reads outside
//    its input and never allocates more than a small multiple of its size.
//  - Unknown fields whose tag has kEditTagSafeToIgnoreBit set are skipped (and
//    therefore dropped when the edit is re-encoded); any other unknown tag is
//    Corruption.
#ifndef SYNAPSED_ENGINE_VERSION_EDIT_H_
#define SYNAPSED_ENGINE_VERSION_EDIT_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/table_slot.h"
#include "synapsed/status.h"
#include "util/internal_key.h"

namespace synapsed {

constexpr int kNumLevels = 7;

// Field tags of an encoded edit. Part of the on-disk format: never renumber,
// never reuse a retired tag. 0 is never written, so zero-filled bytes never
// parse as an edit.
enum class EditTag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kDeletedFile = 5,
  kNewFile = 6,
  // Ends every edit. Without it, an edit cut at a field boundary would decode
  // as a valid edit with fewer fields; with it, every truncation is detected
  // by the codec itself, not only by the record checksum.
  kEnd = 0x3f,
};
// A tag with this bit set is followed by a varint32-length-prefixed payload,
// so a reader that does not know the tag can skip it. Used for fields that
// are only hints: an older engine that drops them still reads the MANIFEST
// correctly. A tag without the bit that the reader does not know is
// Corruption, because ignoring it could change the meaning of the version.
constexpr uint32_t kEditTagSafeToIgnoreBit = 0x40;

// One table file of a version.
struct FileMetaData {
  uint64_t number = 0;  // the file is NNNNNN.sst
  uint64_t file_size = 0;
  std::string smallest;  // smallest internal key in the file (util/internal_key.h)
  std::string largest;   // largest internal key in the file
  SequenceNumber smallest_seqno = 0;
  SequenceNumber largest_seqno = 0;
  // The table's reader, when the database keeps every table open
  // (max_open_files = -1). Not encoded; a copy starts empty.
  TableSlot table;

  bool operator==(const FileMetaData&) const = default;
};

class VersionEdit {
 public:
  VersionEdit() = default;

  // Back to the empty edit (no fields).
  void Clear();

  // The engine writes "synapsed.BytewiseComparator" in a MANIFEST's first
  // edit; Open refuses a MANIFEST written with another ordering.
  void SetComparatorName(std::string_view name) { comparator_ = std::string(name); }
  // WAL files numbered below n are no longer needed: their updates are in tables.
  void SetLogNumber(uint64_t n) { log_number_ = n; }
  // The next number the file-number counter hands out.
  void SetNextFileNumber(uint64_t n) { next_file_number_ = n; }
  // Every sequence number used so far is <= s.
  void SetLastSequence(SequenceNumber s) { last_sequence_ = s; }

  // Adds file f at level. A file moved between levels is deleted at the old
  // level and added at the new one in the same edit.
  // REQUIRES: 0 <= level < kNumLevels; f.smallest and f.largest are valid
  // internal keys, f.smallest <= f.largest, f.smallest_seqno <= f.largest_seqno.
  void AddFile(int level, FileMetaData f);
  // Removes file `number` from level. Deleting the same file twice is one deletion.
  // REQUIRES: 0 <= level < kNumLevels.
  void DeleteFile(int level, uint64_t number);

  bool has_comparator_name() const { return comparator_.has_value(); }
  bool has_log_number() const { return log_number_.has_value(); }
  bool has_next_file_number() const { return next_file_number_.has_value(); }
  bool has_last_sequence() const { return last_sequence_.has_value(); }
  // REQUIRES (each): the matching has_...() is true.
  const std::string& comparator_name() const { return *comparator_; }
  uint64_t log_number() const { return *log_number_; }
  uint64_t next_file_number() const { return *next_file_number_; }
  SequenceNumber last_sequence() const { return *last_sequence_; }

  // In the order they were added (or decoded).
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }
  // (level, number), ordered.
  const std::set<std::pair<int, uint64_t>>& deleted_files() const { return deleted_files_; }

  // Appends the encoding to *dst.
  // REQUIRES: the edit satisfies the rules DecodeFrom checks (asserted in
  // debug builds): an edit that does not would make the MANIFEST unreadable.
  void EncodeTo(std::string* dst) const;

  // Replaces *this with the edit encoded in src, which must be exactly one
  // edit. Corruption, with *this left empty, on: a truncated field, a
  // missing end tag or bytes after it; an unknown tag without kEditTagSafeToIgnoreBit; a scalar
  // field given twice; a level >= kNumLevels; a key shorter than 8 bytes or
  // with an unknown value type; smallest > largest (CompareInternalKeys);
  // smallest_seqno > largest_seqno; a sequence number above
  // kMaxSequenceNumber; the same file deleted twice, added twice (at any
  // levels), or added and deleted at the same level; an added file numbered
  // >= the edit's next file number.
  Status DecodeFrom(std::string_view src);
  // The rules DecodeFrom enforces, checked on an edit built in memory
  // (Corruption with the reason). LogAndApply runs it before writing.
  Status Validate() const;

  // Multi-line, human-readable; keys are shown as 'user_key'@seq:type with
  // non-printable bytes escaped.
  std::string DebugString() const;

  bool operator==(const VersionEdit&) const = default;

 private:
  // Parses fields into *this (which must be empty): the syntactic rules.
  Status DecodeFields(std::string_view in);

  std::optional<std::string> comparator_;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_VERSION_EDIT_H_
