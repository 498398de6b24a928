#include "tools/stress/worker.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "synapsed/db.h"
#include "tools/stress/expected_state.h"
#include "tools/stress/verifier.h"
#include "util/random.h"

namespace synapsed::stress {

namespace {

// Operation weights, out of their sum.
enum Op {
  kPut,
  kDelete,
  kDeleteRange,
  kBatch,
  kGet,
  kMultiGet,
  kScan,
  kSnapshot,
  kFlush,
  kCompact,
  kNumOps
};
constexpr int kWeights[kNumOps] = {340, 80, 20, 100, 200, 80, 120, 56, 3, 1};

// Shared by the threads of one worker.
struct Shared {
  DB* db;
  ExpectedState* state;
  const WorkerConfig* config;
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::chrono::steady_clock::time_point deadline;
};

// A snapshot and what the keys [lo, hi) held when it was taken.
struct HeldSnapshot {
  const Snapshot* snapshot = nullptr;
  uint32_t lo = 0, hi = 0;
  std::vector<uint64_t> expected;
  uint64_t check_at_op = 0;
};

std::vector<uint32_t> Range(uint32_t lo, uint32_t hi) {
  std::vector<uint32_t> keys;
  for (uint32_t k = lo; k < hi; k++) keys.push_back(k);
  return keys;
}

class StressThread {
 public:
  StressThread(Shared* shared, int index)
      : sh_(shared),
        db_(shared->db),
        state_(shared->state),
        rnd_(shared->config->seed * 1000003 + static_cast<uint64_t>(index)) {}

  void Run() {
    const WorkerConfig& c = *sh_->config;
    int total = 0;
    for (int w : kWeights) total += w;
    uint64_t unreported = 0;
    while (!sh_->stop.load(std::memory_order_relaxed)) {
      if (c.ops_per_thread != 0 && ops_ >= c.ops_per_thread) break;
      if (c.seconds > 0 && (ops_ & 63) == 0 && std::chrono::steady_clock::now() > sh_->deadline) {
        break;
      }
      int r = static_cast<int>(rnd_.Uniform(total)), op = 0;
      while (r >= kWeights[op]) r -= kWeights[op++];
      if (!Do(static_cast<Op>(op))) {
        sh_->failed = true;
        sh_->stop = true;
        break;
      }
      ops_++;
      if (++unreported == 256) {
        state_->AddOps(unreported);
        unreported = 0;
      }
    }
    state_->AddOps(unreported);
    if (held_.snapshot != nullptr) db_->ReleaseSnapshot(held_.snapshot);
  }

 private:
  bool Do(Op op) {
    switch (op) {
      case kPut:
        return DoPut();
      case kDelete:
        return DoDelete();
      case kDeleteRange:
        return DoDeleteRange();
      case kBatch:
        return DoBatch();
      case kGet:
        return DoGet();
      case kMultiGet:
        return DoMultiGet();
      case kScan:
        return DoScan();
      case kSnapshot:
        return DoSnapshot();
      case kFlush:
        return Check("Flush", db_->Flush());
      case kCompact:
        return DoCompact();
      case kNumOps:
        break;
    }
    return true;
  }

  uint32_t RandomKey() { return static_cast<uint32_t>(rnd_.Uniform(state_->num_keys())); }
  // [lo, hi) of 1..max_width keys.
  void RandomRange(uint32_t max_width, uint32_t* lo, uint32_t* hi) {
    *lo = RandomKey();
    *hi = std::min<uint32_t>(state_->num_keys(),
                             *lo + 1 + static_cast<uint32_t>(rnd_.Uniform(max_width)));
  }
  WriteOptions RandomWriteOptions() {
    WriteOptions wo;
    const int n = sh_->config->db_config.sync_one_in;
    wo.sync = n > 0 && rnd_.OneIn(static_cast<uint64_t>(n));
    return wo;
  }

  bool Fail(const std::string& message) {
    const std::string line = "synapsed_stress: FAILED: " + message;
    std::fprintf(stderr, "%s\n", line.c_str());
    state_->RecordFailure(message);
    return false;
  }
  bool Check(const char* what, const Status& s) {
    return s.ok() || Fail(std::string(what) + ": " + s.ToString());
  }

