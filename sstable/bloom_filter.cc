#include "sstable/bloom_filter.h"

#include <algorithm>

#include "util/coding.h"

namespace synapsed {

namespace {

constexpr size_t kLineBytes = 64;
constexpr uint32_t kLineBits = kLineBytes * 8;
constexpr size_t kTrailerBytes = 6;  // num_lines:u32 num_probes:u8 version:u8
constexpr uint8_t kVersion = 1;

// Maps h uniformly onto [0, n) without a division (Lemire's reduction).
inline uint32_t FastRange32(uint32_t h, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(h) * n) >> 32);
}

// The probes of one key: the top 9 bits of a 32-bit state pick a bit of the
// line; multiplying by an odd constant (the golden ratio) re-mixes the state
// for the next probe. The line comes from the hash's other half, so the two
// choices are independent.
template <typename Fn>
inline void ForEachProbe(uint64_t hash, int num_probes, Fn&& fn) {
  uint32_t h = static_cast<uint32_t>(hash);
  for (int i = 0; i < num_probes; i++) {
    fn(h >> (32 - 9));
    h *= 0x9E3779B9u;
  }
}

}  // namespace

int BloomFilterBuilder::ProbesFor(int bits_per_key) {
  // With all probes in one 512-bit line, fewer probes than the textbook
  // bits*ln2 are optimal; these were chosen by measuring the false-positive
  // rate (bloom_filter_test.cc prints it).
  static constexpr int kProbes[] = {1, 1, 1, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 8, 9, 9, 10};
  if (bits_per_key < 1) return 1;
  if (bits_per_key <= 16) return kProbes[bits_per_key];
  return std::min(24, bits_per_key * 6 / 10);
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::max(1, bits_per_key)) {}

void BloomFilterBuilder::AddHash(uint64_t hash) {
  // Consecutive duplicates (versions of one user key) add nothing.
  if (hashes_.empty() || hashes_.back() != hash) hashes_.push_back(hash);
}

std::string BloomFilterBuilder::Finish() {
  const uint64_t bits = std::max<uint64_t>(1, hashes_.size()) * bits_per_key_;
  const uint32_t num_lines =
      static_cast<uint32_t>(std::max<uint64_t>(1, (bits + kLineBits - 1) / kLineBits));
  const int num_probes = ProbesFor(bits_per_key_);
  std::string out(static_cast<size_t>(num_lines) * kLineBytes, '\0');
  for (uint64_t hash : hashes_) {
    char* line = out.data() + static_cast<size_t>(FastRange32(hash >> 32, num_lines)) * kLineBytes;
    ForEachProbe(hash, num_probes,
                 [line](uint32_t bit) { line[bit >> 3] |= static_cast<char>(1 << (bit & 7)); });
  }
  PutFixed32(&out, num_lines);
  out.push_back(static_cast<char>(num_probes));
  out.push_back(static_cast<char>(kVersion));
  hashes_.clear();
  return out;
}

BloomFilterReader::BloomFilterReader(std::string_view filter) {
  if (filter.size() < kTrailerBytes) return;
  const char* trailer = filter.data() + filter.size() - kTrailerBytes;
  const uint32_t num_lines = DecodeFixed32(trailer);
  const int num_probes = static_cast<uint8_t>(trailer[4]);
  const uint8_t version = static_cast<uint8_t>(trailer[5]);
  if (version != kVersion || num_probes < 1 || num_probes > 30 || num_lines == 0 ||
      static_cast<uint64_t>(num_lines) * kLineBytes != filter.size() - kTrailerBytes) {
    return;  // unusable: valid() is false and MayMatch says yes
  }
  lines_ = filter.data();
  num_lines_ = num_lines;
  num_probes_ = num_probes;
}

bool BloomFilterReader::MayMatch(uint64_t hash) const {
  if (num_lines_ == 0) return true;
  const char* line = lines_ + static_cast<size_t>(FastRange32(hash >> 32, num_lines_)) * kLineBytes;
  bool all = true;
  ForEachProbe(hash, num_probes_,
               [&](uint32_t bit) { all = all && (line[bit >> 3] & (1 << (bit & 7))) != 0; });
  return all;
}

}  // namespace synapsed
