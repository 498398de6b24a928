// Protocol 4 of the reliability harness (docs/testing.md): metamorphic
// differential testing. One seeded sequence of operations runs against a
// std::map model and against the database under each of the named
// configurations of Configs() below (tiny blocks, a 1-byte cache, 4 KiB
// memtables, L0 trigger 1, every compression, both compaction styles, every
// WAL recovery mode, both I/O engines on the real file system, direct I/O,
// every write synced, ...). The sequence depends on the seed only: puts,
// deletes, range deletions (SYNAPSED_MODEL_RANGE_DELETES=0 leaves them out,
// to tell whether a failure needs them), batches, gets, MultiGet, iterators
// in both directions with bounds, snapshots (held across writes and
// released), flushes, CompactRange, clean reopens and crash-restarts (a
// synced write, then every unsynced byte dropped, then Open; on the real file
// system, a reopen). Every result must equal the model's, so every
// configuration gives the same results; a digest of each run's read results
// checks that too. A second test runs many seeds with options drawn from the
// seed (RandomizedOptions). A failure names its configuration, seed and step,
// and the command that reruns exactly that run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

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

// One configuration of protocol 4: options on top of the defaults, the file
// system, and what every write or read asks for.
struct Config {
  enum class Fs { kMemory, kPosixIoUring, kPosixPosix };
  std::string name;
  std::function<void(Options*)> options = [](Options*) {};
  Fs fs = Fs::kMemory;
  bool sync_every_write = false;
  bool verify_checksums = true;
  bool fill_cache = true;
};

// Small everything, so a run of a thousand steps spans many tables, levels
// and compactions.
void Tiny(Options* o) {
  o->write_buffer_size = 4096;
  o->block_size = 256;
  o->target_file_size_base = 2048;
  o->max_bytes_for_level_base = 8192;
  o->max_bytes_for_level_multiplier = 2;
  o->level0_file_num_compaction_trigger = 2;
  o->level0_slowdown_writes_trigger = 4;
  o->level0_stop_writes_trigger = 8;
}

void Universal(Options* o, unsigned size_ratio, unsigned min_width, unsigned max_width,
               unsigned size_amp) {
  o->compaction_style = CompactionStyle::kUniversal;
  o->compaction_options_universal.size_ratio = size_ratio;
  o->compaction_options_universal.min_merge_width = min_width;
  o->compaction_options_universal.max_merge_width = max_width;
  o->compaction_options_universal.max_size_amplification_percent = size_amp;
}

