// Randomized differential test: the DB against a std::map model, over many
// seeds. Puts, deletes, range deletions (SYNAPSED_MODEL_RANGE_DELETES=0 leaves
// them out, to tell whether a failure needs them), batches, gets, MultiGet,
// iterators in both directions with bounds, snapshots (held across writes and
// released), flushes, CompactRange, clean reopens. One seed in four runs with
// tiny memtables, blocks and level targets (so the data spans many tables and levels, each table of many
// blocks, and compactions run with snapshots held), either compaction style
// with random parameters and up to three compaction threads, and a random
// compression, filter and block cache; the others with the defaults. A
// failure names its seed and step.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "io/fault_injection_fs.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "testutil/iterator_walk.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {

namespace {

using KV = std::map<std::string, std::string>;

// DeleteRange is in the mix unless SYNAPSED_MODEL_RANGE_DELETES=0.
bool RangeDeletesEnabled() {
  const char* env = std::getenv("SYNAPSED_MODEL_RANGE_DELETES");
  return env == nullptr || std::string_view(env) != "0";
}

class ModelRun {
 public:
  ModelRun(uint64_t seed, std::shared_ptr<FileSystem> fs, std::string path)
      : rnd_(seed), seed_(seed), path_(std::move(path)), range_deletes_(RangeDeletesEnabled()) {
    options_.create_if_missing = true;
    options_.file_system = std::move(fs);
    if (seed % 4 == 1) {
      options_.write_buffer_size = 512 + rnd_.Uniform(4096);
      options_.max_write_buffer_number = 2 + static_cast<int>(rnd_.Uniform(3));
      options_.block_size = 32 + rnd_.Uniform(512);
      options_.compression = static_cast<CompressionType>(rnd_.Uniform(3));
      options_.bloom_bits_per_key = rnd_.OneIn(3) ? 0 : static_cast<int>(1 + rnd_.Uniform(16));
      options_.level0_file_num_compaction_trigger = 1 + static_cast<int>(rnd_.Uniform(4));
      options_.level0_slowdown_writes_trigger = options_.level0_file_num_compaction_trigger + 2;
      options_.level0_stop_writes_trigger = options_.level0_slowdown_writes_trigger + 4;
      options_.target_file_size_base = 512 + rnd_.Uniform(4096);
      options_.max_bytes_for_level_base = 2048 + rnd_.Uniform(16384);
      options_.max_bytes_for_level_multiplier = 2 + rnd_.Uniform(9);
      options_.level_compaction_dynamic_level_bytes = rnd_.OneIn(2);
      options_.max_background_jobs = 2 + static_cast<int>(rnd_.Uniform(3));
      options_.bottommost_compression = static_cast<CompressionType>(rnd_.Uniform(3));
      if (rnd_.OneIn(2)) {
        options_.compaction_style = CompactionStyle::kUniversal;
        auto& u = options_.compaction_options_universal;
        u.size_ratio = static_cast<unsigned>(rnd_.Uniform(20));
        u.min_merge_width = 2 + static_cast<unsigned>(rnd_.Uniform(3));
        u.max_merge_width = u.min_merge_width + static_cast<unsigned>(rnd_.Uniform(4));
        u.max_size_amplification_percent = 25 + static_cast<unsigned>(rnd_.Uniform(300));
      }
      switch (rnd_.Uniform(3)) {
        case 0: options_.no_block_cache = true; break;
        case 1: options_.block_cache = NewARCCache(1 + rnd_.Uniform(8192), 0); break;
        default: break;  // the default cache
      }
    }
  }

  void Run(int steps) {
    Open();
    for (step_ = 0; step_ < steps && !::testing::Test::HasFatalFailure(); step_++) {
      uint64_t op = rnd_.Uniform(100);
      if (op < 30) {
        if (range_deletes_ && op < 5) {
          DeleteRange();
        } else {
          Put();
        }
      } else if (op < 40) {
        Delete();
      } else if (op < 50) {
        Batch();
      } else if (op < 65) {
        CheckGet();
      } else if (op < 70) {
        CheckMultiGet();
      } else if (op < 85) {
        CheckIterator();
      } else if (op < 92) {
        TakeOrReleaseSnapshot();
      } else if (op < 93) {
        Reopen();
      } else if (op < 94) {
        if (rnd_.OneIn(3)) {
          // A random range (either bound may be open) compacted down.
          const std::string a = RandomKey(), b = RandomKey();
          const std::string_view lo(std::min(a, b)), hi(std::max(a, b));
          ASSERT_TRUE(db_->CompactRange(rnd_.OneIn(4) ? nullptr : &lo,
                                        rnd_.OneIn(4) ? nullptr : &hi)
                          .ok())
              << Where();
        } else {
          ASSERT_TRUE(db_->Flush().ok()) << Where();
        }
      } else {
        CheckSnapshots();
      }
    }
    CheckIterator();
    ReleaseAll();
    ASSERT_TRUE(db_->Close().ok()) << Where();
  }

