// Memtable switches, background flushes and reads across memtables and
// tables, through the public API: DB::Flush, the bound on frozen memtables,
// snapshots and iterators that span a flush, I/O errors in a flush or its
// MANIFEST edit, the block cache's counters, a table swapped in from
// another database, and when the background threads start.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "io/fault_injection_fs.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "tests/history.h"
#include "testutil/forwarding_file_system.h"
#include "testutil/testutil.h"

namespace synapsed {

namespace {

constexpr char kDb[] = "/db";
using Kind = FaultInjectionFileSystem::OpKind;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}
std::string Value(int i, int version = 0) {
  return "value" + std::to_string(i) + "." + std::to_string(version) + std::string(i % 50, 'x');
}

uint64_t Property(DB* db, const std::string& name) {
  std::string v;
  EXPECT_TRUE(db->GetProperty(name, &v)) << name;
  return std::stoull(v);
}

class FlushDbTest : public ::testing::Test {
 protected:
  FlushDbTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    options_.create_if_missing = true;
    options_.file_system = fs_;
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
    EXPECT_TRUE(fs_->SyncDir("/").ok());
  }
  Status Open() {
    db_.reset();
    return DB::Open(options_, kDb, &db_);
  }
  void ExpectValues(int n, int version) {
    for (int i = 0; i < n; i++) {
      std::string v;
      Status s = db_->Get(ReadOptions(), Key(i), &v);
      ASSERT_TRUE(s.ok()) << Key(i) << ": " << s.ToString();
      ASSERT_EQ(Value(i, version), v);
    }
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(FlushDbTest, FlushMovesTheMemtableToATableAndRetiresItsLog) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 200; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Delete(WriteOptions(), Key(7)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.num-entries-active-mem-table"));
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.num-immutable-mem-table"));
  EXPECT_EQ(1u, Property(db_.get(), "synapsed.num-files-at-level0"));
  EXPECT_GT(Property(db_.get(), "synapsed.total-sst-files-size"), 0u);
  std::string wal;
  ASSERT_TRUE(db_->GetProperty("synapsed.wal-files", &wal));
  EXPECT_EQ(std::string::npos, wal.find(' ')) << wal;  // one live log
  EXPECT_FALSE(fs_->FileExists("/db/000001.log").ok());
  std::string v;
  EXPECT_TRUE(db_->Get(ReadOptions(), Key(7), &v).IsNotFound());  // the tombstone is in the table
  ASSERT_TRUE(db_->Put(WriteOptions(), Key(7), "again").ok());
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(7), &v).ok());
  EXPECT_EQ("again", v);
  // A flush of an empty memtable is a no-op.
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(2u, Property(db_.get(), "synapsed.num-files-at-level0"));
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, 1);
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(7), &v).ok());
  EXPECT_EQ("again", v);
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(199), &v).ok());
  EXPECT_EQ(Value(199), v);
}

// A retired log that cannot be removed is not an error of the flush (the
// next Open removes it), but it is not silent either: the LOG names it.
TEST_F(FlushDbTest, ObsoleteLogThatCannotBeRemovedIsNamedInTheLog) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "k", "v").ok());
  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = FaultInjectionFileSystem::OpKind::kRemove;
  fault.path_substring = "000001.log";
  fs_->InjectFault(fault);
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_TRUE(fs_->FileExists("/db/000001.log").ok());
  std::string log;
  ASSERT_TRUE(fs_->ReadFileToString("/db/LOG", &log).ok());
  EXPECT_NE(std::string::npos, log.find("could not remove obsolete file")) << log;
  EXPECT_NE(std::string::npos, log.find("000001.log: injected")) << log;
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();
  ASSERT_TRUE(Open().ok());  // and the next Open removes it
  EXPECT_FALSE(fs_->FileExists("/db/000001.log").ok());
}

