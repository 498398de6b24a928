// Random: a small, fast, seedable generator (xorshift64*) for tests, skiplist
// heights and benchmarks. Not for cryptography. Not thread-safe.
#ifndef SYNAPSED_UTIL_RANDOM_H_
#define SYNAPSED_UTIL_RANDOM_H_

#include <cstdint>

namespace synapsed {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
    if (state_ == 0) state_ = 1;
  }
  uint64_t Next64() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  uint32_t Next() { return static_cast<uint32_t>(Next64() >> 32); }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) { return Next64() % n; }
  // True with probability 1/n. REQUIRES: n > 0.
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }
  // Picks a base uniformly from [0, max_log] and returns a value in [0, 2^base):
  // skewed towards small numbers.
  uint64_t Skewed(int max_log) { return Uniform(uint64_t{1} << Uniform(max_log + 1)); }

 private:
  uint64_t state_;
};

// 64 bits for ids and seeds that must differ between tables, databases and
// processes (not for cryptography, and not reproducible): each thread draws
// from its own generator, seeded once from std::random_device, the clock
// and the thread id. Thread-safe.
uint64_t RandomUnique64();

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_RANDOM_H_
