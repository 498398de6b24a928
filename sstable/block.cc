#include "sstable/block.h"

#include <algorithm>
#include <cstring>

#include "util/coding.h"
#include "util/internal_key.h"

namespace synapsed {
namespace {

// Decodes the header of the entry at `offset` (entries end at `limit`);
// false if it runs past them.
bool DecodeEntryAt(const char* data, uint32_t limit, uint32_t offset, uint32_t* shared,
                   uint32_t* unshared, uint32_t* value_size, const char** key_delta) {
  const char* p = data + offset;
  const char* end = data + limit;
  if ((p = GetVarint32Ptr(p, end, shared)) == nullptr) return false;
  if ((p = GetVarint32Ptr(p, end, unshared)) == nullptr) return false;
  if ((p = GetVarint32Ptr(p, end, value_size)) == nullptr) return false;
  if (static_cast<uint64_t>(end - p) < static_cast<uint64_t>(*unshared) + *value_size) {
    return false;
  }
  *key_delta = p;
  return true;
}

// The 8 bytes of s from `from` on, zero-padded, as a big-endian integer.
uint64_t Prefix64(std::string_view s, size_t from) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; i++) {
    v = (v << 8) | (from + i < s.size() ? static_cast<uint8_t>(s[from + i]) : 0);
  }
  return v;
}

}  // namespace

int CompareBytes(std::string_view a, std::string_view b) { return a.compare(b); }

Block::Block(std::string contents) : owned_(std::move(contents)), data_(owned_) { Init(); }

Block::Block(BlockBuffer contents) : buffer_(std::move(contents)), data_(buffer_.view()) { Init(); }

void Block::Init() {
  if (data_.size() < sizeof(uint32_t)) return;
  const uint64_t n = DecodeFixed32(data_.data() + data_.size() - sizeof(uint32_t));
  // The restart array and its count must fit; a block has at least one
  // restart (offset 0), even when empty.
  const uint64_t array_bytes = (n + 1) * sizeof(uint32_t);
  if (n == 0 || array_bytes > data_.size()) return;
  const uint32_t restart_offset = static_cast<uint32_t>(data_.size() - array_bytes);
  // Restart points must start at 0, increase, and lie inside the entries (an
  // empty block has the single restart 0): checked once here so iterators
  // can follow them blindly.
  uint32_t prev = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint32_t r = DecodeFixed32(data_.data() + restart_offset + i * sizeof(uint32_t));
    if ((i == 0 && r != 0) || (i > 0 && r <= prev) || (r >= restart_offset && restart_offset > 0)) {
      return;
    }
    prev = r;
  }
  restart_offset_ = restart_offset;
  num_restarts_ = static_cast<uint32_t>(n);
}

// The key stored whole at restart point `index`; false if it is damaged.
bool Block::RestartKey(uint32_t index, std::string_view* key) const {
  const uint32_t offset = DecodeFixed32(data_.data() + restart_offset_ + index * sizeof(uint32_t));
  uint32_t shared, unshared, value_size;
  const char* delta;
  if (offset >= restart_offset_ ||
      !DecodeEntryAt(data_.data(), restart_offset_, offset, &shared, &unshared, &value_size,
                     &delta) ||
      shared != 0) {
    return false;
  }
  *key = std::string_view(delta, unshared);
  return true;
}

std::shared_ptr<const Block> Block::NewIndexBlock(std::string contents) {
  auto block = std::make_shared<Block>(std::move(contents));
  block->BuildPrefixIndex();
  return block;
}