 private:
  std::string Where() const {
    return "seed " + std::to_string(seed_) + " step " + std::to_string(step_);
  }
  std::string RandomKey() {
    // A small key space (so keys are overwritten and deleted often), plus the
    // empty key and binary keys.
    switch (rnd_.Uniform(20)) {
      case 0: return "";
      case 1: return std::string("\0\xff", 2) + std::to_string(rnd_.Uniform(5));
      default: return "k" + std::to_string(rnd_.Uniform(150));
    }
  }
  std::string RandomValue() {
    return "v" + std::to_string(value_counter_++) + std::string(rnd_.Skewed(14), 'x');
  }
  WriteOptions RandomWriteOptions() {
    WriteOptions wo;
    wo.sync = rnd_.OneIn(10);
    return wo;
  }

  void Open() { ASSERT_TRUE(DB::Open(options_, path_, &db_).ok()) << Where(); }
  void Reopen() {
    // Snapshots do not survive a reopen.
    ReleaseAll();
    ASSERT_TRUE(db_->Close().ok()) << Where();
    db_.reset();
    Open();
  }
  void ReleaseAll() {
    for (auto& [snap, kv] : snapshots_) db_->ReleaseSnapshot(snap);
    snapshots_.clear();
  }

  void Put() {
    std::string k = RandomKey(), v = RandomValue();
    ASSERT_TRUE(db_->Put(RandomWriteOptions(), k, v).ok()) << Where();
    model_[k] = v;
  }
  void Delete() {
    std::string k = RandomKey();
    ASSERT_TRUE(db_->Delete(RandomWriteOptions(), k).ok()) << Where();
    model_.erase(k);
  }
  // A random range: mostly a few keys wide, sometimes everything; begin ==
  // end now and then (an empty range: a no-op).
  std::pair<std::string, std::string> RandomRange() {
    if (rnd_.OneIn(30)) return {"", "\xff"};
    std::string a = RandomKey(), b = RandomKey();
    if (a > b) std::swap(a, b);
    return {a, b};
  }
  static void EraseRange(KV* kv, const std::string& begin, const std::string& end) {
    kv->erase(kv->lower_bound(begin), kv->lower_bound(end));
  }
  void DeleteRange() {
    auto [begin, end] = RandomRange();
    if (begin < end && rnd_.OneIn(20)) {
      ASSERT_TRUE(db_->DeleteRange(RandomWriteOptions(), end, begin).IsInvalidArgument())
          << Where();
    }
    ASSERT_TRUE(db_->DeleteRange(RandomWriteOptions(), begin, end).ok()) << Where();
    EraseRange(&model_, begin, end);
  }
  void Batch() {
    WriteBatch batch;
    KV next = model_;
    int n = static_cast<int>(rnd_.Uniform(20));
    for (int i = 0; i < n; i++) {
      if (range_deletes_ && rnd_.OneIn(8)) {
        auto [begin, end] = RandomRange();
        ASSERT_TRUE(batch.DeleteRange(begin, end).ok()) << Where();
        EraseRange(&next, begin, end);
        continue;
      }
      std::string k = RandomKey();
      if (rnd_.OneIn(3)) {
        batch.Delete(k);
        next.erase(k);
      } else {
        std::string v = RandomValue();
        batch.Put(k, v);
        next[k] = v;
      }
    }
    ASSERT_TRUE(db_->Write(RandomWriteOptions(), &batch).ok()) << Where();
    model_ = std::move(next);
  }

