#include "memtable/memtable.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "util/coding.h"

namespace synapsed {

namespace {

// Decodes the length-prefixed slice at p. Entries were written by Add, so
// the prefix is trusted (memory, not disk).
std::string_view GetLengthPrefixedSlice(const char* p) {
  uint32_t len;
  p = GetVarint32Ptr(p, p + kMaxVarint32Bytes, &len);
  return std::string_view(p, len);
}

}  // namespace

LookupKey::LookupKey(std::string_view user_key, SequenceNumber sequence) {
  const size_t ikey_len = user_key.size() + kTagBytes;
  const size_t needed = kMaxVarint32Bytes + ikey_len;
  char* p = inline_;
  if (needed > kInlineBytes) {
    heap_ = std::make_unique<char[]>(needed);
    p = heap_.get();
  }
  start_ = p;
  p = EncodeVarint32(p, static_cast<uint32_t>(ikey_len));
  key_ = p;
  if (!user_key.empty()) std::memcpy(p, user_key.data(), user_key.size());
  p += user_key.size();
  EncodeFixed64(p, PackTag(sequence, kValueTypeForSeek));
  end_ = p + kTagBytes;
}

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(GetLengthPrefixedSlice(a), GetLengthPrefixedSlice(b));
}

MemTable::MemTable(size_t arena_block_size)
    : arena_(arena_block_size),
      table_(KeyComparator(), &arena_),
      range_del_table_(KeyComparator(), &arena_) {}

const char* MemTable::EncodeEntry(SequenceNumber seq, ValueType type, std::string_view key,
                                  std::string_view value) {
  const size_t ikey_len = key.size() + kTagBytes;
  const size_t encoded_len =
      VarintLength(ikey_len) + ikey_len + VarintLength(value.size()) + value.size();
  char* buf = arena_.Allocate(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey_len));
  // (An empty string_view may have a null data(), which memcpy must not see.)
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  EncodeFixed64(p, PackTag(seq, type));
  p += kTagBytes;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  return buf;
}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view key,
                   std::string_view value) {
  const char* entry = EncodeEntry(seq, type, key, value);
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (type == ValueType::kRangeDeletion) {
    assert(key < value);
    range_del_table_.Insert(entry);
    num_range_deletes_.fetch_add(1, std::memory_order_release);
    return;
  }
  table_.Insert(entry);
  if (type == ValueType::kDeletion) num_deletes_.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const FragmentedRangeTombstoneList> MemTable::RangeTombstones() const {
  const uint64_t n = num_range_deletes_.load(std::memory_order_acquire);
  if (n == 0) return nullptr;
  MutexLock l(&range_del_mu_);
  if (range_del_cache_ != nullptr && range_del_cache_count_ >= n) return range_del_cache_;
  // The first n tombstones were inserted before their count was published,
  // so the walk finds them (and perhaps later ones, which are harmless: a
  // reader's sequence filters them out).
  std::vector<RangeTombstone> tombstones;
  tombstones.reserve(n);
  Table::Iterator it(&range_del_table_);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const std::string_view ikey = GetLengthPrefixedSlice(it.key());
    const std::string_view end = GetLengthPrefixedSlice(ikey.data() + ikey.size());
    tombstones.push_back(
        {std::string(ExtractUserKey(ikey)), std::string(end), ExtractTag(ikey) >> 8});
  }
  range_del_cache_ = std::make_shared<const FragmentedRangeTombstoneList>(tombstones);
  range_del_cache_count_ = n;
  return range_del_cache_;
}

bool MemTable::Get(const LookupKey& key, std::string* value, bool* found_value,
                   SequenceNumber* max_covering_seq) const {
  SequenceNumber covering = max_covering_seq != nullptr ? *max_covering_seq : 0;
  const SequenceNumber read_seq = ExtractTag(key.internal_key()) >> 8;
  if (num_range_deletes_.load(std::memory_order_acquire) > 0) {
    if (auto tombstones = RangeTombstones()) {
      covering = std::max(covering, tombstones->MaxCoveringSequence(key.user_key(), read_seq));
    }
  }
  if (max_covering_seq != nullptr) *max_covering_seq = covering;
  Table::Iterator iter(&table_);
  iter.Seek(key.memtable_key());
  // The first entry at or after (user_key, seq) is the newest visible version
  // of user_key, if it has the same user key.
  if (iter.Valid()) {
    const std::string_view ikey = GetLengthPrefixedSlice(iter.key());
    if (ExtractUserKey(ikey) == key.user_key()) {
      const uint64_t tag = ExtractTag(ikey);
      if (static_cast<ValueType>(tag & 0xff) == ValueType::kValue && (tag >> 8) > covering) {
        std::string_view v = GetLengthPrefixedSlice(ikey.data() + ikey.size());
        value->assign(v.data(), v.size());
        *found_value = true;
        return true;
      }
      *found_value = false;  // a deletion, or a value a range tombstone hides
      return true;
    }
  }
  // No version here; a covering tombstone hides every older one.
  *found_value = false;
  return covering > 0;
}

class MemTable::Iter final : public InternalIterator {
 public:
  explicit Iter(std::shared_ptr<const MemTable> mem) : mem_(std::move(mem)), iter_(&mem_->table_) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Seek(std::string_view target) override { iter_.Seek(EncodeTarget(target)); }
  void SeekForPrev(std::string_view target) override { iter_.SeekForPrev(EncodeTarget(target)); }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override { return GetLengthPrefixedSlice(iter_.key()); }
  std::string_view value() const override {
    std::string_view k = key();
    return GetLengthPrefixedSlice(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  const char* EncodeTarget(std::string_view target) {
    scratch_.clear();
    PutLengthPrefixed(&scratch_, target);
    return scratch_.data();
  }

  std::shared_ptr<const MemTable> mem_;
  Table::Iterator iter_;
  std::string scratch_;
};

std::unique_ptr<InternalIterator> MemTable::NewIterator(std::shared_ptr<const MemTable> mem) {
  return std::make_unique<Iter>(std::move(mem));
}

}  // namespace synapsed
