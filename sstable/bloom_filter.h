// A cache-local bloom filter: every key's probes fall in one 64-byte line,
// so a lookup costs one cache miss whatever the number of probes.
// Format: docs/format/bloom_filter.md.
//
//   filter := line[num_lines] num_lines:u32 num_probes:u8 version:u8   (line = 64 bytes)
//
// Keys are added and probed as 64-bit hashes (FilterHash of the user key).
// Thread safety: a builder is used by one thread; a reader is immutable and
// may be probed from any number of threads.
#ifndef SYNAPSED_SSTABLE_BLOOM_FILTER_H_
#define SYNAPSED_SSTABLE_BLOOM_FILTER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.h"

namespace synapsed {

inline uint64_t FilterHash(std::string_view user_key) { return Hash64(user_key); }

class BloomFilterBuilder {
 public:
  // bits_per_key > 0; 10 gives about a 1% false-positive rate.
  explicit BloomFilterBuilder(int bits_per_key);
  void AddHash(uint64_t hash);
  size_t num_added() const { return hashes_.size(); }
  // The filter over every hash added so far. Clears the builder.
  std::string Finish();

  // Probes per key for a given density (public for the format page's table).
  static int ProbesFor(int bits_per_key);

 private:
  const int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

class BloomFilterReader {
 public:
  // An unusable filter (malformed: wrong size, unknown version, zero lines)
  // matches everything: a bad filter may cost reads, never correctness.
  explicit BloomFilterReader(std::string_view filter);
  bool valid() const { return num_lines_ > 0; }
  // False only if the key was certainly never added.
  bool MayMatch(uint64_t hash) const;

 private:
  const char* lines_ = nullptr;
  uint32_t num_lines_ = 0;
  int num_probes_ = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOOM_FILTER_H_