  // The write protocol of expected_state.h. REQUIRES: the stripes of keys
  // are held.
  bool ApplyWrite(const char* what, const std::vector<uint32_t>& keys,
                  const std::vector<uint64_t>& values, const std::function<Status()>& write) {
    const uint64_t group = state_->NewGroupId();
    for (size_t i = 0; i < keys.size(); i++) state_->MarkPending(keys[i], values[i], group);
    if (!Check(what, write())) return false;  // the marks stay: the outcome is unknown
    for (size_t i = 0; i < keys.size(); i++) state_->SetValue(keys[i], values[i]);
    for (uint32_t k : keys) state_->ClearPending(k);
    return true;
  }

  bool DoPut() {
    const uint32_t k = RandomKey();
    ExpectedState::StripeGuard guard(state_, {k});
    const uint64_t id = state_->NewValueId();
    return ApplyWrite("Put", {k}, {id}, [&] {
      return db_->Put(RandomWriteOptions(), KeyString(k), ValueString(k, id));
    });
  }

  bool DoDelete() {
    const uint32_t k = RandomKey();
    ExpectedState::StripeGuard guard(state_, {k});
    return ApplyWrite("Delete", {k}, {kAbsent},
                      [&] { return db_->Delete(RandomWriteOptions(), KeyString(k)); });
  }

  bool DoDeleteRange() {
    uint32_t lo, hi;
    RandomRange(50, &lo, &hi);
    std::vector<uint32_t> keys = Range(lo, hi);
    ExpectedState::StripeGuard guard(state_, keys);
    return ApplyWrite("DeleteRange", keys, std::vector<uint64_t>(keys.size(), kAbsent), [&] {
      return db_->DeleteRange(RandomWriteOptions(), KeyString(lo), KeyString(hi));
    });
  }

  bool DoBatch() {
    std::vector<uint32_t> keys;
    const int n = 2 + static_cast<int>(rnd_.Uniform(7));
    for (int i = 0; i < n; i++) keys.push_back(RandomKey());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::shuffle(keys.begin(), keys.end(), std::default_random_engine(rnd_.Next()));
    ExpectedState::StripeGuard guard(state_, keys);
    std::vector<uint64_t> values;
    WriteBatch batch;
    for (uint32_t k : keys) {
      if (rnd_.OneIn(4)) {
        values.push_back(kAbsent);
        batch.Delete(KeyString(k));
      } else {
        values.push_back(state_->NewValueId());
        batch.Put(KeyString(k), ValueString(k, values.back()));
      }
    }
    return ApplyWrite("Write", keys, values,
                      [&] { return db_->Write(RandomWriteOptions(), &batch); });
  }

  // The value id a read returned (kAbsent for NotFound), or false after
  // recording a failure.
  bool ReadId(const char* what, uint32_t k, const Status& s, const std::string& value,
              uint64_t* id) {
    *id = kAbsent;
    if (s.IsNotFound()) return true;
    if (!s.ok()) return Fail(std::string(what) + " " + KeyString(k) + ": " + s.ToString());
    if (!ParseValue(k, value, id)) {
      return Fail(std::string(what) + " " + KeyString(k) + ": a value the tool never wrote");
    }
    return true;
  }
  bool Expect(const char* what, uint32_t k, uint64_t expected, uint64_t found) {
    if (expected == found) return true;
    return Fail(std::string(what) + " " + KeyString(k) + ": expected value id " +
                std::to_string(expected) + " (0: none), found " + std::to_string(found));
  }

  bool DoGet() {
    const uint32_t k = RandomKey();
    ExpectedState::StripeGuard guard(state_, {k});
    std::string value;
    uint64_t id;
    if (!ReadId("Get", k, db_->Get(RandomReadOptions(), KeyString(k), &value), value, &id)) {
      return false;
    }
    return Expect("Get", k, state_->View(k).value, id);
  }