void Block::BuildPrefixIndex() {
  if (!ok() || restart_offset_ == 0) return;  // malformed, or no entries
  // Restart keys out of order (damage the checksum missed, or a block read
  // unverified) get no index: with it, Seek finds exactly the restart point
  // the binary search finds, which needs them sorted.
  std::vector<std::string_view> keys(num_restarts_);
  for (uint32_t i = 0; i < num_restarts_; i++) {
    if (!RestartKey(i, &keys[i]) || keys[i].size() < kTagBytes) return;
    if (i > 0 && CompareInternalKeys(keys[i - 1], keys[i]) >= 0) return;
  }
  // Sorted, so their user keys are non-decreasing: all of them begin with
  // what the first and the last share, and their prefixes after it are
  // non-decreasing too.
  const std::string_view first = ExtractUserKey(keys.front());
  const std::string_view last = ExtractUserKey(keys.back());
  size_t common = 0;
  while (common < first.size() && common < last.size() && first[common] == last[common]) common++;
  auto index = std::make_unique<PrefixIndex>();
  index->common.assign(first.substr(0, common));
  index->prefixes.reserve(num_restarts_);
  for (std::string_view key : keys) {
    index->prefixes.push_back(Prefix64(ExtractUserKey(key), common));
  }
  for (size_t i = 0; i < index->prefixes.size(); i += PrefixIndex::kSampleStride) {
    index->samples.push_back(index->prefixes[i]);
  }
  prefix_index_ = std::move(index);
}

// The first i with prefixes[i] > t (upper) or >= t (!upper); size() if none.
size_t Block::PrefixIndex::Bound(uint64_t t, bool upper) const {
  auto before = [&](uint64_t p) { return upper ? p <= t : p < t; };
  // The first sample not before t: the answer is at most its position, and
  // past the sample before it.
  const size_t j = std::partition_point(samples.begin(), samples.end(), before) - samples.begin();
  if (j == 0) return 0;
  const size_t begin = (j - 1) * kSampleStride + 1;
  const size_t end = std::min(prefixes.size(), j * kSampleStride);
  return std::partition_point(prefixes.begin() + begin, prefixes.begin() + end, before) -
         prefixes.begin();
}

Block::Iter::Iter(const Block* block, KeyCompare compare)
    : block_(block),
      compare_(compare),
      data_(block->data_.data()),
      limit_(block->restart_offset_),
      current_(limit_) {
  if (!block_->ok()) status_ = Status::Corruption("block", "bad restart array");
}

Block::Iter::Iter(std::shared_ptr<const Block> block, KeyCompare compare)
    : Iter(block.get(), compare) {
  owner_ = std::move(block);
}

void Block::Iter::SeekToFirst() {
  if (!block_->ok()) return;
  SeekToRestart(0);
  ParseNextEntry();
}

void Block::Iter::SeekToLast() {
  if (!block_->ok()) return;
  SeekToRestart(block_->num_restarts_ - 1);
  while (ParseNextEntry() && next_ < limit_) {
  }
}

void Block::Iter::Prev() {
  // Back to the last restart point before the current entry, then forward
  // to the entry just before it.
  const uint32_t original = current_;
  while (RestartPoint(restart_index_) >= original) {
    if (restart_index_ == 0) {
      current_ = limit_;  // before the first entry: not valid
      return;
    }
    restart_index_--;
  }
  SeekToRestart(restart_index_);
  while (ParseNextEntry() && next_ < original) {
  }
}