// Tiny memtables under two writers and a reader, with flushes and
// compactions running: the data spans many tables in several levels, every
// read sees every acknowledged write, and frozen memtables never exceed
// max_write_buffer_number - 1 (writers wait instead).
TEST_F(FlushDbTest, TinyMemtablesUnderConcurrentLoad) {
  options_.write_buffer_size = 8 << 10;
  options_.target_file_size_base = 16 << 10;
  options_.max_bytes_for_level_base = 64 << 10;
  options_.max_write_buffer_number = 3;
  options_.block_size = 256;
  options_.compression = CompressionType::kZstd;
  ASSERT_TRUE(Open().ok());
  constexpr int kPerWriter = 6000;
  std::atomic<int> done_writers{0};
  std::atomic<int> acknowledged[2] = {0, 0};
  std::atomic<uint64_t> max_frozen{0};
  std::atomic<bool> failed{false};
  auto writer = [&](int w) {
    for (int i = 0; i < kPerWriter; i++) {
      const int k = 2 * i + w;
      if (!db_->Put(WriteOptions(), Key(k), Value(k)).ok()) failed = true;
      acknowledged[w].store(i + 1, std::memory_order_release);
    }
    done_writers++;
  };
  std::thread w0(writer, 0), w1(writer, 1);
  uint64_t reads = 0;
  while (done_writers.load() < 2) {
    max_frozen =
        std::max<uint64_t>(max_frozen, Property(db_.get(), "synapsed.num-immutable-mem-table"));
    for (int w = 0; w < 2; w++) {
      const int n = acknowledged[w].load(std::memory_order_acquire);
      if (n == 0) continue;
      const int k = 2 * static_cast<int>(reads % n) + w;
      std::string v;
      Status s = db_->Get(ReadOptions(), Key(k), &v);
      ASSERT_TRUE(s.ok()) << Key(k) << ": " << s.ToString();
      ASSERT_EQ(Value(k), v);
      reads++;
    }
  }
  w0.join();
  w1.join();
  ASSERT_FALSE(failed);
  EXPECT_LE(max_frozen.load(), 2u);
  EXPECT_GT(reads, 0u);
  ASSERT_TRUE(db_->Flush().ok());
  // Compactions ran alongside: the data sits in several levels (dynamic
  // level sizing fills the last level first).
  uint64_t files = 0, below_level0 = 0;
  for (int level = 0; level < 7; level++) {
    const uint64_t n = Property(db_.get(), "synapsed.num-files-at-level" + std::to_string(level));
    files += n;
    if (level > 0) below_level0 += n;
  }
  EXPECT_GT(files, 5u);
  EXPECT_GT(below_level0, 0u);
  EXPECT_GT(Property(db_.get(), "synapsed.num-files-at-level6"), 0u);
  ExpectValues(2 * kPerWriter, 0);
  // An iterator over every table, in order, with nothing missing.
  auto it = db_->NewIterator(ReadOptions());
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), count++) {
    ASSERT_EQ(Key(count), it->key());
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(2 * kPerWriter, count);
  it.reset();
  ASSERT_TRUE(Open().ok());
  ExpectValues(2 * kPerWriter, 0);
}

// A snapshot and an open iterator keep seeing their point in time while the
// memtables they read are flushed, and after.
TEST_F(FlushDbTest, SnapshotsAndIteratorsSpanFlushes) {
  options_.write_buffer_size = 4 << 10;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 500; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  const Snapshot* snap = db_->GetSnapshot();
  auto old_iter = db_->NewIterator(ReadOptions());
  for (int i = 0; i < 500; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 1)).ok());
  for (int i = 0; i < 500; i += 3) ASSERT_TRUE(db_->Delete(WriteOptions(), Key(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  int n = 0;
  for (old_iter->SeekToFirst(); old_iter->Valid(); old_iter->Next(), n++) {
    ASSERT_EQ(Key(n), old_iter->key());
    ASSERT_EQ(Value(n), old_iter->value());
  }
  ASSERT_TRUE(old_iter->status().ok());
  EXPECT_EQ(500, n);
  for (int i = 0; i < 500; i++) {
    std::string v;
    ASSERT_TRUE(db_->Get(at_snap, Key(i), &v).ok());
    ASSERT_EQ(Value(i), v);
    Status s = db_->Get(ReadOptions(), Key(i), &v);
    if (i % 3 == 0) {
      ASSERT_TRUE(s.IsNotFound()) << i;
    } else {
      ASSERT_TRUE(s.ok());
      ASSERT_EQ(Value(i, 1), v);
    }
  }
  std::vector<std::string> keys = {Key(0), Key(1), "missing"};
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<std::string> values;
  auto statuses = db_->MultiGet(at_snap, views, &values);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(Value(0), values[0]);
  EXPECT_EQ(Value(1), values[1]);
  EXPECT_TRUE(statuses[2].IsNotFound());
  old_iter.reset();
  db_->ReleaseSnapshot(snap);
}

// A table write that fails stops writes (the memtable is not lost: its WAL
// stays) while reads go on; after the fault clears, a reopen recovers every
// acknowledged write.
TEST_F(FlushDbTest, TableWriteErrorStopsWritesKeepsReadsAndReopenRecovers) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = Kind::kAppend;
  fault.path_substring = ".sst";
  fault.error = FaultInjectionFileSystem::Errno::kENOSPC;
  fault.count = -1;
  fs_->InjectFault(fault);
  Status s = db_->Flush();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(db_->Put(WriteOptions(), "later", "x").IsIOError());
  ExpectValues(100, 0);
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("Background error: IO error")) << stats;
  EXPECT_FALSE(db_->Close().ok());
  fs_->ClearFaults();
  ASSERT_TRUE(Open().ok());
  ExpectValues(100, 0);
  EXPECT_EQ(1u, Property(db_.get(), "synapsed.num-files-at-level0"));
  // No partial table was left behind.
  int tables = 0;
  for (const auto& path : fs_->ListAllFiles()) tables += path.ends_with(".sst");
  EXPECT_EQ(1, tables);
}