  bool DoMultiGet() {
    std::vector<uint32_t> keys;
    // Mostly small; sometimes large, where one call opens many tables.
    const int n = 1 + static_cast<int>(rnd_.Uniform(rnd_.OneIn(8) ? 128 : 16));
    for (int i = 0; i < n; i++) keys.push_back(RandomKey());
    ExpectedState::StripeGuard guard(state_, keys);
    std::vector<uint64_t> expected;
    for (uint32_t k : keys) expected.push_back(state_->View(k).value);
    return MultiGetIs("MultiGet", RandomReadOptions(), keys, expected);
  }

  bool MultiGetIs(const char* what, const ReadOptions& ro, const std::vector<uint32_t>& keys,
                  const std::vector<uint64_t>& expected) {
    std::vector<std::string> strings;
    for (uint32_t k : keys) strings.push_back(KeyString(k));
    std::vector<std::string_view> views(strings.begin(), strings.end());
    std::vector<std::string> values;
    std::vector<Status> st = db_->MultiGet(ro, views, &values);
    if (st.size() != keys.size() || values.size() != keys.size()) {
      return Fail(std::string(what) + ": wrong number of results");
    }
    for (size_t i = 0; i < keys.size(); i++) {
      uint64_t id;
      if (!ReadId(what, keys[i], st[i], values[i], &id)) return false;
      if (!Expect(what, keys[i], expected[i], id)) return false;
    }
    return true;
  }

  ReadOptions RandomReadOptions() {
    ReadOptions ro;
    ro.fill_cache = !rnd_.OneIn(4);
    ro.verify_checksums = !rnd_.OneIn(4);
    return ro;
  }

  // Scans [lo, hi) one of four ways (bounds or Seek/SeekForPrev, forwards
  // or backwards) and compares with expected[k - lo].
  bool ScanIs(const char* what, ReadOptions ro, uint32_t lo, uint32_t hi,
              const std::vector<uint64_t>& expected) {
    const bool bounded = rnd_.OneIn(2), forward = rnd_.OneIn(2);
    const std::string lo_key = KeyString(lo), hi_key = KeyString(hi);
    if (bounded) {
      ro.iterate_lower_bound = lo_key;
      ro.iterate_upper_bound = hi_key;
    }
    auto it = db_->NewIterator(ro);
    std::vector<std::pair<uint32_t, uint64_t>> got;
    if (forward) {
      if (bounded) {
        it->SeekToFirst();
      } else {
        it->Seek(lo_key);
      }
    } else if (bounded) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(KeyString(hi - 1));
    }
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      const std::string_view key = it->key();
      if (!bounded && (forward ? key >= hi_key : key < lo_key)) break;
      uint32_t k;
      if (!ParseKey(key, &k) || k < lo || k >= hi) {
        return Fail(std::string(what) + ": key outside [" + lo_key + ", " + hi_key +
                    "): " + std::string(key.substr(0, 20)));
      }
      uint64_t id;
      if (!ReadId(what, k, Status::OK(), std::string(it->value()), &id)) return false;
      got.emplace_back(k, id);
    }
    if (!it->status().ok()) return Fail(std::string(what) + ": " + it->status().ToString());
    if (!forward) std::reverse(got.begin(), got.end());
    std::vector<std::pair<uint32_t, uint64_t>> want;
    for (uint32_t k = lo; k < hi; k++) {
      if (expected[k - lo] != kAbsent) want.emplace_back(k, expected[k - lo]);
    }
    if (got == want) return true;
    size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) i++;
    return Fail(std::string(what) + (bounded ? " (bounded, " : " (seek, ") +
                (forward ? "forward" : "backward") + ") of [" + lo_key + ", " + hi_key +
                "): first difference at entry " + std::to_string(i) + ": found " +
                (i < got.size() ? KeyString(got[i].first) + "=" + std::to_string(got[i].second)
                                : "the end") +
                ", expected " +
                (i < want.size() ? KeyString(want[i].first) + "=" + std::to_string(want[i].second)
                                 : "the end"));
  }

  bool DoScan() {
    uint32_t lo, hi;
    RandomRange(100, &lo, &hi);
    std::vector<uint32_t> keys = Range(lo, hi);
    ExpectedState::StripeGuard guard(state_, keys);
    std::vector<uint64_t> expected;
    for (uint32_t k : keys) expected.push_back(state_->View(k).value);
    return ScanIs("scan", RandomReadOptions(), lo, hi, expected);
  }

  // Takes a snapshot of a range, or, once enough operations have passed,
  // reads the range at it (scan and MultiGet) and releases it.
  bool DoSnapshot() {
    if (held_.snapshot == nullptr) {
      RandomRange(50, &held_.lo, &held_.hi);
      std::vector<uint32_t> keys = Range(held_.lo, held_.hi);
      ExpectedState::StripeGuard guard(state_, keys);
      held_.snapshot = db_->GetSnapshot();
      held_.expected.clear();
      for (uint32_t k : keys) held_.expected.push_back(state_->View(k).value);
      held_.check_at_op = ops_ + 10 + rnd_.Uniform(300);
      return true;
    }
    if (ops_ < held_.check_at_op) return true;
    ReadOptions ro = RandomReadOptions();
    ro.snapshot = held_.snapshot;
    bool ok = ScanIs("scan at a snapshot", ro, held_.lo, held_.hi, held_.expected) &&
              MultiGetIs("MultiGet at a snapshot", ro, Range(held_.lo, held_.hi), held_.expected);
    db_->ReleaseSnapshot(held_.snapshot);
    held_.snapshot = nullptr;
    return ok;
  }

  bool DoCompact() {
    if (rnd_.OneIn(4)) return Check("CompactRange(all)", db_->CompactRange(nullptr, nullptr));
    uint32_t lo, hi;
    RandomRange(state_->num_keys() / 4 + 1, &lo, &hi);
    const std::string b = KeyString(lo), e = KeyString(hi);
    const std::string_view bv = b, ev = e;
    return Check("CompactRange", db_->CompactRange(&bv, &ev));
  }

  Shared* sh_;
  DB* db_;
  ExpectedState* state_;
  Random rnd_;
  uint64_t ops_ = 0;
  HeldSnapshot held_;
};

}  // namespace

