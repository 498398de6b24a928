// History: the acknowledged writes of a test, and the oracle that a database
// recovered after a crash must satisfy (docs/design/recovery.md):
//   its contents equal the result of applying the first P acknowledged
//   batches, for some P >= the index of the last batch acknowledged with
//   sync (or every batch, after a process kill) -- a prefix, never a hole,
//   never part of a batch, never a value that was not written. A write that
//   failed or was cut off by the crash was in flight: it may or may not be
//   there (InFlight records it as a possible last batch).
#ifndef SYNAPSED_TESTS_HISTORY_H_
#define SYNAPSED_TESTS_HISTORY_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "synapsed/db.h"

namespace synapsed::test {

using KV = std::map<std::string, std::string>;

struct Update {
  Update(std::string k, std::optional<std::string> v) : key(std::move(k)), value(std::move(v)) {}
  // DeleteRange of [begin, end).
  static Update Range(std::string begin, std::string end) {
    Update u(std::move(begin), std::nullopt);
    u.range_end = std::move(end);
    return u;
  }

  std::string key;
  std::optional<std::string> value;  // nullopt: delete
  std::optional<std::string> range_end;  // set: DeleteRange of [key, *range_end)
};

class History {
 public:
  // Records a batch that the DB acknowledged.
  void Acknowledge(std::vector<Update> batch, bool sync) {
    batches_.push_back(std::move(batch));
    if (sync) min_prefix_ = batches_.size();
  }
  // Records a batch whose write failed or never returned: it may survive.
  void InFlight(std::vector<Update> batch) { batches_.push_back(std::move(batch)); }
  // After a process kill every acknowledged write must survive.
  void RequireAll() { min_prefix_ = batches_.size(); }
  size_t size() const { return batches_.size(); }
  size_t min_prefix() const { return min_prefix_; }

  static void Apply(const std::vector<Update>& batch, KV* kv) {
    for (const auto& u : batch) {
      if (u.range_end) {
        kv->erase(kv->lower_bound(u.key), kv->lower_bound(*u.range_end));
      } else if (u.value) {
        (*kv)[u.key] = *u.value;
      } else {
        kv->erase(u.key);
      }
    }
  }
  KV StateAfter(size_t prefix) const {
    KV kv;
    for (size_t i = 0; i < prefix; i++) Apply(batches_[i], &kv);
    return kv;
  }
  // The P for which `actual` is the state after the first P batches, at least
  // min_prefix(); -1 if there is none (the oracle fails).
  long MatchingPrefix(const KV& actual) const {
    KV kv = StateAfter(min_prefix_);
    for (size_t p = min_prefix_;; p++) {
      if (kv == actual) return static_cast<long>(p);
      if (p == batches_.size()) return -1;
      Apply(batches_[p], &kv);
    }
  }
  // Forgets batches after the first `prefix` (the ones a crash dropped).
  void Truncate(size_t prefix) {
    batches_.resize(prefix);
    min_prefix_ = prefix;  // recovery made what survived durable
  }

 private:
  std::vector<std::vector<Update>> batches_;
  size_t min_prefix_ = 0;
};

inline Status WriteUpdates(DB* db, const std::vector<Update>& batch, bool sync) {
  WriteBatch wb;
  for (const auto& u : batch) {
    if (u.range_end) {
      Status s = wb.DeleteRange(u.key, *u.range_end);
      if (!s.ok()) return s;
    } else if (u.value) {
      wb.Put(u.key, *u.value);
    } else {
      wb.Delete(u.key);
    }
  }
  WriteOptions wo;
  wo.sync = sync;
  return db->Write(wo, &wb);
}

inline KV ReadAll(DB* db, Status* status) {
  KV kv;
  auto it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) kv[std::string(it->key())] = it->value();
  *status = it->status();
  return kv;
}

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTS_HISTORY_H_