// A MANIFEST sync that fails leaves the edit's outcome unknown: the table is
// kept, writes stop, and the next Open sorts it out with nothing lost.
TEST_F(FlushDbTest, ManifestSyncErrorLosesNothing) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = Kind::kSync;
  fault.path_substring = "MANIFEST";
  fs_->InjectFault(fault);
  EXPECT_TRUE(db_->Flush().IsIOError());
  EXPECT_TRUE(db_->Put(WriteOptions(), "later", "x").IsIOError());
  ExpectValues(100, 0);
  db_.reset();
  fs_->ClearFaults();
  for (auto mode : {FaultInjectionFileSystem::CrashMode::kDropUnsynced,
                    FaultInjectionFileSystem::CrashMode::kKeepRandomUnsynced}) {
    fs_->SimulateCrash(mode, 3);
    ASSERT_TRUE(Open().ok());
    ExpectValues(100, 0);
    db_.reset();
  }
}

// Regression: a compaction that failed reading its inputs set the background
// error, so one EIO on a table stopped every write until the next Open. A
// compaction that fails before its MANIFEST edit changed nothing: writes go
// on, even past the level-0 stop trigger (no compaction can lift it, so the
// write must not wait for one), the failure is in synapsed.stats, it is not
// retried until the version changes, and once the fault clears the next
// flush's compaction runs.
TEST_F(FlushDbTest, CompactionReadErrorDoesNotStopWrites) {
  options_.no_block_cache = true;
  options_.level0_file_num_compaction_trigger = 2;
  options_.level0_slowdown_writes_trigger = 3;
  options_.level0_stop_writes_trigger = 4;
  ASSERT_TRUE(Open().ok());
  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = Kind::kRead;
  fault.path_substring = ".sst";
  fault.count = -1;
  fs_->InjectFault(fault);
  int version = 0;
  for (int flush = 0; flush < 6; flush++, version++) {
    for (int i = 0; i < 50; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, version)).ok()) << flush;
    }
    ASSERT_TRUE(db_->Flush().ok()) << flush;
  }
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("Background error: none")) << stats;
  EXPECT_NE(std::string::npos, stats.find("Compaction errors: ")) << stats;
  EXPECT_NE(std::string::npos, stats.find("injected fault (EIO)")) << stats;
  EXPECT_EQ(std::string::npos, stats.find("Compaction errors: 0")) << stats;
  EXPECT_GE(Property(db_.get(), "synapsed.num-files-at-level0"), 5u);  // past the stop trigger
  Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(".sst")) << s.ToString();
  fs_->ClearFaults();
  ExpectValues(50, version - 1);
  for (int i = 0; i < 50; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, version)).ok());
  }
  ASSERT_TRUE(db_->Flush().ok());  // a new version: compaction runs again
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.num-files-at-level0"));
  ExpectValues(50, version);
  ASSERT_TRUE(db_->Close().ok());
  ASSERT_TRUE(Open().ok());
  ExpectValues(50, version);
}

// A corrupt compaction input is not an I/O error that may pass: the data is
// damaged and every compaction over it would fail again, so writes stop
// with the Corruption (naming the table), reads go on, and reopening (after
// the damage is dealt with) is the way back.
TEST_F(FlushDbTest, CompactionOfACorruptTableStopsWrites) {
  options_.no_block_cache = true;
  options_.level0_file_num_compaction_trigger = 2;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 50; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 0)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  std::vector<std::string> tables;
  for (const auto& p : fs_->ListAllFiles()) {
    if (p.ends_with(".sst")) tables.push_back(p);
  }
  ASSERT_EQ(1u, tables.size());
  ASSERT_TRUE(fs_->CorruptByte(tables[0], 10, 0x40).ok());  // inside the first data block
  for (int i = 0; i < 50; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 1)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  Status s = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(tables[0].substr(tables[0].rfind('/') + 1)))
      << s.ToString();
  s = db_->Put(WriteOptions(), Key(0), "after");
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("Background error: Corruption")) << stats;
  ExpectValues(50, 1);  // the newer table answers every key
}

