// TableReader: reads one table file (docs/format/sstable.md).
//
// Open reads and verifies the footer, metaindex, index, properties, filter
// and range deletion blocks and keeps them in memory for the reader's
// lifetime (the range tombstones decoded, fragmented, once per open); data
// blocks are read (and verified, and decompressed) on demand.
//
// Block cache. With TableReaderOptions::block_cache, a data block is looked
// up in the cache before the file is read, and inserted after a verified
// read (unless ReadBlockOptions::fill_cache is false). The key is the
// reader's own cache id (Cache::NewId at Open, varint) + the block offset
// (fixed64), so readers of different tables sharing one cache never see
// each other's blocks. A block read with verify_checksum = false is never
// inserted: a later verifying read must not be served unverified bytes.
// The cached value is a std::shared_ptr<const Block>; a hit copies it and
// unpins the entry at once, so a block in use outlives its eviction.
//
// Ownership: owns its RandomAccessFile; does not own the block cache.
// Iterators share the reader's state, so the reader may be destroyed while
// iterators live. REQUIRES: the block cache outlives the reader and every
// iterator from it (iterators read blocks through it).
// Thread safety: Get, NewIterator and VerifyChecksums may be called
// concurrently (the cache is thread-safe).
// Every malformed byte is Corruption naming the file and offset; never a
// crash, never wrong data.
#ifndef SYNAPSED_SSTABLE_TABLE_READER_H_
#define SYNAPSED_SSTABLE_TABLE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rangedel/fragmented_range_tombstone_list.h"
#include "sstable/block_buffer.h"
#include "sstable/format.h"
#include "sstable/table_properties.h"
#include "synapsed/file_system.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"

namespace synapsed {

class Cache;

struct TableReaderOptions {
  // When set, a table whose properties disagree is refused (Corruption): a
  // table copied in from another database, or renamed, is never read as ours.
  uint64_t expected_file_number = 0;  // 0: not checked
  std::string expected_db_id;         // empty: not checked
  // Data blocks are cached here when set (not owned; see the contract above).
  // Null: every data block read goes to the file.
  Cache* block_cache = nullptr;
};

// What a point lookup found for a user key at a sequence: nothing, a live
// value, or a deletion (a point deletion, or a range tombstone covering the
// key: see TableReader::Get).
enum class TableGet { kAbsent, kValue, kDeletion };

class Block;

// One point lookup of a table between PrepareGet and FinishGet.
struct TableLookup {
  bool done = false;                    // decided without a data block
  TableGet result = TableGet::kAbsent;  // when done
  BlockHandle handle;                   // the data block to search, when !done
  std::shared_ptr<const Block> block;   // null until read (or found cached)
  SequenceNumber covering = 0;          // see TableReader::Get's max_covering_seq
};

// One asynchronous data block read (TableReader::PrepareBlockRead).
struct BlockRead {
  BlockHandle handle;
  BlockBuffer buf;   // req's scratch
  BlockBuffer dest;  // the block decompresses into this if it fits (may be empty):
                     // prefetch it for writing while the read is in flight
  ReadRequest req;
};

class TableReader {
 public:
  static Status Open(const TableReaderOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::string file_name,
                     std::unique_ptr<TableReader>* reader);
  ~TableReader();

  // The newest entry for the user key of `internal_key` with a sequence at
  // or below its sequence, with range tombstones applied (as MemTable::Get):
  // *max_covering_seq (may be null: 0) is the highest covering tombstone
  // sequence of newer sources and is raised by this table's; a value older
  // than it is kDeletion, and so is "no entry here" while it is above 0
  // (every version in older sources is older than the tombstone). The
  // tombstones are in memory; the filter is checked before the index.
  Status Get(const ReadBlockOptions& options, std::string_view internal_key, TableGet* result,
             std::string* value, SequenceNumber* max_covering_seq = nullptr) const;
  // Get in two halves around its one data-block read, so a caller can put
  // the reads of many lookups in flight together (MultiGet):
  //   PrepareGet  range tombstones, filter and index, no I/O: either
  //               decides (lookup->done) or names the data block;
  //   (the caller finds the block: CachedBlock, or PrepareBlockRead, a
  //    ReadQueue, FinishBlockRead, and sets lookup->block)
  //   FinishGet   searches lookup.block; same results as Get.
  // `covering` is Get's *max_covering_seq on entry; lookup->covering is its
  // value on exit.
  Status PrepareGet(std::string_view internal_key, SequenceNumber covering,
                    TableLookup* lookup) const;
  // REQUIRES: lookup.done or lookup.block != nullptr.
  Status FinishGet(const TableLookup& lookup, std::string_view internal_key, TableGet* result,
                   std::string* value) const;
  // The data block at handle from the block cache, or null.
  std::shared_ptr<const Block> CachedBlock(const BlockHandle& handle) const;
  // Fills read->req for the data block at handle (scratch: read->buf).
  // REQUIRES: read outlives the request, and the reader outlives read.
  void PrepareBlockRead(const BlockHandle& handle, BlockRead* read) const;
  // Once read->req is reaped: verifies and decompresses the bytes into
  // *block, and caches it (per options.fill_cache), as a synchronous read.
  Status FinishBlockRead(const ReadBlockOptions& options, BlockRead* read,
                         std::shared_ptr<const Block>* block) const;

  // False only if the filter proves user_key absent.
  bool KeyMayMatch(std::string_view user_key) const;

  std::unique_ptr<InternalIterator> NewIterator(const ReadBlockOptions& options) const;

  // Reads and verifies every data block from the file (for
  // `synapsed_sst_dump --command=verify`). Bypasses the block cache both
  // ways: a cached copy says nothing about the bytes on disk, and a full
  // pass would evict the hot set.
  Status VerifyChecksums() const;

  const TableProperties& properties() const;
  const std::string& file_name() const;
  // The table's range tombstones, fragmented; null if it has none.
  const std::shared_ptr<const FragmentedRangeTombstoneList>& range_tombstones() const;

 private:
  struct Rep;
  explicit TableReader(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_TABLE_READER_H_
