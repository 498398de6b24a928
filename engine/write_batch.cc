// WriteBatch serialization (grammar in engine/write_batch_internal.h and
// docs/format/write_batch.md).
#include "synapsed/write_batch.h"

#include "engine/write_batch_internal.h"
#include "memtable/memtable.h"
#include "util/coding.h"

namespace synapsed {

WriteBatch::Handler::~Handler() = default;

WriteBatch::WriteBatch() { Clear(); }
WriteBatch::~WriteBatch() = default;

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(WriteBatchInternal::kHeaderBytes);
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(*this); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kDeletion));
  PutLengthPrefixed(&rep_, key);
}

Status WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  if (begin > end) return Status::InvalidArgument("DeleteRange", "end key comes before begin key");
  if (begin == end) return Status::OK();  // an empty range deletes nothing
  WriteBatchInternal::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kRangeDeletion));
  PutLengthPrefixed(&rep_, begin);
  PutLengthPrefixed(&rep_, end);
  return Status::OK();
}

namespace {

// Walks the updates of rep, calling fn(type, key, value) for each (a range
// deletion passes its begin and end as key and value). Returns Corruption on
// a malformed update or a count that does not match.
template <typename Fn>
Status ForEachUpdate(std::string_view rep, Fn&& fn) {
  if (rep.size() < WriteBatchInternal::kHeaderBytes) {
    return Status::Corruption("write batch", "shorter than its header");
  }
  const uint32_t expected = DecodeFixed32(rep.data() + 8);
  std::string_view input = rep.substr(WriteBatchInternal::kHeaderBytes);
  uint32_t found = 0;
  while (!input.empty()) {
    const auto type = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    std::string_view key, value;
    switch (type) {
      case static_cast<uint8_t>(ValueType::kValue):
        if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch", "bad put");
        }
        break;
      case static_cast<uint8_t>(ValueType::kDeletion):
        if (!GetLengthPrefixed(&input, &key)) {
          return Status::Corruption("write batch", "bad delete");
        }
        break;
      case static_cast<uint8_t>(ValueType::kRangeDeletion):
        if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch", "bad range deletion");
        }
        // DeleteRange never records an empty or inverted range.
        if (key >= value) return Status::Corruption("write batch", "range deletion with begin >= end");
        break;
      default:
        return Status::Corruption("write batch", "unknown update type " + std::to_string(type));
    }
    fn(static_cast<ValueType>(type), key, value);
    found++;
  }
  if (found != expected) {
    return Status::Corruption("write batch", "count " + std::to_string(expected) + " but " +
                                                 std::to_string(found) + " updates");
  }
  return Status::OK();
}

}  // namespace

Status WriteBatch::Iterate(Handler* handler) const {
  // Validate first so a handler never sees part of a malformed batch.
  Status s = WriteBatchInternal::Validate(*this);
  if (!s.ok()) return s;
  return ForEachUpdate(rep_, [handler](ValueType t, std::string_view k, std::string_view v) {
    switch (t) {
      case ValueType::kValue: handler->Put(k, v); break;
      case ValueType::kDeletion: handler->Delete(k); break;
      case ValueType::kRangeDeletion: handler->DeleteRange(k, v); break;
    }
  });
}

uint32_t WriteBatchInternal::Count(const WriteBatch& b) { return DecodeFixed32(b.rep_.data() + 8); }

void WriteBatchInternal::SetCount(WriteBatch* b, uint32_t n) { EncodeFixed32(&b->rep_[8], n); }

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& b) {
  return DecodeFixed64(b.rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  EncodeFixed64(&b->rep_[0], seq);
}

Status WriteBatchInternal::SetContents(WriteBatch* b, std::string_view contents) {
  if (contents.size() < kHeaderBytes) {
    return Status::Corruption("write batch", "shorter than its header");
  }
  b->rep_.assign(contents.data(), contents.size());
  return Status::OK();
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch& src) {
  SetCount(dst, Count(*dst) + Count(src));
  dst->rep_.append(src.rep_, kHeaderBytes, std::string::npos);
}

Status WriteBatchInternal::Validate(const WriteBatch& b) {
  return ForEachUpdate(b.rep_, [](ValueType, std::string_view, std::string_view) {});
}

Status WriteBatchInternal::InsertInto(const WriteBatch& b, MemTable* mem) {
  SequenceNumber seq = Sequence(b);
  const uint32_t count = Count(b);
  // The last update's sequence, seq + count - 1, must not pass the maximum;
  // written without the sum, which wraps for a header sequence near 2^64.
  if (count > 0 && (seq > kMaxSequenceNumber || count - 1 > kMaxSequenceNumber - seq)) {
    return Status::Corruption("write batch", "sequence number out of range");
  }
  return ForEachUpdate(b.rep_, [&](ValueType t, std::string_view k, std::string_view v) {
    mem->Add(seq++, t, k, v);
  });
}

}  // namespace synapsed
