// Table format primitives (docs/format/sstable.md): block handles, the
// footer, and the block pipeline shared by every block of a table:
//   write: contents -> compress? -> payload, trailer(type, checksum)
//   read:  payload, trailer -> verify checksum -> decompress -> contents
// The checksum is seeded with the table's seed XOR the block's offset, so a
// block read from the wrong place never verifies.
//
// Thread safety: pure functions and value types.
#ifndef SYNAPSED_SSTABLE_FORMAT_H_
#define SYNAPSED_SSTABLE_FORMAT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sstable/compression.h"
#include "synapsed/file_system.h"
#include "synapsed/status.h"

namespace synapsed {

constexpr size_t kBlockTrailerBytes = 5;                 // type:u8 checksum:u32
constexpr uint64_t kTableMagic = 0x64657370616e7973ull;  // "synapsed", little-endian
constexpr uint32_t kTableFormatVersion = 1;
// Metaindex names of the optional metadata blocks.
constexpr char kFilterBlockName[] = "filter.bloom64";
constexpr char kPropertiesBlockName[] = "properties";
constexpr char kRangeDeletionBlockName[] = "range_deletions";

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // payload bytes, without the trailer

  static constexpr size_t kEncodedBytes = 16;
  void EncodeTo(std::string* dst) const;
  // False if input is shorter than kEncodedBytes.
  bool DecodeFrom(std::string_view* input);
};

struct Footer {
  BlockHandle metaindex;
  BlockHandle index;
  uint64_t table_seed = 0;
  uint32_t format_version = kTableFormatVersion;

  static constexpr size_t kEncodedBytes = 56;
  void EncodeTo(std::string* dst) const;
  // Corruption (reason only; the caller adds the file name) on a bad magic,
  // version or checksum. REQUIRES: input.size() == kEncodedBytes.
  Status DecodeFrom(std::string_view input);
};
static_assert(Footer::kEncodedBytes == 2 * BlockHandle::kEncodedBytes + 8 + 4 + 4 + 8);

inline uint64_t BlockSeed(uint64_t table_seed, uint64_t offset) { return table_seed ^ offset; }

// Appends the trailer for `payload` stored at `offset` with `type`.
void AppendBlockTrailer(std::string_view payload, BlockCompression type, uint64_t table_seed,
                        uint64_t offset, std::string* dst);

class Block;

class ReadQueuePool;

struct ReadBlockOptions {
  bool verify_checksum = true;
  // With a block cache: whether a data block read on a miss is inserted.
  // Long scans (compaction inputs, full iterations) pass false, so they do
  // not push the hot set out of the cache.
  bool fill_cache = true;
  // Iterators: where a queue for asynchronous readahead comes from (not
  // owned). Null: each data block is read when the iterator reaches it.
  ReadQueuePool* read_queues = nullptr;
  // Iterators with read_queues: readahead starts once this many data blocks
  // were read from the file one right after another (0: at the first
  // read), in windows of readahead_initial_bytes doubling up to
  // readahead_max_bytes, the next window in flight while one is consumed.
  int readahead_after_blocks = 2;
  size_t readahead_initial_bytes = 16 << 10;
  size_t readahead_max_bytes = 256 << 10;
};

// The bytes a block occupies in the file: payload and trailer.
inline size_t BlockReadBytes(const BlockHandle& handle) {
  return static_cast<size_t>(handle.size) + kBlockTrailerBytes;
}

// Reads the block at handle from file, verifies it and decompresses it into
// *contents. Corruption names `file_name` and the block's offset.
Status ReadBlock(const RandomAccessFile& file, const std::string& file_name, uint64_t table_seed,
                 const BlockHandle& handle, const ReadBlockOptions& options, std::string* contents);
// The second half of ReadBlock, for bytes read some other way (a read
// queue, a readahead window): *contents holds what was read at
// handle.offset (BlockReadBytes(handle) of them, or fewer at end of file)
// and becomes the verified, decompressed block.
Status DecodeBlock(const std::string& file_name, uint64_t table_seed, const BlockHandle& handle,
                   const ReadBlockOptions& options, std::string* contents);
// The same from the bytes read (left as they are) into a pooled buffer: the
// data-block path, where the block is cached and every read allocates.
// *contents may hold a destination taken ahead, as UncompressBlock says.
Status DecodeBlock(const std::string& file_name, uint64_t table_seed, const BlockHandle& handle,
                   const ReadBlockOptions& options, std::string_view read, BlockBuffer* contents);

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_FORMAT_H_
