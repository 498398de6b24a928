// libFuzzer target for the block decoder: the block pipeline's read half
// (DecodeBlock: trailer, checksum, LZ4/Zstd decompression) and Block with
// its iterator (docs/format/sstable.md). Byte 0 picks the mode:
//
//  - Raw (even): the rest is a block, decoded twice: as block contents
//    (Block) and as a stored block, payload and trailer, read without
//    checksum verification (DecodeBlock, then Block). As an index block
//    with a prefix index (Block::NewIndexBlock), every Seek must land
//    exactly where the plain block's Seek lands. Whatever the bytes,
//    each step returns or reports Corruption; iterating both ways, seeking
//    and seeking back never crash or read outside the block (ASan), under
//    both key orders (internal keys and plain bytes).
//  - Round trip (odd): the rest describes sorted entries, a restart
//    interval, a compression type and one damage. BlockBuilder encodes the
//    entries, the pipeline compresses and seals them, and then:
//    DecodeBlock with verification returns the exact contents; the
//    iterator returns exactly the entries forwards and backwards; Seek and
//    SeekForPrev land on each key; and after flipping one bit of the stored
//    block, DecodeBlock reports Corruption (naming the block's offset).
//
// Seeds: fuzz/corpus/block/ (raw-mode data, index and properties blocks of
// real tables, from synapsed_fuzz_seeds).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "sstable/compression.h"
#include "sstable/format.h"
#include "util/internal_key.h"

