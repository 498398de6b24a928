#include "memtable/memtable.h"

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
  size_t ikey_len = user_key.size() + kTagBytes;
  buf_.reserve(kMaxVarint32Bytes + ikey_len);
  PutVarint32(&buf_, static_cast<uint32_t>(ikey_len));
  internal_key_offset_ = buf_.size();
  AppendInternalKey(&buf_, user_key, sequence, kValueTypeForSeek);
}

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(GetLengthPrefixedSlice(a), GetLengthPrefixedSlice(b));
}

MemTable::MemTable(size_t arena_block_size)
    : arena_(arena_block_size), table_(KeyComparator(), &arena_) {}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view key,
                   std::string_view value) {
  const size_t ikey_len = key.size() + kTagBytes;
  const size_t encoded_len = VarintLength(ikey_len) + ikey_len + VarintLength(value.size()) +
                             value.size();
  char* buf = arena_.Allocate(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(ikey_len));
  // (An empty string_view may have a null data(), which memcpy must not see.)
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  EncodeFixed64(p, PackTag(seq, type));
  p += kTagBytes;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  table_.Insert(buf);
  num_entries_.fetch_add(1, std::memory_order_relaxed);
  if (type == ValueType::kDeletion) num_deletes_.fetch_add(1, std::memory_order_relaxed);
}

bool MemTable::Get(const LookupKey& key, std::string* value, bool* found_value) const {
  Table::Iterator iter(&table_);
  iter.Seek(key.memtable_key());
  if (!iter.Valid()) return false;
  // The first entry at or after (user_key, seq) is the newest visible version
  // of user_key, if it has the same user key.
  const char* entry = iter.key();
  std::string_view ikey = GetLengthPrefixedSlice(entry);
  if (ExtractUserKey(ikey) != key.user_key()) return false;
  switch (static_cast<ValueType>(ExtractTag(ikey) & 0xff)) {
    case ValueType::kValue: {
      std::string_view v = GetLengthPrefixedSlice(ikey.data() + ikey.size());
      value->assign(v.data(), v.size());
      *found_value = true;
      return true;
    }
    case ValueType::kDeletion:
      *found_value = false;
      return true;
    case ValueType::kRangeDeletion:  // never in this skiplist
      break;
  }
  return false;
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