// The named configurations. Names are stable: a failure names one, and
// SYNAPSED_MODEL_CONFIG=<name> reruns it alone.
std::vector<Config> Configs() {
  using Fs = Config::Fs;
  std::vector<Config> c;
  auto add = [&c](std::string name, std::function<void(Options*)> f) {
    c.push_back({std::move(name), std::move(f)});
  };
  add("defaults", [](Options*) {});
  add("tiny", Tiny);
  // Blocks.
  add("block-1-byte", [](Options* o) {
    Tiny(o);
    o->block_size = 1;
  });
  add("block-64", [](Options* o) {
    Tiny(o);
    o->block_size = 64;
  });
  add("block-64k", [](Options* o) {
    Tiny(o);
    o->block_size = 64 << 10;
  });
  // Compression.
  for (const auto& named :
       {std::pair{"none", CompressionType::kNone}, std::pair{"lz4", CompressionType::kLZ4},
        std::pair{"zstd", CompressionType::kZstd}}) {
    const CompressionType type = named.second;  // (clang 14 cannot capture a structured binding)
    add(std::string("compression-") + named.first, [type](Options* o) {
      Tiny(o);
      o->compression = type;
      o->bottommost_compression = type;
    });
  }
  add("bottommost-follows-compression", [](Options* o) {
    Tiny(o);
    o->bottommost_compression = std::nullopt;
  });
  add("zstd-level-19", [](Options* o) {
    Tiny(o);
    o->compression = CompressionType::kZstd;
    o->zstd_level = 19;
  });
  // Filters.
  add("no-filter", [](Options* o) {
    Tiny(o);
    o->bloom_bits_per_key = 0;
  });
  add("filter-1-bit", [](Options* o) {
    Tiny(o);
    o->bloom_bits_per_key = 1;
  });
  add("filter-40-bits", [](Options* o) {
    Tiny(o);
    o->bloom_bits_per_key = 40;
  });
  // Caches.
  add("no-block-cache", [](Options* o) {
    Tiny(o);
    o->no_block_cache = true;
  });
  add("arc-cache-1-byte", [](Options* o) {
    Tiny(o);
    o->block_cache = NewARCCache(1, 0);
  });
  add("lru-cache-1-byte", [](Options* o) {
    Tiny(o);
    o->block_cache = NewLRUCache(1, 0);
  });
  add("arc-cache-4k-16-shards", [](Options* o) {
    Tiny(o);
    o->block_cache = NewARCCache(4096, 4);
  });
  add("lru-cache-64k", [](Options* o) {
    Tiny(o);
    o->block_cache = NewLRUCache(64 << 10);
  });
  add("max-open-files-1", [](Options* o) {
    Tiny(o);
    o->max_open_files = 1;
  });
  add("max-open-files-8", [](Options* o) {
    Tiny(o);
    o->max_open_files = 8;
  });
  // Memtables and flushes.
  add("memtable-4k-defaults", [](Options* o) { o->write_buffer_size = 4096; });
  add("memtable-512", [](Options* o) {
    Tiny(o);
    o->write_buffer_size = 512;
  });
  add("memtable-1-byte", [](Options* o) {
    Tiny(o);
    o->write_buffer_size = 1;
  });
  add("memtables-6", [](Options* o) {
    Tiny(o);
    o->max_write_buffer_number = 6;
  });
  add("group-commit-1-byte", [](Options* o) {
    Tiny(o);
    o->max_write_batch_group_size_bytes = 1;
  });
  // Leveled compaction.
  add("l0-trigger-1", [](Options* o) {
    Tiny(o);
    o->level0_file_num_compaction_trigger = 1;
    o->level0_slowdown_writes_trigger = 1;
    o->level0_stop_writes_trigger = 1;
  });
  add("l0-trigger-8", [](Options* o) {
    Tiny(o);
    o->level0_file_num_compaction_trigger = 8;
    o->level0_slowdown_writes_trigger = 10;
    o->level0_stop_writes_trigger = 12;
  });
  add("static-level-targets", [](Options* o) {
    Tiny(o);
    o->level_compaction_dynamic_level_bytes = false;
  });
  add("level-multiplier-1", [](Options* o) {
    Tiny(o);
    o->max_bytes_for_level_multiplier = 1;
  });
  add("level-base-1-byte", [](Options* o) {
    Tiny(o);
    o->max_bytes_for_level_base = 1;
  });
  add("target-file-1-byte", [](Options* o) {
    Tiny(o);
    o->target_file_size_base = 1;
  });
  add("max-compaction-bytes-1k", [](Options* o) {
    Tiny(o);
    o->max_compaction_bytes = 1024;
  });
  add("background-jobs-2", [](Options* o) {
    Tiny(o);
    o->max_background_jobs = 2;
  });
  add("background-jobs-6", [](Options* o) {
    Tiny(o);
    o->max_background_jobs = 6;
  });
  add("pending-bytes-limits-small", [](Options* o) {
    Tiny(o);
    o->soft_pending_compaction_bytes_limit = 4096;
    o->hard_pending_compaction_bytes_limit = 16384;
  });
  // Universal compaction.
  add("universal-defaults", [](Options* o) { Universal(o, 1, 2, 0xffffffffu, 200); });
  add("universal-tiny", [](Options* o) {
    Tiny(o);
    Universal(o, 1, 2, 0xffffffffu, 200);
  });
  add("universal-ratio-0-width-2", [](Options* o) {
    Tiny(o);
    Universal(o, 0, 2, 2, 200);
  });
  add("universal-ratio-20-width-3-5", [](Options* o) {
    Tiny(o);
    Universal(o, 20, 3, 5, 100);
  });
  add("universal-size-amp-0", [](Options* o) {
    Tiny(o);
    Universal(o, 1, 2, 4, 0);
  });
  add("universal-l0-trigger-1", [](Options* o) {
    Tiny(o);
    Universal(o, 1, 2, 0xffffffffu, 25);
    o->level0_file_num_compaction_trigger = 1;
    o->level0_slowdown_writes_trigger = 1;
    o->level0_stop_writes_trigger = 1;
  });
  add("universal-zstd-no-cache", [](Options* o) {
    Tiny(o);
    Universal(o, 1, 2, 8, 200);
    o->compression = CompressionType::kZstd;
    o->no_block_cache = true;
  });
  // WAL recovery modes (each crash-restart replays logs under it).
  add("recovery-absolute-consistency", [](Options* o) {
    Tiny(o);
    o->wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  });
  add("recovery-tolerate-corrupted-tail", [](Options* o) {
    Tiny(o);
    o->wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  });
  add("recovery-skip-any-corrupted", [](Options* o) {
    Tiny(o);
    o->wal_recovery_mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  });
  // What each write and read asks for.
  c.push_back({"sync-every-write", Tiny, Fs::kMemory, true});
  c.push_back({"no-checksum-verification", Tiny, Fs::kMemory, false, false});
  c.push_back({"no-cache-fill", Tiny, Fs::kMemory, false, true, false});
  // Extremes together.
  add("everything-tiny", [](Options* o) {
    Tiny(o);
    o->write_buffer_size = 256;
    o->block_size = 16;
    o->block_cache = NewARCCache(1, 0);
    o->bloom_bits_per_key = 0;
    o->max_open_files = 2;
    o->level0_file_num_compaction_trigger = 1;
    o->level0_slowdown_writes_trigger = 1;
    o->level0_stop_writes_trigger = 1;
    o->target_file_size_base = 512;
    o->max_bytes_for_level_base = 1024;
  });
  add("everything-tiny-universal", [](Options* o) {
    Tiny(o);
    Universal(o, 0, 2, 3, 50);
    o->write_buffer_size = 256;
    o->block_size = 16;
    o->block_cache = NewLRUCache(1, 0);
    o->compression = CompressionType::kZstd;
  });
  // The real file system, with each I/O engine (io_uring falls back to posix
  // where the kernel refuses it), and direct I/O (configurations whose
  // directory refuses O_DIRECT, tmpfs for one, are skipped and counted).
  c.push_back({"posix-defaults", [](Options*) {}, Fs::kPosixPosix});
  c.push_back({"posix-tiny", Tiny, Fs::kPosixPosix});
  c.push_back({"io-uring-defaults", [](Options*) {}, Fs::kPosixIoUring});
  c.push_back({"io-uring-tiny", Tiny, Fs::kPosixIoUring});
  c.push_back({"io-uring-tiny-cache-1-byte",
               [](Options* o) {
                 Tiny(o);
                 o->block_cache = NewARCCache(1, 0);
               },
               Fs::kPosixIoUring});
  c.push_back({"io-uring-direct-reads",
               [](Options* o) {
                 Tiny(o);
                 o->block_size = 4096;
                 o->use_direct_reads = true;
                 o->block_cache = NewARCCache(8192, 0);
               },
               Fs::kPosixIoUring});
  c.push_back({"io-uring-direct-everything",
               [](Options* o) {
                 Tiny(o);
                 o->use_direct_reads = true;
                 o->use_direct_io_for_flush_and_compaction = true;
               },
               Fs::kPosixIoUring});
  c.push_back({"posix-direct-everything-universal",
               [](Options* o) {
                 Tiny(o);
                 Universal(o, 1, 2, 4, 100);
                 o->use_direct_reads = true;
                 o->use_direct_io_for_flush_and_compaction = true;
               },
               Fs::kPosixPosix});
  c.push_back({"io-uring-sync-every-write", Tiny, Fs::kPosixIoUring, true});
  return c;
}

