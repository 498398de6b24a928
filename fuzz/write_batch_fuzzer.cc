// libFuzzer target for the write batch decoder (docs/format/write_batch.md):
// the input is one WAL record payload. Every outcome is checked, not only
// the absence of crashes:
//
//  - Validate and Iterate agree; a malformed batch is Corruption and Iterate
//    calls the handler for none of its updates (a batch is all or nothing).
//  - A valid batch re-encodes: the updates Iterate reports, added again with
//    Put/Delete/DeleteRange under the same sequence, give a batch with the
//    same count that decodes to the same updates, and whose bytes equal the
//    input unless the input used over-long varints (then they are shorter).
//  - InsertInto a MemTable fails (Corruption) exactly when the sequences
//    would pass kMaxSequenceNumber, and otherwise the memtable holds every
//    point update at its sequence (update i at sequence + i) and every range
//    deletion covers its begin key at its sequence.
//
// Seeds: fuzz/corpus/write_batch/ (WAL records written by the engine, from
// synapsed_fuzz_seeds).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/write_batch_internal.h"
#include "fuzz/fuzz_check.h"
#include "memtable/memtable.h"

namespace synapsed {
namespace {

struct Update {
  ValueType type;
  std::string key;
  std::string value;  // a range deletion's end
  bool operator==(const Update&) const = default;
};

class Recorder : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    updates.push_back({ValueType::kValue, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) override {
    updates.push_back({ValueType::kDeletion, std::string(key), ""});
  }
  void DeleteRange(std::string_view begin, std::string_view end) override {
    updates.push_back({ValueType::kRangeDeletion, std::string(begin), std::string(end)});
  }
  std::vector<Update> updates;
};

std::vector<Update> Decode(const WriteBatch& batch) {
  Recorder recorder;
  FUZZ_CHECK(batch.Iterate(&recorder).ok());
  return recorder.updates;
}

// The updates of a valid batch, inserted into a memtable, are all there.
void CheckInsert(const WriteBatch& batch, const std::vector<Update>& updates) {
  const SequenceNumber first = WriteBatchInternal::Sequence(batch);
  const bool in_range = updates.empty() || (first <= kMaxSequenceNumber &&
                                            updates.size() - 1 <= kMaxSequenceNumber - first);
  auto mem = std::make_shared<MemTable>();
  const Status s = WriteBatchInternal::InsertInto(batch, mem.get());
  FUZZ_CHECK(s.ok() == in_range);
  if (!s.ok()) {
    FUZZ_CHECK_STATUS(s.IsCorruption(), s);
    return;
  }
  FUZZ_CHECK(mem->num_entries() == updates.size());
  // The point entries, in internal key order, are exactly the point updates.
  std::vector<std::pair<std::string, std::string>> expected;
  for (size_t i = 0; i < updates.size(); i++) {
    if (updates[i].type == ValueType::kRangeDeletion) continue;
    std::string ikey;
    AppendInternalKey(&ikey, updates[i].key, first + i, updates[i].type);
    expected.emplace_back(std::move(ikey), updates[i].value);
  }
  std::sort(expected.begin(), expected.end(),
            [](const auto& a, const auto& b) { return CompareInternalKeys(a.first, b.first) < 0; });
  auto it = MemTable::NewIterator(mem);
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    FUZZ_CHECK(n < expected.size());
    FUZZ_CHECK(it->key() == expected[n].first);
    FUZZ_CHECK(it->value() == expected[n].second);  // empty for a deletion
  }
  FUZZ_CHECK(it->status().ok());
  FUZZ_CHECK(n == expected.size());
  // Range deletions: each covers its begin key as of its own sequence.
  const auto tombstones = mem->RangeTombstones();
  for (size_t i = 0; i < updates.size(); i++) {
    if (updates[i].type != ValueType::kRangeDeletion) continue;
    FUZZ_CHECK(tombstones != nullptr);
    FUZZ_CHECK(tombstones->MaxCoveringSequence(updates[i].key, first + i) == first + i);
  }
}

}  // namespace
}  // namespace synapsed

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace synapsed;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  WriteBatch batch;
  Status s = WriteBatchInternal::SetContents(&batch, input);
  if (size < WriteBatchInternal::kHeaderBytes) {
    FUZZ_CHECK_STATUS(s.IsCorruption(), s);
    return 0;
  }
  FUZZ_CHECK(s.ok());

  const Status valid = WriteBatchInternal::Validate(batch);
  Recorder recorder;
  s = batch.Iterate(&recorder);
  FUZZ_CHECK(s.ok() == valid.ok());
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption() && valid.IsCorruption());
    FUZZ_CHECK(recorder.updates.empty());
    return 0;
  }
  const std::vector<Update>& updates = recorder.updates;
  FUZZ_CHECK(updates.size() == WriteBatchInternal::Count(batch));

  WriteBatch again;
  for (const Update& u : updates) {
    switch (u.type) {
      case ValueType::kValue:
        again.Put(u.key, u.value);
        break;
      case ValueType::kDeletion:
        again.Delete(u.key);
        break;
      case ValueType::kRangeDeletion:
        FUZZ_CHECK(again.DeleteRange(u.key, u.value).ok());
        break;
    }
  }
  WriteBatchInternal::SetSequence(&again, WriteBatchInternal::Sequence(batch));
  const std::string_view bytes = WriteBatchInternal::Contents(again);
  FUZZ_CHECK(again.Count() == batch.Count());
  FUZZ_CHECK(bytes.size() <= size);
  FUZZ_CHECK(bytes.size() < size || bytes == input);
  FUZZ_CHECK(Decode(again) == updates);

  CheckInsert(batch, updates);
  return 0;
}