int RunWorker(const WorkerConfig& config) {
  std::unique_ptr<ExpectedState> state;
  Status s = ExpectedState::Open(config.expected_state, config.max_key, &state);
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_stress: expected state: %s\n", s.ToString().c_str());
    return 2;
  }
  Options options;
  s = config.db_config.ToOptions(&options);
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_stress: %s\n", s.ToString().c_str());
    return 2;
  }
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  s = DB::Open(options, config.db, &db);
  if (!s.ok()) {
    const std::string message = "open " + config.db + ": " + s.ToString();
    std::fprintf(stderr, "synapsed_stress: FAILED: %s\n", message.c_str());
    state->RecordFailure(message);
    return 1;
  }

  VerifyResult verified;
  Verify(db.get(), state.get(), config.seed, /*resolve=*/true, &verified);
  if (verified.failures != 0) {
    for (const std::string& m : verified.messages) {
      std::fprintf(stderr, "synapsed_stress: FAILED: verify: %s\n", m.c_str());
    }
    state->RecordFailure("verify after open: " + verified.messages.front() + " (and " +
                         std::to_string(verified.failures - 1) + " more)");
    return 1;
  }
  state->AddVerification(verified.keys_checked, verified.pending_keys);

  Shared shared;
  shared.db = db.get();
  shared.state = state.get();
  shared.config = &config;
  shared.deadline = std::chrono::steady_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(config.seconds * 1e6));
  if (!config.verify_only) {
    std::vector<std::thread> threads;
    for (int i = 0; i < config.threads; i++) {
      threads.emplace_back([&shared, i] { StressThread(&shared, i).Run(); });
    }
    for (std::thread& t : threads) t.join();
  }
  s = db->Close();
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_stress: FAILED: close: %s\n", s.ToString().c_str());
    state->RecordFailure("close: " + s.ToString());
    return 1;
  }
  return shared.failed ? 1 : 0;
}

}  // namespace synapsed::stress
