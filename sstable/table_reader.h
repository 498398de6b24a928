// TableReader: reads one table file (docs/format/sstable.md).
//
// Open reads and verifies the footer, metaindex, index, properties and
// filter blocks and keeps them in memory; data blocks are read (and
// verified, and decompressed) on demand.
// Ownership: owns its RandomAccessFile. Iterators share the reader's state,
// so the reader may be destroyed while iterators live.
// Thread safety: Get and NewIterator may be called concurrently.
// Every malformed byte is Corruption naming the file and offset; never a
// crash, never wrong data.
#ifndef SYNAPSED_SSTABLE_TABLE_READER_H_
#define SYNAPSED_SSTABLE_TABLE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sstable/format.h"
#include "sstable/table_properties.h"
#include "synapsed/file_system.h"
#include "util/internal_iterator.h"

namespace synapsed {

struct TableReaderOptions {
  // When set, a table whose properties disagree is refused (Corruption): a
  // table copied in from another database, or renamed, is never read as ours.
  uint64_t expected_file_number = 0;  // 0: not checked
  std::string expected_db_id;         // empty: not checked
};

// What a point lookup found for a user key at a sequence.
enum class TableGet { kAbsent, kValue, kDeletion };

class TableReader {
 public:
  static Status Open(const TableReaderOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::string file_name,
                     std::unique_ptr<TableReader>* reader);
  ~TableReader();

  // The newest entry for the user key of `internal_key` with a sequence at
  // or below its sequence. Checks the filter before touching the index.
  Status Get(const ReadBlockOptions& options, std::string_view internal_key, TableGet* result,
             std::string* value) const;
  // False only if the filter proves user_key absent.
  bool KeyMayMatch(std::string_view user_key) const;

  std::unique_ptr<InternalIterator> NewIterator(const ReadBlockOptions& options) const;

  // Reads and verifies every block (for `synapsed_sst_dump --command=verify`).
  Status VerifyChecksums() const;

  const TableProperties& properties() const;
  const std::string& file_name() const;

 private:
  struct Rep;
  explicit TableReader(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_TABLE_READER_H_