namespace synapsed {
namespace {

constexpr size_t kMaxSteps = 10000;  // bounds every walk over a damaged block

int CompareIKeys(std::string_view a, std::string_view b) { return CompareInternalKeys(a, b); }

// Walks every way the table reader does. Damaged bytes must surface as
// Corruption (or as some entries); only a crash or sanitizer report fails.
void Walk(std::string contents, KeyCompare compare) {
  auto block = std::make_shared<const Block>(std::move(contents));
  auto it = Block::NewIterator(block, compare);
  std::vector<std::string> keys;
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid() && n < kMaxSteps; it->Next(), n++) {
    if (keys.size() < 8) keys.emplace_back(it->key());
    (void)it->value().size();
  }
  for (it->SeekToLast(); it->Valid() && n < 2 * kMaxSteps; it->Prev(), n++) {
  }
  keys.push_back("");
  keys.emplace_back("\xff\xff\xff\xff\xff\xff\xff\xff\xff");
  for (const std::string& k : keys) {
    it->Seek(k);
    if (it->Valid()) it->Next();
    it->SeekForPrev(k);
    if (it->Valid()) it->Prev();
  }
  FUZZ_CHECK(it->status().ok() || it->status().IsCorruption());
  if (!block->ok()) FUZZ_CHECK(it->status().IsCorruption());
}

// The same bytes as an index block (Block::NewIndexBlock): when it builds a
// prefix index, every Seek must land exactly where the plain block's lands,
// damaged entries between restart points included.
void CompareIndexBlock(std::string_view bytes) {
  auto indexed = Block::NewIndexBlock(std::string(bytes));
  if (!indexed->has_prefix_index()) return;
  auto plain = std::make_shared<const Block>(std::string(bytes));
  std::vector<std::string> targets = {std::string(8, '\0'), std::string(12, '\xff')};
  // Targets from a walk of its own: a damaged entry leaves an iterator's
  // Corruption status set, and the two compared below must start alike.
  // CompareInternalKeys itself: the prefix index serves only that order.
  auto walk = Block::NewIterator(plain, CompareInternalKeys);
  size_t n = 0;
  for (walk->SeekToFirst(); walk->Valid() && n < kMaxSteps; walk->Next(), n++) {
    if (targets.size() < 64) {
      const std::string key(walk->key());
      targets.push_back(key);
      // Just above and below it: a longer key, and one with the last byte less.
      targets.push_back(key + '\0');
      if (!key.empty() && key.back() != '\0') {
        targets.push_back(key.substr(0, key.size() - 1) + static_cast<char>(key.back() - 1));
      }
    }
  }
  auto a = Block::NewIterator(indexed, CompareInternalKeys);
  auto b = Block::NewIterator(plain, CompareInternalKeys);
  for (const std::string& t : targets) {
    a->Seek(t);
    b->Seek(t);
    FUZZ_CHECK(a->Valid() == b->Valid());
    FUZZ_CHECK(a->status().ok() == b->status().ok());
    if (a->Valid()) FUZZ_CHECK(a->key() == b->key() && a->value() == b->value());
  }
}

void FuzzRaw(std::string_view bytes) {
  CompareIndexBlock(bytes);
  Walk(std::string(bytes), CompareIKeys);
  Walk(std::string(bytes), CompareBytes);
  if (bytes.size() < kBlockTrailerBytes) return;
  BlockHandle handle;
  handle.offset = 4096;
  handle.size = bytes.size() - kBlockTrailerBytes;
  ReadBlockOptions options;
  options.verify_checksum = false;
  std::string contents(bytes);
  const Status s = DecodeBlock("fuzz.sst", 0, handle, options, &contents);
  if (!s.ok()) {
    FUZZ_CHECK_STATUS(s.IsCorruption(), s);
    FUZZ_CHECK(s.ToString().find("fuzz.sst") != std::string::npos);
    FUZZ_CHECK(s.ToString().find("offset 4096") != std::string::npos);
    return;
  }
  Walk(std::move(contents), CompareIKeys);
}

void FuzzRoundTrip(FuzzedDataProvider* in) {
  const bool internal = in->ConsumeBool();
  const KeyCompare compare = internal ? CompareIKeys : CompareBytes;
  const int restart_interval = in->ConsumeIntegralInRange(1, 32);
  const auto compression = static_cast<BlockCompression>(in->ConsumeIntegralInRange(0, 2));
  const uint64_t seed = in->ConsumeIntegral<uint64_t>();
  const uint64_t offset = in->ConsumeIntegralInRange<uint64_t>(0, 1ull << 40);
  const size_t flip_at = in->ConsumeIntegral<uint16_t>();
  const uint8_t flip_bit = in->ConsumeIntegralInRange(0, 7);

  // Entries: distinct keys in the block's order.
  auto less = [compare](const std::string& a, const std::string& b) { return compare(a, b) < 0; };
  std::set<std::string, decltype(less)> keyset(less);
  std::vector<std::string> values;
  const size_t n = in->ConsumeIntegralInRange(0, 64);
  // Few sequences make versions of one user key likely; all of them reach
  // every tag bit.
  const SequenceNumber max_seq = in->ConsumeBool() ? 3 : kMaxSequenceNumber;
  for (size_t i = 0; i < n && in->remaining_bytes() > 0; i++) {
    std::string key = in->ConsumeRandomLengthString(24);
    if (internal) {
      const std::string user_key = std::move(key);
      key.clear();
      AppendInternalKey(&key, user_key, in->ConsumeIntegralInRange<uint64_t>(0, max_seq),
                        in->ConsumeBool() ? ValueType::kValue : ValueType::kDeletion);
    }
    keyset.insert(std::move(key));
  }
  std::vector<std::pair<std::string, std::string>> entries;
  for (const std::string& k : keyset) {
    entries.emplace_back(k, in->ConsumeRandomLengthString(64));
  }

  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  const std::string contents(builder.Finish());
  std::string stored;
  BlockCompression type = compression;
  if (!CompressBlock(compression, 1, contents, &stored)) {  // not worth it: stored raw
    stored = contents;
    type = BlockCompression::kNone;
  }
  BlockHandle handle{offset, stored.size()};
  std::string trailer;
  AppendBlockTrailer(stored, type, seed, offset, &trailer);
  stored += trailer;

  ReadBlockOptions options;  // verify_checksum
  std::string got = stored;
  FUZZ_CHECK(DecodeBlock("fuzz.sst", seed, handle, options, &got).ok());
  FUZZ_CHECK(got == contents);

  auto block = std::make_shared<const Block>(got);
  FUZZ_CHECK(block->ok());
  auto it = Block::NewIterator(block, compare);
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    FUZZ_CHECK(i < entries.size());
    FUZZ_CHECK(it->key() == entries[i].first && it->value() == entries[i].second);
  }
  FUZZ_CHECK(it->status().ok() && i == entries.size());
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    FUZZ_CHECK(i > 0);
    i--;
    FUZZ_CHECK(it->key() == entries[i].first && it->value() == entries[i].second);
  }
  FUZZ_CHECK(it->status().ok() && i == 0);
  for (i = 0; i < entries.size(); i++) {
    it->Seek(entries[i].first);
    FUZZ_CHECK(it->Valid() && it->key() == entries[i].first);
    it->SeekForPrev(entries[i].first);
    FUZZ_CHECK(it->Valid() && it->key() == entries[i].first);
  }

  // One flipped bit anywhere in the stored block is caught by the checksum.
  std::string damaged = stored;
  damaged[flip_at % damaged.size()] ^= static_cast<char>(1 << flip_bit);
  const Status s = DecodeBlock("fuzz.sst", seed, handle, options, &damaged);
  FUZZ_CHECK_STATUS(s.IsCorruption(), s);
  FUZZ_CHECK(s.ToString().find("offset " + std::to_string(offset)) != std::string::npos);
}

}  // namespace
}  // namespace synapsed

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    synapsed::FuzzRaw(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    synapsed::FuzzRoundTrip(&in);
  }
  return 0;
}
