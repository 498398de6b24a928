// libFuzzer target for the public API: the input is a sequence of DB calls
// (after a few bytes of options) run against a database on the in-memory
// FaultInjectionFileSystem and against a std::map model. Every result is
// compared with the model:
//
//  - Get, MultiGet, and iterators (whole scans both ways, Seek and
//    SeekForPrev, lower and upper bounds) at the latest state and at held
//    snapshots, whose model is a copy taken with the snapshot;
//  - across Flush, CompactRange, clean reopens (Close, Open) and crashes:
//    a synced Put, then every unsynced byte of the file system dropped,
//    then Open. By the oracle of docs/testing.md the reopened database
//    holds every acknowledged write (the synced one covers all before it);
//  - at the end, after one more reopen.
//
// Every write must succeed and DeleteRange(end, begin) must be
// InvalidArgument. Options come from the input too: tiny memtables and
// blocks, either compaction style, any compression, with or without filter
// and block cache, so a short input reaches flushes, compactions and
// multi-level reads. Background flushes and compactions run on their own
// threads, so an input's interleaving (not its result) can vary by run.
//
// Seeds: fuzz/corpus/db_api/ (from synapsed_fuzz_seeds).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "io/fault_injection_fs.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"

namespace synapsed {
namespace {

using KV = std::map<std::string, std::string>;

constexpr int kMaxOps = 128;
constexpr size_t kMaxSnapshots = 3;

class ApiRun {
 public:
  explicit ApiRun(FuzzedDataProvider* in) : in_(in) {
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_.create_if_missing = true;
    options_.file_system = fs_;
    options_.write_buffer_size = 1024 << in_->ConsumeIntegralInRange(0, 5);
    options_.block_size = 64 << in_->ConsumeIntegralInRange(0, 4);
    options_.compression = static_cast<CompressionType>(in_->ConsumeIntegralInRange(0, 2));
    options_.bottommost_compression =
        static_cast<CompressionType>(in_->ConsumeIntegralInRange(0, 2));
    options_.bloom_bits_per_key = in_->ConsumeBool() ? 10 : 0;
    options_.level0_file_num_compaction_trigger = in_->ConsumeIntegralInRange(1, 4);
    options_.level0_slowdown_writes_trigger = options_.level0_file_num_compaction_trigger + 4;
    options_.level0_stop_writes_trigger = options_.level0_slowdown_writes_trigger + 4;
    options_.target_file_size_base = 1024;
    options_.max_bytes_for_level_base = 4096;
    options_.max_bytes_for_level_multiplier = 2;
    if (in_->ConsumeBool()) options_.compaction_style = CompactionStyle::kUniversal;
    switch (in_->ConsumeIntegralInRange(0, 2)) {
      case 0:
        options_.no_block_cache = true;
        break;
      case 1:
        options_.block_cache = NewARCCache(1024, 0);
        break;
      default:
        break;  // the default cache
    }
  }

  void Run() {
    Open();
    for (int op = 0; op < kMaxOps && in_->remaining_bytes() > 0; op++) {
      switch (in_->ConsumeIntegralInRange(0, 14)) {
        case 0:
        case 1:
          Put();
          break;
        case 2:
          Delete();
          break;
        case 3:
          DeleteRange();
          break;
        case 4:
          Batch();
          break;
        case 5:
          CheckGet();
          break;
        case 6:
          CheckMultiGet();
          break;
        case 7:
        case 8:
          CheckIterator();
          break;
        case 9:
          TakeSnapshot();
          break;
        case 10:
          ReleaseSnapshot();
          break;
        case 11:
          FUZZ_CHECK(db_->Flush().ok());
          break;
        case 12:
          CompactRange();
          break;
        case 13:
          Reopen();
          break;
        default:
          Crash();
          break;
      }
    }
    CheckAll();
    Reopen();
    FUZZ_CHECK(db_->Close().ok());
  }

