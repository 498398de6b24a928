// TableBuilder: writes one table file (docs/format/sstable.md) from internal
// keys added in increasing order, and range tombstones added in any order.
//
// Range tombstones are fragmented at Finish and written as the range
// deletion block (none if there are none). The table's smallest and largest
// keys cover them: the smallest is at most (start, seq, kRangeDeletion) of
// the first fragment's newest tombstone; the largest at least the sentinel
// (largest end, kMaxSequenceNumber, kRangeDeletion) (util/internal_key.h),
// which sorts below every entry of that end key, so a search by internal
// key never picks this table for a key its tombstones merely end at.
//
// Ownership: writes through a WritableFile it does not own; Finish does not
// sync (the caller syncs, then syncs the directory, before naming the table
// in the MANIFEST). Thread safety: one thread at a time.
// After an I/O error every later call is a no-op and status() reports it.
#ifndef SYNAPSED_SSTABLE_TABLE_BUILDER_H_
#define SYNAPSED_SSTABLE_TABLE_BUILDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rangedel/fragmented_range_tombstone_list.h"
#include "sstable/block_builder.h"
#include "sstable/bloom_filter.h"
#include "sstable/compression.h"
#include "sstable/format.h"
#include "sstable/table_properties.h"
#include "synapsed/file_system.h"

namespace synapsed {

struct TableBuilderOptions {
  size_t block_size = 4096;  // data block target, before compression
  int block_restart_interval = 16;
  BlockCompression compression = BlockCompression::kNone;
  int zstd_level = 3;
  int bloom_bits_per_key = 10;  // 0: no filter
  uint64_t file_number = 0;     // recorded in the properties
  std::string db_id;            // recorded in the properties
};

class TableBuilder {
 public:
  TableBuilder(const TableBuilderOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // REQUIRES: internal_key is a valid point entry's key greater than every
  // key added before (InvalidArgument otherwise, and the table is abandoned).
  void Add(std::string_view internal_key, std::string_view value);
  // Deletes user keys in [start, end) for reads at or above seq. Any order,
  // overlaps allowed. REQUIRES: start < end and seq <= kMaxSequenceNumber
  // (InvalidArgument otherwise, and the table is abandoned).
  void AddRangeTombstone(std::string_view start, std::string_view end, SequenceNumber seq);
  // Every tombstone of list (each fragment, each sequence).
  void AddRangeTombstones(const FragmentedRangeTombstoneList& list);
  // Writes the remaining blocks and the footer.
  Status Finish();
  Status status() const { return status_; }

  // Point entries added.
  uint64_t num_entries() const { return props_.num_entries; }
  // Bytes written so far (the file's size after Finish).
  uint64_t file_size() const { return offset_; }
  // Complete after Finish (the key range and sequences include tombstones).
  const TableProperties& properties() const { return props_; }

 private:
  void FlushDataBlock();
  // Writes contents (compressed if `compress` and worth it) and its trailer.
  BlockHandle WriteBlock(std::string_view contents, bool compress);
  void AddIndexEntry(std::string_view separator);
  // Writes the range deletion block and widens the properties' key range and
  // sequences over the tombstones. Returns the block's handle.
  BlockHandle WriteRangeDeletions(const FragmentedRangeTombstoneList& list);

  const TableBuilderOptions options_;
  WritableFile* const file_;
  const uint64_t table_seed_;
  uint64_t offset_ = 0;
  Status status_;
  bool finished_ = false;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<BloomFilterBuilder> filter_;
  TableProperties props_;
  std::string last_key_;
  bool pending_index_ = false;  // a data block was flushed; its index entry waits
  BlockHandle pending_handle_;  // for the next key to choose a short separator
  std::string compressed_;      // scratch
  std::vector<RangeTombstone> range_tombstones_;
};

// Internal-key separators for index entries: a short key k with
// a <= k < b (FindShortSeparator) or a <= k (FindShortSuccessor).
std::string FindShortSeparator(std::string_view a, std::string_view b);
std::string FindShortSuccessor(std::string_view a);

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_TABLE_BUILDER_H_