// The options a seed draws for RandomizedOptions (a generator of its own, so
// the operation sequence stays the seed's).
void RandomOptions(uint64_t seed, Options* o) {
  Random rnd(seed * 7919 + 17);
  o->write_buffer_size = 512 + rnd.Uniform(4096);
  o->max_write_buffer_number = 2 + static_cast<int>(rnd.Uniform(3));
  o->block_size = 32 + rnd.Uniform(512);
  o->compression = static_cast<CompressionType>(rnd.Uniform(3));
  o->bloom_bits_per_key = rnd.OneIn(3) ? 0 : static_cast<int>(1 + rnd.Uniform(16));
  o->level0_file_num_compaction_trigger = 1 + static_cast<int>(rnd.Uniform(4));
  o->level0_slowdown_writes_trigger = o->level0_file_num_compaction_trigger + 2;
  o->level0_stop_writes_trigger = o->level0_slowdown_writes_trigger + 4;
  o->target_file_size_base = 512 + rnd.Uniform(4096);
  o->max_bytes_for_level_base = 2048 + rnd.Uniform(16384);
  o->max_bytes_for_level_multiplier = 2 + rnd.Uniform(9);
  o->level_compaction_dynamic_level_bytes = rnd.OneIn(2);
  o->max_background_jobs = 2 + static_cast<int>(rnd.Uniform(3));
  o->bottommost_compression = static_cast<CompressionType>(rnd.Uniform(3));
  if (rnd.OneIn(2)) {
    Universal(o, static_cast<unsigned>(rnd.Uniform(20)), 2 + static_cast<unsigned>(rnd.Uniform(3)),
              0, 25 + static_cast<unsigned>(rnd.Uniform(300)));
    auto& u = o->compaction_options_universal;
    u.max_merge_width = u.min_merge_width + static_cast<unsigned>(rnd.Uniform(4));
  }
  switch (rnd.Uniform(3)) {
    case 0:
      o->no_block_cache = true;
      break;
    case 1:
      o->block_cache = NewARCCache(1 + rnd.Uniform(8192), 0);
      break;
    default:
      break;  // the default cache
  }
}