 private:
  // A small key space, so keys are overwritten, deleted and range-deleted
  // often; the empty key and binary keys now and then.
  std::string Key() {
    const uint8_t b = in_->ConsumeIntegral<uint8_t>();
    if (b < 8) return std::string(b % 4, static_cast<char>(b < 4 ? 0 : 0xff));
    return "k" + std::to_string(b % 48);
  }
  std::string Value() {
    const size_t n = in_->ConsumeIntegralInRange(0, 3) == 0
                         ? in_->ConsumeIntegral<uint16_t>() % 2000
                         : in_->ConsumeIntegral<uint8_t>() % 16;
    return "v" + std::to_string(values_++) + std::string(n, 'x');
  }
  WriteOptions Write() {
    WriteOptions wo;
    wo.sync = in_->ConsumeIntegralInRange(0, 7) == 0;
    return wo;
  }
  static void EraseRange(KV* kv, const std::string& begin, const std::string& end) {
    if (begin < end) kv->erase(kv->lower_bound(begin), kv->lower_bound(end));
  }

  void Open() {
    const Status s = DB::Open(options_, "/db", &db_);
    FUZZ_CHECK_STATUS(s.ok(), s);
  }
  void ReleaseAll() {
    for (auto& [snapshot, kv] : snapshots_) db_->ReleaseSnapshot(snapshot);
    snapshots_.clear();
  }
  void Reopen() {
    ReleaseAll();  // snapshots do not survive a reopen
    FUZZ_CHECK(db_->Close().ok());
    db_.reset();
    Open();
    CheckAll();
  }
  // A synced write makes every acknowledged write before it durable, so a
  // crash that drops everything unsynced must lose nothing.
  void Crash() {
    ReleaseAll();
    WriteOptions sync;
    sync.sync = true;
    const std::string k = Key(), v = Value();
    FUZZ_CHECK(db_->Put(sync, k, v).ok());
    model_[k] = v;
    fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, 1);
    db_.reset();  // its files died with the crash; Close fails, and is ignored
    Open();
    CheckAll();
  }

  void Put() {
    const std::string k = Key(), v = Value();
    FUZZ_CHECK(db_->Put(Write(), k, v).ok());
    model_[k] = v;
  }
  void Delete() {
    const std::string k = Key();
    FUZZ_CHECK(db_->Delete(Write(), k).ok());
    model_.erase(k);
  }
  void DeleteRange() {
    const std::string a = Key(), b = Key();
    if (a > b) FUZZ_CHECK(db_->DeleteRange(Write(), a, b).IsInvalidArgument());
    FUZZ_CHECK(db_->DeleteRange(Write(), std::min(a, b), std::max(a, b)).ok());
    EraseRange(&model_, std::min(a, b), std::max(a, b));
  }
  void Batch() {
    WriteBatch batch;
    KV next = model_;
    const int n = in_->ConsumeIntegralInRange(0, 8);
    for (int i = 0; i < n; i++) {
      const std::string k = Key();
      switch (in_->ConsumeIntegralInRange(0, 3)) {
        case 0:
          batch.Delete(k);
          next.erase(k);
          break;
        case 1: {
          const std::string end = Key();
          FUZZ_CHECK(batch.DeleteRange(std::min(k, end), std::max(k, end)).ok());
          EraseRange(&next, std::min(k, end), std::max(k, end));
          break;
        }
        default: {
          const std::string v = Value();
          batch.Put(k, v);
          next[k] = v;
        }
      }
    }
    FUZZ_CHECK(db_->Write(Write(), &batch).ok());
    model_ = std::move(next);
  }

