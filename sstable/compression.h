// Block compression: none, LZ4 or Zstd, one call each way.
//
//   LZ4  payload := varint32(raw_size) LZ4_compress_default(raw)
//   Zstd payload := one zstd frame (which records its content size)
//
// Thread safety: pure functions (no shared contexts yet).
#ifndef SYNAPSED_SSTABLE_COMPRESSION_H_
#define SYNAPSED_SSTABLE_COMPRESSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sstable/block_buffer.h"
#include "synapsed/status.h"

namespace synapsed {

// Stored in every block trailer: never renumber.
enum class BlockCompression : uint8_t { kNone = 0, kLZ4 = 1, kZstd = 2 };

// The largest block we will decompress: guards against a corrupt size field
// asking for an absurd allocation.
constexpr size_t kMaxUncompressedBlockBytes = 64u << 20;

bool IsKnownCompression(uint8_t type);
std::string_view CompressionName(BlockCompression type);

// Compresses input into *output (replacing it). Returns false if the type is
// kNone or the result would not be smaller than 7/8 of the input: the caller
// then stores the block raw.
bool CompressBlock(BlockCompression type, int zstd_level, std::string_view input,
                   std::string* output);

// Decompresses a payload of the given type into *output. Corruption if the
// payload is malformed or claims more than kMaxUncompressedBlockBytes.
Status UncompressBlock(BlockCompression type, std::string_view payload, std::string* output);
// The same into a pooled, never zero-filled buffer. A buffer *output already
// holds (one the caller took and prefetched before the read) is written in
// place when its capacity is exactly what the result's size gets; otherwise
// it is replaced by one that is, so a block is never charged more than its
// size class.
Status UncompressBlock(BlockCompression type, std::string_view payload, BlockBuffer* output);

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_COMPRESSION_H_
