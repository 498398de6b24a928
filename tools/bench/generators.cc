#include "tools/bench/generators.h"

#include <algorithm>
#include <cstring>

namespace synapsed::bench {

std::string_view KeyGenerator::Key(uint64_t n) {
  const size_t bytes = std::min<size_t>(key_.size(), 8);
  for (size_t i = 0; i < bytes; i++) {
    key_[i] = static_cast<char>((n >> ((bytes - i - 1) * 8)) & 0xff);
  }
  // The padding after the number stays '0' from construction.
  return key_;
}

ValueGenerator::ValueGenerator(double compression_ratio, uint64_t seed) {
  constexpr size_t kBufferBytes = 1 << 20;
  constexpr size_t kPieceBytes = 100;
  Random rnd(seed);
  data_.reserve(kBufferBytes + kPieceBytes);
  while (data_.size() < kBufferBytes) {
    size_t raw_len = std::max<size_t>(1, static_cast<size_t>(kPieceBytes * compression_ratio));
    std::string raw(raw_len, ' ');
    for (char& c : raw) c = static_cast<char>(' ' + rnd.Uniform(95));
    for (size_t i = 0; i < kPieceBytes; i++) data_.push_back(raw[i % raw_len]);
  }
}

std::string_view ValueGenerator::Generate(size_t len) {
  if (pos_ + len > data_.size()) pos_ = 0;
  std::string_view v(data_.data() + pos_, len);
  pos_ += len;
  return v;
}

KeySequence::KeySequence(KeyOrder order, uint64_t num, uint64_t seed)
    : order_(order), num_(num), rnd_(seed) {
  if (order_ == KeyOrder::kUnique) {
    permutation_.resize(num_);
    for (uint64_t i = 0; i < num_; i++) permutation_[i] = i;
    for (uint64_t i = num_; i > 1; i--) std::swap(permutation_[i - 1], permutation_[rnd_.Uniform(i)]);
  }
}

uint64_t KeySequence::Next() {
  switch (order_) {
    case KeyOrder::kSequential: return next_++ % num_;
    case KeyOrder::kRandom: return rnd_.Uniform(num_);
    case KeyOrder::kUnique: return permutation_[next_++ % num_];
  }
  return 0;
}

}  // namespace synapsed::bench