class ModelRun {
 public:
  // Runs seed's sequence on a database at path on fs, opened with options
  // (create_if_missing and file_system are set here). name identifies the
  // configuration in failure messages.
  ModelRun(std::string name, uint64_t seed, Options options, std::shared_ptr<FileSystem> fs,
           std::string path, const Config* config)
      : rnd_(seed),
        name_(std::move(name)),
        seed_(seed),
        path_(std::move(path)),
        options_(std::move(options)),
        memory_fs_(std::dynamic_pointer_cast<FaultInjectionFileSystem>(fs)),
        config_(config),
        range_deletes_(RangeDeletesEnabled()) {
    options_.create_if_missing = true;
    options_.file_system = std::move(fs);
  }

  // FNV-1a over every read result of the run, in order: equal for every
  // configuration of one seed.
  uint64_t digest() const { return digest_; }
  uint64_t operations() const { return static_cast<uint64_t>(step_); }

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
        CrashRestart();
      } else if (op < 95) {
        if (rnd_.OneIn(3)) {
          // A random range (either bound may be open) compacted down.
          const std::string a = RandomKey(), b = RandomKey();
          const std::string_view lo(std::min(a, b)), hi(std::max(a, b));
          ASSERT_TRUE(
              db_->CompactRange(rnd_.OneIn(4) ? nullptr : &lo, rnd_.OneIn(4) ? nullptr : &hi).ok())
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
    return "configuration " + name_ + ", seed " + std::to_string(seed_) + ", step " +
           std::to_string(step_) + " (rerun: SYNAPSED_MODEL_CONFIG=" + name_ +
           " SYNAPSED_MODEL_SEED=" + std::to_string(seed_) + " model_test)";
  }
  void Observe(const Status& s, std::string_view value) {
    auto mix = [this](std::string_view bytes) {
      for (unsigned char c : bytes) digest_ = (digest_ ^ c) * 0x100000001b3ull;
    };
    const char code = s.ok() ? 'o' : s.IsNotFound() ? 'n' : 'e';
    mix(std::string_view(&code, 1));
    mix(value);
  }
  std::string RandomKey() {
    // A small key space (so keys are overwritten and deleted often), plus the
    // empty key and binary keys.
    switch (rnd_.Uniform(20)) {
      case 0:
        return "";
      case 1:
        return std::string("\0\xff", 2) + std::to_string(rnd_.Uniform(5));
      default:
        return "k" + std::to_string(rnd_.Uniform(150));
    }
  }
  std::string RandomValue() {
    return "v" + std::to_string(value_counter_++) + std::string(rnd_.Skewed(14), 'x');
  }
  WriteOptions RandomWriteOptions() {
    WriteOptions wo;
    wo.sync = rnd_.OneIn(10) || (config_ != nullptr && config_->sync_every_write);
    return wo;
  }

  void Open() {
    Status s = DB::Open(options_, path_, &db_);
    ASSERT_TRUE(s.ok()) << Where() << ": " << s.ToString();
  }
  // A machine crash on the in-memory file system: a synced write (which
  // makes every acknowledged write before it durable), then every unsynced
  // byte and directory entry dropped, then Open; nothing may be lost. On the
  // real file system, the synced write and a reopen.
  void CrashRestart() {
    ReleaseAll();
    WriteOptions sync;
    sync.sync = true;
    const std::string k = RandomKey(), v = RandomValue();
    ASSERT_TRUE(db_->Put(sync, k, v).ok()) << Where();
    model_[k] = v;
    if (memory_fs_ != nullptr) {
      memory_fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, seed_);
      db_.reset();  // its files died with the crash; Close fails, and is ignored
    } else {
      ASSERT_TRUE(db_->Close().ok()) << Where();
      db_.reset();
    }
    Open();
  }
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
    if (config_ != nullptr) {
      ro.verify_checksums = config_->verify_checksums;
      ro.fill_cache = config_->fill_cache;
    }
    *expect = &model_;
    if (!snapshots_.empty() && rnd_.OneIn(3)) {
      const auto& [snap, kv] = snapshots_[rnd_.Uniform(snapshots_.size())];
      ro.snapshot = snap;
      *expect = &kv;
    }
    return ro;
  }

  void CheckGet() {
    const KV* expect;
    ReadOptions ro = RandomReadOptions(&expect);
    std::string k = RandomKey(), v;
    Status s = db_->Get(ro, k, &v);
    Observe(s, v);
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
      Observe(statuses[i], statuses[i].ok() ? std::string_view(values[i]) : std::string_view());
      auto it = expect->find(keys[i]);
      if (it == expect->end()) {
        ASSERT_TRUE(statuses[i].IsNotFound()) << Where() << ": " << statuses[i].ToString();
      } else {
        ASSERT_TRUE(statuses[i].ok()) << Where() << ": " << statuses[i].ToString();
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
    test::CheckIteratorWalk(
        it.get(), expect, &rnd_, [this] { return RandomKey(); }, 40, Where());
  }

  void TakeOrReleaseSnapshot() {
    if (!snapshots_.empty() && rnd_.OneIn(2)) {
      auto it = snapshots_.begin() + static_cast<std::ptrdiff_t>(rnd_.Uniform(snapshots_.size()));
      db_->ReleaseSnapshot(it->first);
      snapshots_.erase(it);
    } else {
      snapshots_.emplace_back(db_->GetSnapshot(), model_);
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
  const std::string name_;
  const uint64_t seed_;
  const std::string path_;
  Options options_;
  const std::shared_ptr<FaultInjectionFileSystem> memory_fs_;  // null on the real file system
  const Config* const config_;                                 // null for RandomizedOptions
  uint64_t digest_ = 0xcbf29ce484222325ull;
  std::unique_ptr<DB> db_;
  KV model_;
  // In the order taken (not by address, so a seed picks the same ones every run).
  std::vector<std::pair<const Snapshot*, KV>> snapshots_;
  uint64_t value_counter_ = 0;
  int step_ = 0;
  const bool range_deletes_;
};

}  // namespace

using test::EnvNumber;

// Whether the directory's file system gives O_DIRECT (tmpfs does not).
bool DirectIoWorks(const std::string& dir) {
  const std::string probe = dir + "/direct-probe";
  int fd = open(probe.c_str(), O_CREAT | O_WRONLY | O_DIRECT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  unlink(probe.c_str());
  return fd >= 0;
}

// Protocol 4: every named configuration runs the same seeds' sequences.
// SYNAPSED_MODEL_SEEDS=N runs N seeds per configuration (default 2; the soak
// runs more), SYNAPSED_MODEL_STEPS their length (default 700);
// SYNAPSED_MODEL_CONFIG=<name> and SYNAPSED_MODEL_SEED=<s> rerun one run.
TEST(ModelTest, Metamorphic) {
  const char* only_config = std::getenv("SYNAPSED_MODEL_CONFIG");
  const uint64_t only_seed = EnvNumber("SYNAPSED_MODEL_SEED", 0);
  const uint64_t seeds = EnvNumber("SYNAPSED_MODEL_SEEDS", 2);
  const int steps = static_cast<int>(EnvNumber("SYNAPSED_MODEL_STEPS", 700));
  const std::vector<Config> configs = Configs();
  {
    std::set<std::string> names;
    for (const Config& c : configs) ASSERT_TRUE(names.insert(c.name).second) << c.name;
  }
  std::shared_ptr<FileSystem> uring;
  const bool uring_ok = FileSystem::IoUring(&uring).ok();
  uint64_t runs = 0, operations = 0, skipped = 0;
  std::set<std::string> configs_run;
  std::vector<uint64_t> seed_list;
  for (uint64_t seed = 1; seed <= seeds; seed++) seed_list.push_back(seed);
  if (only_seed != 0) seed_list = {only_seed};
  for (const uint64_t s : seed_list) {
    std::optional<uint64_t> digest;
    std::string digest_from;
    for (const Config& config : configs) {
      if (only_config != nullptr && config.name != only_config) continue;
      Options options;
      config.options(&options);
      std::shared_ptr<FileSystem> fs;
      std::unique_ptr<test::TempDir> dir;
      std::string path = "/db";
      if (config.fs == Config::Fs::kMemory) {
        fs = std::make_shared<FaultInjectionFileSystem>();
      } else {
        dir = std::make_unique<test::TempDir>("model_test");
        path = dir->path() + "/db";
        fs = config.fs == Config::Fs::kPosixIoUring && uring_ok ? uring : FileSystem::Default();
        if ((options.use_direct_reads || options.use_direct_io_for_flush_and_compaction) &&
            !DirectIoWorks(dir->path())) {
          skipped++;
          continue;
        }
      }
      ModelRun run(config.name, s, options, fs, path, &config);
      run.Run(steps);
      if (::testing::Test::HasFatalFailure()) return;
      runs++;
      operations += run.operations();
      configs_run.insert(config.name);
      if (!digest) {
        digest = run.digest();
        digest_from = config.name;
      }
      ASSERT_EQ(*digest, run.digest()) << "seed " << s << ": configuration " << config.name
                                       << " read other results than " << digest_from;
    }
  }
  std::printf("protocol 4: %zu configurations, %" PRIu64 " runs, %" PRIu64 " operations, %" PRIu64
              " skipped (no O_DIRECT here)\n",
              configs_run.size(), runs, operations, skipped);
  test::ReportProtocol(4, "model_test.Metamorphic",
                       "configurations=" + std::to_string(configs_run.size()) + " runs=" +
                           std::to_string(runs) + " operations=" + std::to_string(operations) +
                           " skipped=" + std::to_string(skipped) + " failures=0");
}

// Many seeds, each with options drawn from the seed. SYNAPSED_MODEL_RANDOM_SEEDS=N
// runs more (a soak); the default fits CI.
TEST(ModelTest, RandomizedOptions) {
  const uint64_t seeds = EnvNumber("SYNAPSED_MODEL_RANDOM_SEEDS", 40);
  uint64_t operations = 0;
  for (uint64_t seed = 1; seed <= seeds; seed++) {
    Options options;
    RandomOptions(seed, &options);
    ModelRun run("randomized", seed, options, std::make_shared<FaultInjectionFileSystem>(), "/db",
                 nullptr);
    run.Run(1500);
    if (HasFatalFailure()) return;
    operations += run.operations();
  }
  test::ReportProtocol(4, "model_test.RandomizedOptions",
                       "runs=" + std::to_string(seeds) +
                           " operations=" + std::to_string(operations) + " failures=0");
}

}  // namespace synapsed