  ReadOptions RandomReadOptions(const KV** expect) {
    ReadOptions ro;
    *expect = &model_;
    if (!snapshots_.empty() && rnd_.OneIn(3)) {
      auto it = snapshots_.begin();
      std::advance(it, rnd_.Uniform(snapshots_.size()));
      ro.snapshot = it->first;
      *expect = &it->second;
    }
    return ro;
  }

  void CheckGet() {
    const KV* expect;
    ReadOptions ro = RandomReadOptions(&expect);
    std::string k = RandomKey(), v;
    Status s = db_->Get(ro, k, &v);
    auto it = expect->find(k);
    if (it == expect->end()) {
      ASSERT_TRUE(s.IsNotFound()) << Where() << " " << s.ToString();
    } else {
      ASSERT_TRUE(s.ok()) << Where() << " " << s.ToString();
      ASSERT_EQ(it->second, v) << Where();
    }
  }

  void CheckMultiGet() {
    const KV* expect;
    ReadOptions ro = RandomReadOptions(&expect);
    std::vector<std::string> keys(rnd_.Uniform(10));
    for (auto& k : keys) k = RandomKey();
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::string> values;
    std::vector<Status> statuses = db_->MultiGet(ro, views, &values);
    ASSERT_EQ(keys.size(), statuses.size());
    for (size_t i = 0; i < keys.size(); i++) {
      auto it = expect->find(keys[i]);
      if (it == expect->end()) {
        ASSERT_TRUE(statuses[i].IsNotFound()) << Where();
      } else {
        ASSERT_TRUE(statuses[i].ok()) << Where();
        ASSERT_EQ(it->second, values[i]) << Where();
      }
    }
  }

  void CheckIterator() {
    const KV* all;
    ReadOptions ro = RandomReadOptions(&all);
    if (rnd_.OneIn(3)) ro.iterate_lower_bound = RandomKey();
    if (rnd_.OneIn(3)) ro.iterate_upper_bound = RandomKey();
    KV expect;
    for (const auto& [k, v] : *all) {
      if (ro.iterate_lower_bound && k < *ro.iterate_lower_bound) continue;
      if (ro.iterate_upper_bound && k >= *ro.iterate_upper_bound) continue;
      expect[k] = v;
    }
    auto it = db_->NewIterator(ro);
    test::CheckIteratorWalk(it.get(), expect, &rnd_, [this] { return RandomKey(); }, 40, Where());
  }

  void TakeOrReleaseSnapshot() {
    if (!snapshots_.empty() && rnd_.OneIn(2)) {
      auto it = snapshots_.begin();
      std::advance(it, rnd_.Uniform(snapshots_.size()));
      db_->ReleaseSnapshot(it->first);
      snapshots_.erase(it);
    } else {
      snapshots_.emplace(db_->GetSnapshot(), model_);
    }
  }

  void CheckSnapshots() {
    for (const auto& [snap, kv] : snapshots_) {
      ReadOptions ro;
      ro.snapshot = snap;
      KV actual;
      auto it = db_->NewIterator(ro);
      for (it->SeekToFirst(); it->Valid(); it->Next()) actual[std::string(it->key())] = it->value();
      ASSERT_EQ(kv, actual) << Where();
    }
  }

  Random rnd_;
  const uint64_t seed_;
  const std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
  KV model_;
  std::map<const Snapshot*, KV> snapshots_;
  uint64_t value_counter_ = 0;
  int step_ = 0;
  const bool range_deletes_;
};

}  // namespace

// SYNAPSED_MODEL_SEEDS=N runs more seeds (a soak); the default fits CI.
uint64_t SeedCount(uint64_t default_count) {
  const char* env = std::getenv("SYNAPSED_MODEL_SEEDS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : default_count;
}

TEST(ModelTest, InMemoryFileSystemManySeeds) {
  for (uint64_t seed = 1; seed <= SeedCount(100); seed++) {
    ModelRun run(seed, std::make_shared<FaultInjectionFileSystem>(), "/db");
    run.Run(1500);
    if (HasFatalFailure()) return;
  }
}

TEST(ModelTest, PosixFileSystem) {
  for (uint64_t seed = 1000; seed < 1010; seed++) {
    test::TempDir dir("model_test");
    ModelRun run(seed, FileSystem::Default(), dir.path() + "/db");
    run.Run(1500);
    if (HasFatalFailure()) return;
  }
}

}  // namespace synapsed