void Block::Iter::Seek(std::string_view target) {
  if (!block_->ok()) return;
  // Binary search for the last restart point whose key is < target (0 if
  // none); keys at restart points are stored whole (shared = 0).
  uint32_t left = 0, right = block_->num_restarts_ - 1;
  // The prefix index orders keys as CompareInternalKeys does; an iterator
  // with another order searches without it.
  if (block_->prefix_index_ != nullptr && compare_ == CompareInternalKeys &&
      target.size() >= kTagBytes) {
    NarrowByPrefix(ExtractUserKey(target), &left, &right);
  }
  while (left < right) {
    uint32_t mid = (left + right + 1) / 2;
    std::string_view mid_key;
    if (!KeyAtRestart(mid, &mid_key)) return;
    if (compare_(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestart(left);
  while (ParseNextEntry()) {
    if (compare_(key_, target) >= 0) return;
  }
}

void Block::Iter::SeekForPrev(std::string_view target) {
  Seek(target);
  if (!status_.ok()) return;
  if (!Valid()) {
    SeekToLast();
  } else if (compare_(key_, target) > 0) {
    Prev();
  }
}

// Narrows [*left, *right], the binary search's range, to the restart
// points whose prefix equals the target's: those before have smaller keys,
// those after larger ones. Usually that leaves one point or none.
void Block::Iter::NarrowByPrefix(std::string_view user_key, uint32_t* left, uint32_t* right) const {
  const PrefixIndex& index = *block_->prefix_index_;
  const int c = user_key.substr(0, index.common.size()).compare(index.common);
  if (c != 0) {
    // Below or above every restart key.
    *left = *right = c < 0 ? 0 : block_->num_restarts_ - 1;
    return;
  }
  const uint64_t t = Prefix64(user_key, index.common.size());
  const size_t lo = index.Bound(t, /*upper=*/false);
  // Usually no prefix, or one, equals t: step over them rather than search
  // again (a run longer than a cache line of them is searched).
  size_t hi = lo;
  while (hi < index.prefixes.size() && index.prefixes[hi] == t && hi - lo < 8) hi++;
  if (hi - lo == 8) hi = index.Bound(t, /*upper=*/true);
  // Points before lo are < target; at hi and after, > target. The answer
  // is lo - 1 unless a point in [lo, hi) is < target too.
  *left = lo == 0 ? 0 : static_cast<uint32_t>(lo - 1);
  *right = hi == 0 ? 0 : static_cast<uint32_t>(hi - 1);
}

uint32_t Block::Iter::RestartPoint(uint32_t index) const {
  return DecodeFixed32(data_ + block_->restart_offset_ + index * sizeof(uint32_t));
}

void Block::Iter::SeekToRestart(uint32_t index) {
  key_ = {};
  restart_index_ = index;
  next_ = RestartPoint(index);
  current_ = limit_;
}

void Block::Iter::Corrupt(const char* what) {
  status_ = Status::Corruption("block", what);
  current_ = limit_;
  key_ = {};
  value_ = {};
}

bool Block::Iter::KeyAtRestart(uint32_t index, std::string_view* key) {
  if (!block_->RestartKey(index, key)) {
    Corrupt("bad restart entry");
    return false;
  }
  return true;
}

void Block::Iter::BuildKey(uint32_t shared, std::string_view delta) {
  const size_t size = shared + delta.size();
  if (size > key_capacity_) {
    const size_t capacity = std::max(size, 2 * key_capacity_);
    auto grown = std::make_unique<char[]>(capacity);
    std::memcpy(grown.get(), key_.data(), shared);  // key_ may be in the old buffer
    heap_key_ = std::move(grown);
    key_buf_ = heap_key_.get();
    key_capacity_ = capacity;
  } else if (key_.data() != key_buf_ && shared > 0) {
    std::memmove(key_buf_, key_.data(), shared);  // the shared part was in the block
  }
  if (!delta.empty()) std::memcpy(key_buf_ + shared, delta.data(), delta.size());
  key_ = std::string_view(key_buf_, size);
}

bool Block::Iter::ParseNextEntry() {
  current_ = next_;
  if (current_ >= limit_) {
    current_ = limit_;
    return false;
  }
  uint32_t shared, unshared, value_size;
  const char* delta;
  if (!DecodeEntryAt(data_, limit_, current_, &shared, &unshared, &value_size, &delta) ||
      shared > key_.size()) {
    Corrupt("bad entry");
    return false;
  }
  if (shared == 0) {
    key_ = std::string_view(delta, unshared);  // stored whole: read in place
  } else {
    BuildKey(shared, std::string_view(delta, unshared));
  }
  value_ = std::string_view(delta + unshared, value_size);
  next_ = static_cast<uint32_t>(delta + unshared + value_size - data_);
  // Keep restart_index_ the last restart at or before current_ (for Prev).
  while (restart_index_ + 1 < block_->num_restarts_ &&
         RestartPoint(restart_index_ + 1) <= current_) {
    restart_index_++;
  }
  return true;
}

std::unique_ptr<InternalIterator> Block::NewIterator(std::shared_ptr<const Block> block,
                                                     KeyCompare compare) {
  return std::make_unique<Iter>(std::move(block), compare);
}

}  // namespace synapsed