TEST_F(FlushDbTest, BlockCacheCountersThroughGetProperty) {
  options_.block_size = 512;
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(8u << 20, Property(db_.get(), "synapsed.block-cache-capacity"));
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.block-cache-usage"));
  ExpectValues(1000, 0);
  const uint64_t misses = Property(db_.get(), "synapsed.block-cache-misses");
  const uint64_t inserts = Property(db_.get(), "synapsed.block-cache-inserts");
  EXPECT_GT(misses, 10u);  // one per block, not per key
  EXPECT_LT(misses, 1000u);
  EXPECT_EQ(misses, inserts);
  EXPECT_GT(Property(db_.get(), "synapsed.block-cache-usage"), 0u);
  EXPECT_EQ(inserts, Property(db_.get(), "synapsed.block-cache-entries"));
  ExpectValues(1000, 0);  // every block is cached now
  EXPECT_EQ(misses, Property(db_.get(), "synapsed.block-cache-misses"));
  EXPECT_GE(Property(db_.get(), "synapsed.block-cache-hits"), 1000u);
  // fill_cache = false reads around the cache.
  ASSERT_TRUE(db_->Close().ok());
  auto cache = NewARCCache(1 << 20);
  options_.block_cache = cache;
  ASSERT_TRUE(Open().ok());
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  std::string v;
  ASSERT_TRUE(db_->Get(no_fill, Key(5), &v).ok());
  EXPECT_EQ(0u, cache->GetStats().inserts);
  ASSERT_TRUE(db_->Get(ReadOptions(), Key(5), &v).ok());
  EXPECT_EQ(1u, cache->GetStats().inserts);
  EXPECT_EQ(1u << 20, Property(db_.get(), "synapsed.block-cache-capacity"));
  ASSERT_TRUE(db_->Close().ok());
  options_.block_cache = nullptr;
  options_.no_block_cache = true;
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.block-cache-capacity"));
  ExpectValues(1000, 0);
}

// MultiGet reads each data block once per call, even when nothing may be
// cached (fill_cache = false): the cache sees one lookup per block, not one
// per key.
TEST_F(FlushDbTest, MultiGetReadsEachBlockOnce) {
  auto cache = NewARCCache(1 << 20);
  options_.block_cache = cache;
  options_.compression = CompressionType::kNone;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 400; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 400; i += 2) keys.push_back(Key(i));
  keys.push_back("absent");
  std::vector<std::string_view> views(keys.begin(), keys.end());
  ReadOptions no_fill;
  no_fill.fill_cache = false;
  const uint64_t lookups_before = cache->GetStats().hits + cache->GetStats().misses;
  std::vector<std::string> values;
  auto statuses = db_->MultiGet(no_fill, views, &values);
  for (size_t i = 0; i + 1 < keys.size(); i++) {
    ASSERT_TRUE(statuses[i].ok()) << keys[i];
    ASSERT_EQ(Value(static_cast<int>(2 * i)), values[i]);
  }
  EXPECT_TRUE(statuses.back().IsNotFound());
  const uint64_t lookups = cache->GetStats().hits + cache->GetStats().misses - lookups_before;
  const uint64_t table_bytes = Property(db_.get(), "synapsed.total-sst-files-size");
  EXPECT_GT(lookups, 1u);
  EXPECT_LE(lookups, table_bytes / 4096 + 2) << "one lookup per block, not per key";
  EXPECT_EQ(0u, cache->GetStats().inserts);
}

// A table copied over ours from another database (same number, same size)
// is refused as Corruption naming the file: never read as our data.
TEST_F(FlushDbTest, TableFromAnotherDatabaseIsRefused) {
  options_.compression = CompressionType::kNone;
  auto write = [&](const std::string& value) {
    ASSERT_TRUE(Open().ok());
    for (int i = 0; i < 50; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), value).ok());
    ASSERT_TRUE(db_->Flush().ok());
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  };
  write("ours");
  std::string table_path;
  for (const auto& path : fs_->ListAllFiles()) {
    if (path.ends_with(".sst")) table_path = path;
  }
  ASSERT_FALSE(table_path.empty());
  std::string ours;
  ASSERT_TRUE(fs_->ReadFileToString(table_path, &ours).ok());
  ASSERT_TRUE(DestroyDB(kDb, options_).ok());
  ASSERT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
  write("evil");  // same sizes, same numbers, another IDENTITY
  std::string theirs;
  ASSERT_TRUE(fs_->ReadFileToString(table_path, &theirs).ok());
  ASSERT_EQ(ours.size(), theirs.size());
  ASSERT_NE(ours, theirs);
  // The first database's table, put in the second one's place.
  ASSERT_TRUE(fs_->WriteFileFromString(table_path, ours, true).ok());
  ASSERT_TRUE(Open().ok());
  std::string v;
  Status s = db_->Get(ReadOptions(), Key(1), &v);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(table_path.substr(4))) << s.ToString();
  auto it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

