// Key and value generation with db_bench's semantics, so the same flags make
// the same data for synapsed_bench and RocksDB's db_bench.
//
//   key(n)  := the low min(key_size, 8) bytes of n, big-endian, then '0'
//              bytes up to key_size (so keys sort like n)
//   values  := slices of a 1 MiB buffer made of 100-byte pieces, each piece a
//              random printable string of 100 * compression_ratio bytes
//              repeated to fill it, so a value compresses to about
//              compression_ratio of its size
//
// Thread safety: none; each benchmark thread owns its generators.
#ifndef SYNAPSED_TOOLS_BENCH_GENERATORS_H_
#define SYNAPSED_TOOLS_BENCH_GENERATORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/random.h"

namespace synapsed::bench {

class KeyGenerator {
 public:
  explicit KeyGenerator(int key_size) : key_(static_cast<size_t>(key_size), '0') {}
  // The key for n; valid until the next call.
  std::string_view Key(uint64_t n);

 private:
  std::string key_;
};

class ValueGenerator {
 public:
  ValueGenerator(double compression_ratio, uint64_t seed);
  // The next len bytes of the buffer (wrapping around); valid until the
  // generator is destroyed. REQUIRES: len <= 1 MiB.
  std::string_view Generate(size_t len);

 private:
  std::string data_;
  size_t pos_ = 0;
};

// The order in which a fill benchmark visits keys in [0, num).
enum class KeyOrder { kSequential, kRandom, kUnique };

// Draws key numbers in [0, num): sequential, uniform random, or a random
// permutation (each key exactly once).
class KeySequence {
 public:
  KeySequence(KeyOrder order, uint64_t num, uint64_t seed);
  uint64_t Next();

 private:
  KeyOrder order_;
  uint64_t num_;
  uint64_t next_ = 0;
  Random rnd_;
  std::vector<uint64_t> permutation_;
};

}  // namespace synapsed::bench

#endif  // SYNAPSED_TOOLS_BENCH_GENERATORS_H_
