// wal::Reader: reads back the records of a log file written by wal::Writer
// (docs/format/wal.md), surviving any damage to the file.
//
// Ownership: the reader owns its SequentialFile and a 32 KiB block buffer. The
// Reporter is borrowed and must outlive the reader.
//
// Thread safety: one thread at a time.
//
// Guarantees (the damage semantics are specified in docs/format/wal.md):
//  - A returned record is exactly one written record: every fragment passed
//    its checksum (seeded with log_number) and the fragments formed a complete
//    kFull or kFirst kMiddle* kLast sequence. Damage never yields a wrong
//    record and never crashes, whatever the bytes of the file.
//  - Every skipped byte range that is not block-end padding is reported to the
//    Reporter exactly once, in file order, before ReadRecord returns the next
//    record (or false). Adjacent ranges of the same kind are reported as one.
//  - After damage inside a block, reading resumes at the next block boundary,
//    skipping continuation fragments until a kFull or kFirst starts a record.
//  - I/O errors are not damage: they end reading and appear in status().
#ifndef SYNAPSED_WAL_LOG_READER_H_
#define SYNAPSED_WAL_LOG_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "synapsed/file_system.h"
#include "synapsed/status.h"
#include "wal/log_format.h"

namespace synapsed::wal {

// Why a byte range was skipped.
enum class DamageKind : uint8_t {
  // The file ends inside a header or payload, or in the middle of a record
  // (a kFirst/kMiddle without its kLast): a torn tail.
  kTruncated,
  // A fragment whose checksum does not verify (including one from another log).
  kChecksumMismatch,
  // A fragment whose length runs past the end of its block.
  kBadLength,
  // A fragment that verifies but has an unknown type (or type 0).
  kBadType,
  // A kMiddle/kLast with no record in progress, or a partial record abandoned
  // because a kFirst/kFull started a new one.
  kOrphanFragment,
  // A header of seven zero bytes: zero-filled space that was never written.
  kZeroed,
};

// "truncated", "checksum mismatch", ... for logs and tools.
std::string_view DamageKindName(DamageKind kind);

class Reader {
 public:
  class Reporter {
   public:
    virtual ~Reporter();
    // bytes of damaged data starting at physical file offset were skipped.
    virtual void Damage(uint64_t offset, uint64_t bytes, DamageKind kind) = 0;
  };

  // Takes ownership of file; file_name is for the caller's messages only.
  // log_number must be the one the file was written with. reporter may be
  // null (damage is then skipped silently). REQUIRES: file != nullptr.
  Reader(std::unique_ptr<SequentialFile> file, std::string file_name, uint64_t log_number,
         Reporter* reporter);

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Reads the next intact record into *record, which points into *scratch or
  // an internal buffer and stays valid until the next call or destruction.
  // Returns false at end of file or on an I/O error (see status()); once it
  // returns false it keeps returning false.
  bool ReadRecord(std::string_view* record, std::string* scratch);

  // Physical offset of the first fragment header of the last record returned.
  uint64_t last_record_offset() const { return last_record_offset_; }
  // Physical offset just past the last record's final fragment (0 before any).
  uint64_t last_record_end() const { return last_record_end_; }
  // The first I/O error from the file; damage never sets it.
  Status status() const { return status_; }
  const std::string& file_name() const { return file_name_; }

 private:
  // One fragment that passed every check.
  struct Fragment {
    FragmentType type;
    std::string_view payload;  // points into the block buffer
    uint64_t offset;           // physical offset of its header
    uint64_t end;              // physical offset just past its payload
  };
  // A skipped byte range [offset, offset + bytes).
  struct Damage {
    uint64_t offset;
    uint64_t bytes;
    DamageKind kind;
  };
  enum class Next { kFragment, kDamage, kEnd };

  // Produces the next fragment or damaged range, or kEnd at end of file or on
  // an I/O error. Padding is consumed silently.
  Next ReadFragment(Fragment* fragment, Damage* damage);
  // Parses the fragment at the front of buffer_ (which holds >= kHeaderSize bytes).
  Next ParseFragment(Fragment* fragment, Damage* damage);
  // Reads the next block into buffer_; false at end of file or on error.
  bool ReadBlock();
  // Skips the rest of the buffered block and describes it as damage.
  Next SkipRestOfBlock(DamageKind kind, Damage* damage);
  // Physical offset of buffer_.data().
  uint64_t buffer_offset() const { return buffer_end_offset_ - buffer_.size(); }

  // Queues a damaged range, merging it with an adjacent one of the same kind.
  void Report(const Damage& damage);
  void FlushReports();

  std::unique_ptr<SequentialFile> file_;
  const std::string file_name_;
  const uint64_t log_number_;
  Reporter* const reporter_;

  std::unique_ptr<char[]> block_;   // kBlockSize bytes backing buffer_ (when the file copies)
  std::string_view buffer_;         // unread rest of the current block
  uint64_t buffer_end_offset_ = 0;  // physical offset just past buffer_
  bool eof_ = false;                // the last read was short: no block follows buffer_
  Status status_;

  bool has_pending_ = false;
  Damage pending_{};  // not yet passed to the reporter, to merge adjacent ranges

  uint64_t last_record_offset_ = 0;
  uint64_t last_record_end_ = 0;
};

}  // namespace synapsed::wal

#endif  // SYNAPSED_WAL_LOG_READER_H_