// Waits until no flush or compaction runs or is due. "compaction-pending"
// does not count a memtable still being flushed, whose new level-0 file may
// make a compaction due afterwards, so the immutable memtables are waited for
// first; with no writes arriving, none can reappear.
void WaitForCompactions(DB* db) {
  auto busy = [db] {
    return Property(db, "synapsed.num-immutable-mem-table") != 0 ||
           Property(db, "synapsed.compaction-pending") != 0;
  };
  for (int i = 0; i < 20000 && busy(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(0u, Property(db, "synapsed.num-immutable-mem-table"));
  ASSERT_EQ(0u, Property(db, "synapsed.compaction-pending"));
}

// The number of sorted runs: level-0 files plus non-empty levels.
uint64_t SortedRuns(DB* db) {
  uint64_t runs = Property(db, "synapsed.num-files-at-level0");
  for (int level = 1; level < 7; level++) {
    runs += Property(db, "synapsed.num-files-at-level" + std::to_string(level)) > 0;
  }
  return runs;
}

// The compaction tests run under both styles.
class CompactionStyleTest : public FlushDbTest,
                            public ::testing::WithParamInterface<CompactionStyle> {
 protected:
  CompactionStyleTest() { options_.compaction_style = GetParam(); }
  bool universal() const { return GetParam() == CompactionStyle::kUniversal; }
};

INSTANTIATE_TEST_SUITE_P(Styles, CompactionStyleTest,
                         ::testing::Values(CompactionStyle::kLeveled, CompactionStyle::kUniversal),
                         [](const auto& info) {
                           return info.param == CompactionStyle::kLeveled ? "Leveled" : "Universal";
                         });

// Compaction keeps level 0 short (universal: the sorted runs few), drops
// overwritten versions and tombstones no snapshot needs (the live size
// shrinks), keeps what a held snapshot sees, and never brings a deleted key
// back, across reopens.
TEST_P(CompactionStyleTest, CompactionReclaimsSpaceAndKeepsWhatSnapshotsSee) {
  options_.write_buffer_size = 16 << 10;
  options_.level0_file_num_compaction_trigger = 2;
  options_.target_file_size_base = 32 << 10;
  options_.max_bytes_for_level_base = 128 << 10;
  options_.compression = CompressionType::kNone;
  ASSERT_TRUE(Open().ok());
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  const Snapshot* snap = db_->GetSnapshot();
  for (int round = 1; round <= 3; round++) {
    for (int i = 0; i < kKeys; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, round)).ok());
    }
  }
  for (int i = 0; i < kKeys; i += 2) ASSERT_TRUE(db_->Delete(WriteOptions(), Key(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  WaitForCompactions(db_.get());
  if (universal()) {
    EXPECT_LE(SortedRuns(db_.get()), 2u);
  } else {
    EXPECT_LT(Property(db_.get(), "synapsed.num-files-at-level0"), 2u);
  }
  const uint64_t with_snapshot = Property(db_.get(), "synapsed.total-sst-files-size");
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  for (int i = 0; i < kKeys; i++) {
    std::string v;
    ASSERT_TRUE(db_->Get(at_snap, Key(i), &v).ok()) << i;
    ASSERT_EQ(Value(i), v);
    Status s = db_->Get(ReadOptions(), Key(i), &v);
    if (i % 2 == 0) {
      ASSERT_TRUE(s.IsNotFound()) << i;
    } else {
      ASSERT_TRUE(s.ok()) << i;
      ASSERT_EQ(Value(i, 3), v);
    }
  }
  db_->ReleaseSnapshot(snap);
  // Without the snapshot, rewriting everything drops the old versions and
  // the tombstones: write once more to make every level compact again.
  for (int i = 1; i < kKeys; i += 2)
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 4)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  WaitForCompactions(db_.get());
  // Universal compaction lets space amplification reach 200% before it
  // merges everything; a full manual compaction does it now.
  if (universal()) {
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  }
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_EQ(std::string::npos, stats.find("Compactions: 0 ")) << stats;
  EXPECT_LT(Property(db_.get(), "synapsed.total-sst-files-size"), with_snapshot) << stats;
  ASSERT_TRUE(db_->Close().ok());
  ASSERT_TRUE(Open().ok());
  int count = 0;
  auto it = db_->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next(), count++) {
    const int i = std::stoi(std::string(it->key().substr(3)));
    ASSERT_EQ(1, i % 2) << "deleted key came back: " << it->key();
    ASSERT_EQ(Value(i, 4), it->value());
  }
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(kKeys / 2, count);
}

