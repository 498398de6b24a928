// Log format constants shared by wal::Writer and wal::Reader. The log framing
// carries the write-ahead log and the MANIFEST; its byte grammar, a worked
// example and the reader's damage semantics are in docs/format/wal.md, and
// log_writer.cc opens with the grammar.
//
// Thread safety: constants only.
#ifndef SYNAPSED_WAL_LOG_FORMAT_H_
#define SYNAPSED_WAL_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <limits>

namespace synapsed::wal {

// The type byte of a fragment. A record that fits in the rest of its block is
// one kFull fragment; a longer one is kFirst, zero or more kMiddle, then kLast.
enum class FragmentType : uint8_t {
  // Never written: zero-filled space (preallocation, a hole after a crash)
  // reads as this type, so the reader can tell "never written" from a record.
  kZeroType = 0,
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};
constexpr uint8_t kMaxFragmentType = static_cast<uint8_t>(FragmentType::kLast);

// A log is a sequence of blocks; a fragment never spans two blocks, so after
// damage the reader can always resynchronize at the next block boundary.
constexpr size_t kBlockSize = 32768;

// checksum (u32 LE) | length (u16 LE) | type (u8)
constexpr size_t kHeaderSize = 4 + 2 + 1;

// The most payload one fragment can carry: a whole block minus its header.
constexpr size_t kMaxFragmentPayload = kBlockSize - kHeaderSize;

static_assert(kMaxFragmentPayload <= std::numeric_limits<uint16_t>::max(),
              "the u16 length field must be able to describe a block-filling fragment");
static_assert(kBlockSize > kHeaderSize);

}  // namespace synapsed::wal

#endif  // SYNAPSED_WAL_LOG_FORMAT_H_