  void TakeSnapshot() {
    if (snapshots_.size() < kMaxSnapshots) snapshots_.emplace_back(db_->GetSnapshot(), model_);
  }
  void ReleaseSnapshot() {
    if (snapshots_.empty()) return;
    const size_t i = in_->ConsumeIntegralInRange<size_t>(0, snapshots_.size() - 1);
    db_->ReleaseSnapshot(snapshots_[i].first);
    snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  // The latest state, or one of the held snapshots, with its model.
  ReadOptions Read(const KV** expect) {
    ReadOptions ro;
    *expect = &model_;
    const size_t i = in_->ConsumeIntegralInRange<size_t>(0, snapshots_.size());
    if (i < snapshots_.size()) {
      ro.snapshot = snapshots_[i].first;
      *expect = &snapshots_[i].second;
    }
    ro.verify_checksums = in_->ConsumeBool();
    ro.fill_cache = in_->ConsumeBool();
    return ro;
  }

  void CompactRange() {
    const std::string a = Key(), b = Key();
    const std::string_view lo(std::min(a, b)), hi(std::max(a, b));
    const uint8_t open = in_->ConsumeIntegral<uint8_t>();
    FUZZ_CHECK(db_->CompactRange(open & 1 ? nullptr : &lo, open & 2 ? nullptr : &hi).ok());
  }

  void CheckGet(const ReadOptions& ro, const KV& expect, const std::string& k) {
    std::string v;
    const Status s = db_->Get(ro, k, &v);
    const auto it = expect.find(k);
    if (it == expect.end()) {
      FUZZ_CHECK(s.IsNotFound());
    } else {
      FUZZ_CHECK(s.ok() && v == it->second);
    }
  }
  void CheckGet() {
    const KV* expect;
    const ReadOptions ro = Read(&expect);
    CheckGet(ro, *expect, Key());
  }
  void CheckMultiGet() {
    const KV* expect;
    const ReadOptions ro = Read(&expect);
    std::vector<std::string> keys(in_->ConsumeIntegralInRange(0, 8));
    for (std::string& k : keys) k = Key();
    const std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::string> values;
    const std::vector<Status> got = db_->MultiGet(ro, views, &values);
    FUZZ_CHECK(got.size() == keys.size() && values.size() == keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
      const auto it = expect->find(keys[i]);
      if (it == expect->end()) {
        FUZZ_CHECK(got[i].IsNotFound());
      } else {
        FUZZ_CHECK(got[i].ok() && values[i] == it->second);
      }
    }
  }

  // Whole scans both ways, then a few seeks, against expect within bounds.
  void CheckIterator(ReadOptions ro, const KV& all, bool bounds) {
    if (bounds && in_->ConsumeBool()) ro.iterate_lower_bound = Key();
    if (bounds && in_->ConsumeBool()) ro.iterate_upper_bound = Key();
    KV expect;
    for (const auto& [k, v] : all) {
      if (ro.iterate_lower_bound && k < *ro.iterate_lower_bound) continue;
      if (ro.iterate_upper_bound && k >= *ro.iterate_upper_bound) continue;
      expect.emplace(k, v);
    }
    auto it = db_->NewIterator(ro);
    auto want = expect.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
      FUZZ_CHECK(want != expect.end() && it->key() == want->first && it->value() == want->second);
    }
    FUZZ_CHECK(it->status().ok() && want == expect.end());
    auto back = expect.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++back) {
      FUZZ_CHECK(back != expect.rend() && it->key() == back->first && it->value() == back->second);
    }
    FUZZ_CHECK(it->status().ok() && back == expect.rend());
    for (int i = in_->ConsumeIntegralInRange(0, 3); i > 0; i--) {
      const std::string target = Key();
      // Seek: the first key >= target (within bounds); SeekForPrev: the last <= target.
      it->Seek(target);
      auto at = expect.lower_bound(target);
      FUZZ_CHECK(it->Valid() == (at != expect.end()));
      if (it->Valid()) FUZZ_CHECK(it->key() == at->first && it->value() == at->second);
      if (it->Valid()) {
        it->Next();
        ++at;
        FUZZ_CHECK(it->Valid() == (at != expect.end()));
        if (it->Valid()) FUZZ_CHECK(it->key() == at->first);
      }
      it->SeekForPrev(target);
      auto upper = expect.upper_bound(target);
      FUZZ_CHECK(it->Valid() == (upper != expect.begin()));
      if (it->Valid()) FUZZ_CHECK(it->key() == std::prev(upper)->first);
      FUZZ_CHECK(it->status().ok());
    }
  }
  void CheckIterator() {
    const KV* expect;
    const ReadOptions ro = Read(&expect);
    CheckIterator(ro, *expect, true);
  }

  // Every key of the latest state and of each snapshot, by scan and by Get.
  void CheckAll() {
    CheckIterator(ReadOptions(), model_, false);
    for (const auto& [k, v] : model_) CheckGet(ReadOptions(), model_, k);
    for (const auto& [snapshot, kv] : snapshots_) {
      ReadOptions ro;
      ro.snapshot = snapshot;
      CheckIterator(ro, kv, false);
    }
  }

  FuzzedDataProvider* const in_;
  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Options options_;
  std::unique_ptr<DB> db_;
  KV model_;
  std::vector<std::pair<const Snapshot*, KV>> snapshots_;
  uint64_t values_ = 0;
};

}  // namespace
}  // namespace synapsed

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  synapsed::ApiRun run(&in);
  run.Run();
  return 0;
}