// After deleting every key, a full CompactRange leaves no table at all (the
// space is reclaimed); a ranged one rewrites only that range and keeps what
// a held snapshot sees.
TEST_P(CompactionStyleTest, CompactRangeReclaimsEverythingDeleted) {
  options_.write_buffer_size = 16 << 10;
  options_.target_file_size_base = 8 << 10;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  const Snapshot* snap = db_->GetSnapshot();
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 1)).ok());
  const std::string lo = Key(0), hi = Key(999);
  const std::string_view begin(lo), end(hi);
  ASSERT_TRUE(db_->CompactRange(&begin, &end).ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.num-files-at-level0"));
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  for (int i = 0; i < 2000; i++) {
    std::string v;
    ASSERT_TRUE(db_->Get(at_snap, Key(i), &v).ok());
    ASSERT_EQ(Value(i), v);
    ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok());
    ASSERT_EQ(Value(i, i < 1000 ? 1 : 0), v);
  }
  db_->ReleaseSnapshot(snap);
  for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Delete(WriteOptions(), Key(i)).ok());
  EXPECT_GT(Property(db_.get(), "synapsed.total-sst-files-size"), 0u);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.total-sst-files-size"));
  for (int level = 0; level < 7; level++) {
    EXPECT_EQ(0u, Property(db_.get(), "synapsed.num-files-at-level" + std::to_string(level)));
  }
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_TRUE(db_->CompactRange(nullptr, nullptr).IsAborted());
  ASSERT_TRUE(Open().ok());
  auto it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  int tables = 0;
  for (const auto& path : fs_->ListAllFiles()) tables += path.ends_with(".sst");
  EXPECT_EQ(0, tables);
}

// Random overwrites and deletes through many flushes and compactions, with
// two compaction threads: every key reads back as the model says, the shape
// is what the style promises once nothing is due, and the stats account for
// the rewriting.
TEST_P(CompactionStyleTest, ManyCompactionsKeepTheShapeAndTheData) {
  options_.write_buffer_size = 8 << 10;
  options_.level0_file_num_compaction_trigger = 3;
  options_.target_file_size_base = 8 << 10;
  options_.max_bytes_for_level_base = 32 << 10;
  options_.max_bytes_for_level_multiplier = 4;
  options_.max_background_jobs = 3;
  options_.compression = CompressionType::kNone;
  options_.bottommost_compression = CompressionType::kLZ4;
  ASSERT_TRUE(Open().ok());
  std::map<std::string, std::string> model;
  uint64_t rng = 42;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return rng >> 33;
  };
  for (int i = 0; i < 20000; i++) {
    const int k = static_cast<int>(next() % 3000);
    if (next() % 8 == 0) {
      ASSERT_TRUE(db_->Delete(WriteOptions(), Key(k)).ok());
      model.erase(Key(k));
    } else {
      const std::string v = Value(k, i);
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(k), v).ok());
      model[Key(k)] = v;
    }
  }
  ASSERT_TRUE(db_->Flush().ok());
  WaitForCompactions(db_.get());
  if (universal()) {
    EXPECT_LE(SortedRuns(db_.get()), 3u);
  } else {
    EXPECT_LT(Property(db_.get(), "synapsed.num-files-at-level0"), 3u);
    // Dynamic level sizing: the last level holds most of the data.
    EXPECT_GT(Property(db_.get(), "synapsed.num-files-at-level6"), 0u);
  }
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.estimate-pending-compaction-bytes"));
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("Write amplification (RocksDB's")) << stats;
  EXPECT_EQ(std::string::npos, stats.find("Compactions: 0 ")) << stats;
  auto check = [&] {
    auto it = db_->NewIterator(ReadOptions());
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model.end()) << it->key();
      ASSERT_EQ(m->first, it->key());
      ASSERT_EQ(m->second, it->value());
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(m, model.end());
    for (int k = 0; k < 3000; k += 7) {
      std::string v;
      Status st = db_->Get(ReadOptions(), Key(k), &v);
      auto found = model.find(Key(k));
      if (found == model.end()) {
        ASSERT_TRUE(st.IsNotFound()) << k;
      } else {
        ASSERT_TRUE(st.ok()) << k;
        ASSERT_EQ(found->second, v);
      }
    }
  };
  check();
  ASSERT_TRUE(db_->Close().ok());
  ASSERT_TRUE(Open().ok());
  check();
}

