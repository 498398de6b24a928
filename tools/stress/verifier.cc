#include "tools/stress/verifier.h"

#include <string_view>
#include <unordered_map>

#include "util/random.h"

namespace synapsed::stress {

namespace {

constexpr size_t kMaxMessages = 10;

class Checker {
 public:
  Checker(DB* db, ExpectedState* state, VerifyResult* result)
      : db_(db), state_(state), result_(result), found_(state->num_keys(), kAbsent) {}

  void Fail(std::string message) {
    result_->failures++;
    if (result_->messages.size() < kMaxMessages) result_->messages.push_back(std::move(message));
  }

  // found_[k] = the value id the database holds for k, from a forward scan.
  void ScanForward() {
    auto it = db_->NewIterator(ReadOptions());
    std::string prev;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key();
      if (!prev.empty() && key <= prev) Fail("forward scan: keys out of order at " + Quote(key));
      prev.assign(key);
      uint32_t k;
      if (!ParseKey(key, &k) || k >= state_->num_keys()) {
        Fail("forward scan: a key the tool never wrote: " + Quote(key));
        continue;
      }
      uint64_t id;
      if (!ParseValue(k, it->value(), &id)) {
        Fail("key " + KeyString(k) + ": a value the tool never wrote (" +
             std::to_string(it->value().size()) + " bytes)");
        continue;
      }
      found_[k] = id;
    }
    if (!it->status().ok()) Fail("forward scan: " + it->status().ToString());
  }

  void ScanBackward() {
    auto it = db_->NewIterator(ReadOptions());
    uint32_t next = state_->num_keys();  // keys at and above it were checked
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      uint32_t k;
      uint64_t id;
      if (!ParseKey(it->key(), &k) || k >= next || !ParseValue(k, it->value(), &id)) continue;
      for (uint32_t j = k + 1; j < next; j++) {
        if (found_[j] != kAbsent) Fail("backward scan skips " + KeyString(j));
      }
      if (found_[k] != id) Fail("backward scan: " + KeyString(k) + " differs from forward scan");
      next = k;
    }
    if (!it->status().ok()) Fail("backward scan: " + it->status().ToString());
    for (uint32_t j = 0; j < next; j++) {
      if (found_[j] != kAbsent) Fail("backward scan skips " + KeyString(j));
    }
  }

  // Point reads of sampled keys agree with the scans.
  void Sample(uint64_t seed) {
    Random rnd(seed);
    const uint32_t n = state_->num_keys();
    std::vector<std::string> keys;
    for (int i = 0; i < 256; i++) {
      const auto k = static_cast<uint32_t>(rnd.Uniform(n));
      std::string value;
      Status s = db_->Get(ReadOptions(), KeyString(k), &value);
      CheckRead("Get", k, s, value);
      keys.push_back(KeyString(k));
    }
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::string> values;
    std::vector<Status> st = db_->MultiGet(ReadOptions(), views, &values);
    for (size_t i = 0; i < keys.size(); i++) {
      uint32_t k;
      if (ParseKey(keys[i], &k)) CheckRead("MultiGet", k, st[i], values[i]);
    }
  }

  void CheckRead(const char* what, uint32_t k, const Status& s, const std::string& value) {
    uint64_t id = kAbsent;
    if (s.ok() && !ParseValue(k, value, &id)) {
      Fail(std::string(what) + " " + KeyString(k) + ": a value the tool never wrote");
      return;
    }
    if (!s.ok() && !s.IsNotFound()) {
      Fail(std::string(what) + " " + KeyString(k) + ": " + s.ToString());
      return;
    }
    if (id != found_[k]) Fail(std::string(what) + " " + KeyString(k) + " disagrees with the scan");
  }

  // The oracle of the file comment, key by key and group by group.
  void Compare() {
    struct Group {
      int64_t took_new = -1;  // a key that holds the pending value, not the old
      int64_t took_old = -1;
    };
    std::unordered_map<uint64_t, Group> groups;
    for (uint32_t k = 0; k < state_->num_keys(); k++) {
      const ExpectedState::KeyView e = state_->View(k);
      const uint64_t f = found_[k];
      result_->keys_checked++;
      if (!e.pending) {
        if (f != e.value) Fail(Describe(k, e.value, f));
        continue;
      }
      result_->pending_keys++;
      if (f != e.value && f != e.pending_value) {
        Fail(KeyString(k) + ": holds " + Id(f) + ", but only " + Id(e.value) +
             " (before the write in flight) or " + Id(e.pending_value) + " (after it) may be");
        continue;
      }
      if (e.value == e.pending_value) continue;  // either way, no evidence
      Group& g = groups[e.pending_group];
      (f == e.pending_value ? g.took_new : g.took_old) = k;
    }
    for (const auto& [id, g] : groups) {
      if (g.took_new >= 0 && g.took_old >= 0) {
        Fail("write group " + std::to_string(id) + " (a batch or range delete in flight) " +
             "was applied in part: " + KeyString(static_cast<uint32_t>(g.took_new)) +
             " has its new value, " + KeyString(static_cast<uint32_t>(g.took_old)) +
             " its old one");
      }
    }
  }

  void Resolve() {
    for (uint32_t k = 0; k < state_->num_keys(); k++) {
      if (!state_->View(k).pending) continue;
      state_->SetValue(k, found_[k]);
      state_->ClearPending(k);
    }
  }

 private:
  static std::string Id(uint64_t id) {
    return id == kAbsent ? std::string("nothing") : "value id " + std::to_string(id);
  }
  static std::string Describe(uint32_t k, uint64_t expected, uint64_t found) {
    std::string what = expected == kAbsent ? "a deleted (or never written) key is back"
                       : found == kAbsent  ? "an acknowledged write was lost"
                                           : "not the last acknowledged value";
    return KeyString(k) + ": " + what + ": expected " + Id(expected) + ", found " + Id(found);
  }
  static std::string Quote(std::string_view s) {
    std::string out = "'";
    for (char c : s.substr(0, 40)) {
      if (c >= 0x20 && c < 0x7f) {
        out.push_back(c);
      } else {
        out += "\\x";
        out.push_back("0123456789abcdef"[(c >> 4) & 0xf]);
        out.push_back("0123456789abcdef"[c & 0xf]);
      }
    }
    return out + "'";
  }

  DB* db_;
  ExpectedState* state_;
  VerifyResult* result_;
  std::vector<uint64_t> found_;
};

}  // namespace

void Verify(DB* db, ExpectedState* state, uint64_t seed, bool resolve, VerifyResult* result) {
  Checker checker(db, state, result);
  checker.ScanForward();
  checker.ScanBackward();
  checker.Sample(seed);
  checker.Compare();
  if (resolve && result->failures == 0) checker.Resolve();
}

}  // namespace synapsed::stress