// Past the soft pending-compaction-bytes limit writes are delayed, past the
// hard one they wait for compaction; both are counted and neither deadlocks.
TEST_P(CompactionStyleTest, PendingCompactionBytesStallWrites) {
  options_.write_buffer_size = 8 << 10;
  options_.level0_file_num_compaction_trigger = 2;
  options_.target_file_size_base = 8 << 10;
  options_.max_bytes_for_level_base = 16 << 10;
  options_.soft_pending_compaction_bytes_limit = 1;
  options_.hard_pending_compaction_bytes_limit = 64 << 10;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 6000; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i % 1500), Value(i)).ok());
  }
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_EQ(std::string::npos, stats.find("(pending compaction bytes): 0 slowdowns")) << stats;
  WaitForCompactions(db_.get());
  EXPECT_EQ(0u, Property(db_.get(), "synapsed.estimate-pending-compaction-bytes"));
  for (int i = 4500; i < 6000; i++) {
    std::string v;
    ASSERT_TRUE(db_->Get(ReadOptions(), Key(i % 1500), &v).ok());
    ASSERT_EQ(Value(i), v);
  }
}

// Every level-0 trigger at 1: each flush reaches the stop trigger. Under
// universal compaction a lone level-0 run is not due for a merge, so a stop
// that waited for compaction would wait for good (this test hung before the
// stop required a compaction that could lift it); writes must go on and
// compaction keep level 0 from growing once a merge is due.
TEST_P(CompactionStyleTest, StopTriggerOfOneNeverStopsWritesForGood) {
  options_.write_buffer_size = 4 << 10;
  options_.level0_file_num_compaction_trigger = 1;
  options_.level0_slowdown_writes_trigger = 1;
  options_.level0_stop_writes_trigger = 1;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 1500; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i % 300), Value(i)).ok());
    if (i % 500 == 0) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }
  ASSERT_TRUE(db_->Flush().ok());
  WaitForCompactions(db_.get());
  EXPECT_LE(Property(db_.get(), "synapsed.num-files-at-level0"), 1u);
  for (int i = 1200; i < 1500; i++) {
    std::string v;
    ASSERT_TRUE(db_->Get(ReadOptions(), Key(i % 300), &v).ok());
    ASSERT_EQ(Value(i), v);
  }
}

// A file system whose table reads wait while a gate is closed (for the
// files named when it closed), so a test can hold a compaction mid-merge.
class GatedFileSystem final : public test::ForwardingFileSystem {
 public:
  explicit GatedFileSystem(std::shared_ptr<FileSystem> base)
      : ForwardingFileSystem(std::move(base)) {}

  void Close(std::set<std::string> paths) {
    std::lock_guard<std::mutex> l(mu_);
    gated_ = std::move(paths);
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    gated_.clear();
    cv_.notify_all();
  }
  int waiting() {
    std::lock_guard<std::mutex> l(mu_);
    return waiting_;
  }

  Status NewRandomAccessFile(const std::string& p, std::unique_ptr<RandomAccessFile>* r) override {
    std::unique_ptr<RandomAccessFile> file;
    Status s = base()->NewRandomAccessFile(p, &file);
    if (s.ok()) *r = std::make_unique<GatedFile>(this, p, std::move(file));
    return s;
  }

 private:
  class GatedFile final : public RandomAccessFile {
   public:
    GatedFile(GatedFileSystem* fs, std::string path, std::unique_ptr<RandomAccessFile> base)
        : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}
    Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
      fs_->Pass(path_);
      return base_->Read(offset, n, result, scratch);
    }

   private:
    GatedFileSystem* fs_;
    std::string path_;
    std::unique_ptr<RandomAccessFile> base_;
  };
  void Pass(const std::string& path) {
    std::unique_lock<std::mutex> l(mu_);
    if (gated_.count(path) == 0) return;
    waiting_++;
    cv_.wait(l, [&] { return gated_.count(path) == 0; });
    waiting_--;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> gated_;
  int waiting_ = 0;
};

std::set<std::string> TablePaths(FaultInjectionFileSystem* fs) {
  std::set<std::string> paths;
  for (const auto& p : fs->ListAllFiles()) {
    if (p.ends_with(".sst")) paths.insert(p);
  }
  return paths;
}

// With a compaction held mid-merge, a flush still happens (it has its own
// thread); Close then cancels the held compaction instead of waiting for
// it, and nothing is lost or left behind.
TEST_F(FlushDbTest, FlushesDoNotWaitBehindACompactionAndCloseCancelsIt) {
  auto gated = std::make_shared<GatedFileSystem>(fs_);
  options_.file_system = gated;
  options_.level0_file_num_compaction_trigger = 2;
  options_.compression = CompressionType::kNone;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 500; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  gated->Close(TablePaths(fs_.get()));
  for (int i = 500; i < 1000; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());  // the second table: a compaction starts and waits
  for (int i = 0; i < 20000 && gated->waiting() == 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(1, gated->waiting());
  EXPECT_EQ(1u, Property(db_.get(), "synapsed.num-running-compactions"));
  for (int i = 1000; i < 1500; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(3u, Property(db_.get(), "synapsed.num-files-at-level0"));
  // Close stops the held compaction at its next entry (without an error).
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gated->Open();
  });
  EXPECT_TRUE(db_->Close().ok());
  opener.join();
  // Only the three flushed tables are left: the cancelled output is gone.
  EXPECT_EQ(3u, TablePaths(fs_.get()).size());
  options_.file_system = fs_;
  ASSERT_TRUE(Open().ok());
  ExpectValues(1500, 0);
}

// Options that cannot work are refused at Open.
TEST_F(FlushDbTest, InvalidOptionsAreRefused) {
  for (auto change : std::vector<std::function<void(Options*)>>{
           [](Options* o) { o->write_buffer_size = 0; },
           [](Options* o) { o->max_write_buffer_number = 1; },
           [](Options* o) { o->block_size = 0; }, [](Options* o) { o->bloom_bits_per_key = -1; },
           [](Options* o) { o->zstd_level = 0; },
           [](Options* o) { o->level0_stop_writes_trigger = 3; },
           [](Options* o) { o->target_file_size_base = 0; },
           [](Options* o) { o->compression = static_cast<CompressionType>(9); },
           [](Options* o) { o->bottommost_compression = static_cast<CompressionType>(9); },
           [](Options* o) { o->compaction_style = static_cast<CompactionStyle>(7); },
           [](Options* o) { o->max_background_jobs = 1; },
           [](Options* o) { o->compaction_options_universal.min_merge_width = 1; },
           [](Options* o) { o->compaction_options_universal.max_merge_width = 1; },
           [](Options* o) {
             o->soft_pending_compaction_bytes_limit = 2;
             o->hard_pending_compaction_bytes_limit = 1;
           }}) {
    Options o = options_;
    change(&o);
    std::unique_ptr<DB> db;
    EXPECT_TRUE(DB::Open(o, kDb, &db).IsInvalidArgument());
  }
}

// The threads of this process (Linux: one entry each in /proc/self/task).
size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    n++;
  }
  return n;
}

// Background threads start with their first work: opening a database,
// writing to its memtable and reading start none; the first flush starts
// the flush thread, the first compaction the compaction threads.
TEST_F(FlushDbTest, BackgroundThreadsStartWithTheirFirstWork) {
  options_.max_background_jobs = 3;  // a flush thread and two compaction threads
  const size_t before = ThreadCount();
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i)).ok());
  ExpectValues(100, 0);
  EXPECT_EQ(before, ThreadCount());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(before + 1, ThreadCount());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(before + 3, ThreadCount());
  ExpectValues(100, 0);
  ASSERT_TRUE(db_->Close().ok());
  // Reopened, nothing is due: no thread. (A joined thread may linger in
  // /proc for a moment.)
  ASSERT_TRUE(Open().ok());
  ExpectValues(100, 0);
  for (int i = 0; i < 10000 && ThreadCount() != before; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(before, ThreadCount());
}

// A compaction due when the database opens runs without waiting for a
// write or a flush to start the compaction threads.
TEST_F(FlushDbTest, CompactionDueAtOpenRuns) {
  options_.level0_file_num_compaction_trigger = 8;
  ASSERT_TRUE(Open().ok());
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 100; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, t)).ok());
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  EXPECT_EQ(4u, Property(db_.get(), "synapsed.num-files-at-level0"));
  ASSERT_TRUE(db_->Close().ok());
  options_.level0_file_num_compaction_trigger = 2;
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 20000 && Property(db_.get(), "synapsed.num-files-at-level0") >= 2; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_LT(Property(db_.get(), "synapsed.num-files-at-level0"), 2u);
  ExpectValues(100, 3);
}

}  // namespace

}  // namespace synapsed
