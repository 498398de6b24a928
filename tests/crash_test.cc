// Machine crashes on the fault-injection file system: the durability contract
// of docs/design/recovery.md, checked with the History oracle.
#include <gtest/gtest.h>

#include "io/fault_injection_fs.h"
#include "synapsed/db.h"
#include "tests/history.h"
#include "util/random.h"

namespace synapsed {

using CrashMode = FaultInjectionFileSystem::CrashMode;
using test::History;
using test::KV;
using test::Update;

namespace {

constexpr char kDb[] = "/db";

std::vector<Update> RandomBatch(Random* rnd, int* counter) {
  std::vector<Update> batch;
  int n = 1 + static_cast<int>(rnd->Uniform(3));
  for (int i = 0; i < n; i++) {
    std::string key = "key" + std::to_string(rnd->Uniform(40));
    if (rnd->OneIn(10)) {
      // A range deletion: a few keys, or now and then most of them.
      std::string end = "key" + std::to_string(rnd->Uniform(40));
      if (end < key) std::swap(key, end);
      batch.push_back(Update::Range(key, end));
    } else if (rnd->OneIn(5)) {
      batch.push_back({key, std::nullopt});
    } else {
      // Values of varied size so records span WAL blocks now and then.
      std::string value = "v" + std::to_string((*counter)++) + std::string(rnd->Skewed(15), 'x');
      batch.push_back({key, value});
    }
  }
  return batch;
}

class CrashTest : public ::testing::Test {
 protected:
  CrashTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    options_.create_if_missing = true;
    options_.file_system = fs_;
  }

  Status Open() { return DB::Open(options_, kDb, &db_); }
  void CrashAtEveryFileOperation(bool flushes, CompactionStyle style = CompactionStyle::kLeveled);

  // Writes random batches until n are acknowledged or a write fails; returns
  // the first failure.
  Status Workload(Random* rnd, int n, int sync_one_in) {
    for (int i = 0; i < n; i++) {
      auto batch = RandomBatch(rnd, &counter_);
      bool sync = rnd->OneIn(sync_one_in);
      Status s = test::WriteUpdates(db_.get(), batch, sync);
      if (!s.ok()) {
        history_.InFlight(std::move(batch));
        return s;
      }
      history_.Acknowledge(std::move(batch), sync);
    }
    return Status::OK();
  }

  // Reopens after a crash and checks the oracle; the survivors become the
  // durable history.
  void ReopenAndCheck(const std::string& context) {
    db_.reset();
    Status s = Open();
    ASSERT_TRUE(s.ok()) << context << ": " << s.ToString();
    KV actual = test::ReadAll(db_.get(), &s);
    ASSERT_TRUE(s.ok()) << context;
    long p = history_.MatchingPrefix(actual);
    ASSERT_GE(p, 0) << context << ": recovered state is not a prefix of acknowledged writes "
                    << "(acknowledged " << history_.size() << ", synced "
                    << history_.min_prefix() << ")";
    history_.Truncate(static_cast<size_t>(p));
    // Open left nothing obsolete behind: one log, one MANIFEST, no temporary
    // file, and exactly the live tables (orphans went to lost/). Checked
    // after Close, which waits for the compaction Open may have started.
    ASSERT_TRUE(db_->Close().ok()) << context;
    int logs = 0, manifests = 0, tables = 0, temps = 0;
    for (const auto& path : fs_->ListAllFiles()) {
      if (path.starts_with("/db/lost/")) continue;
      logs += path.ends_with(".log");
      manifests += path.starts_with("/db/MANIFEST-");
      tables += path.ends_with(".sst");
      temps += path.ends_with(".dbtmp");
    }
    int live = 0;
    for (int level = 0; level < 7; level++) {
      std::string n;
      ASSERT_TRUE(db_->GetProperty("synapsed.num-files-at-level" + std::to_string(level), &n));
      live += std::stoi(n);
    }
    EXPECT_EQ(1, logs) << context;
    EXPECT_EQ(1, manifests) << context;
    EXPECT_EQ(0, temps) << context;
    EXPECT_EQ(live, tables) << context;
    s = Open();
    ASSERT_TRUE(s.ok()) << context << ": " << s.ToString();
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Options options_;
  std::unique_ptr<DB> db_;
  History history_;
  int counter_ = 0;
};

}  // namespace

TEST_F(CrashTest, SyncedWritesSurviveCrashesAndWhatSurvivesIsAPrefix) {
  for (uint64_t seed = 1; seed <= 60; seed++) {
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_.file_system = fs_;
    history_ = History();
    Random rnd(seed);
    ASSERT_TRUE(Open().ok());
    for (int round = 0; round < 4; round++) {
      ASSERT_TRUE(Workload(&rnd, 1 + static_cast<int>(rnd.Uniform(80)), 4).ok());
      CrashMode mode = rnd.OneIn(2) ? CrashMode::kDropUnsynced : CrashMode::kKeepRandomUnsynced;
      fs_->SimulateCrash(mode, rnd.Next64());
      ReopenAndCheck("seed " + std::to_string(seed) + " round " + std::to_string(round));
    }
  }
}

TEST_F(CrashTest, AckedSyncWriteSurvivesEvenIfEarlierLogWasNeverSynced) {
  // Unsynced writes, then a clean reopen (their log is kept), then one synced
  // write in the new log, then a crash: the old log's bytes must have been
  // made durable by the reopen, or the synced write would sit after a hole.
  ASSERT_TRUE(Open().ok());
  Random rnd(99);
  ASSERT_TRUE(Workload(&rnd, 50, 1000000).ok());
  ASSERT_TRUE(db_->Close().ok());
  ReopenAndCheck("clean reopen");
  ASSERT_EQ(50u, history_.size());
  ASSERT_TRUE(Workload(&rnd, 1, 1).ok());  // sync
  fs_->SimulateCrash(CrashMode::kDropUnsynced, 1);
  ReopenAndCheck("after crash");
  EXPECT_EQ(51u, history_.size());
}

// Regression (review): the database directory's own entry was synced only
// when this Open created the directory; one left by an Open that died
// before syncing its parent could vanish in a crash with every write in it.
TEST_F(CrashTest, DirectoryLeftByAnEarlierOpenIsMadeDurable) {
  ASSERT_TRUE(fs_->CreateDirIfMissing(kDb).ok());  // never synced into "/"
  ASSERT_TRUE(Open().ok());
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->Put(sync, "k", "v").ok());
  db_.reset();
  fs_->SimulateCrash(CrashMode::kDropUnsynced, 1);
  options_.create_if_missing = false;
  ASSERT_TRUE(Open().ok());
  std::string v;
  ASSERT_TRUE(db_->Get(ReadOptions(), "k", &v).ok());
  EXPECT_EQ("v", v);
}

// Every Open flushes the logs it replayed into a table and retires them: no
// log whose durability depends on an earlier process is ever kept.
TEST_F(CrashTest, OpenRetiresReplayedLogs) {
  ASSERT_TRUE(Open().ok());  // creates log 1 and MANIFEST-000002
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", "1").ok());
  db_.reset();
  ASSERT_TRUE(Open().ok());
  std::string wal;
  ASSERT_TRUE(db_->GetProperty("synapsed.wal-files", &wal));
  EXPECT_EQ("000004.log", wal);  // 1 was replayed into table 3
  auto files = fs_->ListAllFiles();
  EXPECT_EQ((std::vector<std::string>{"/db/000003.sst", "/db/000004.log", "/db/CURRENT",
                                      "/db/IDENTITY", "/db/LOCK", "/db/LOG", "/db/LOG.old",
                                      "/db/MANIFEST-000005"}),
            files);
  db_.reset();
  ASSERT_TRUE(Open().ok());  // a table and an empty log: nothing to lose
  std::string v;
  ASSERT_TRUE(db_->Get(ReadOptions(), "a", &v).ok());
  EXPECT_EQ("1", v);
}

// Crashes at every mutating file operation of a run that creates the
// database, writes, reopens (replaying logs), survives a torn-tail recovery
// (whose replay is flushed to a table) and writes again. With tiny
// memtables and level targets the run also switches memtables and WALs,
// flushes in the background and with DB::Flush, compacts (merges and trivial
// moves across several levels, deleting input tables), and so writes many
// MANIFEST edits. Background work makes the k-th operation vary a little
// from run to run; every k still crashes somewhere in the run.
void CrashTest::CrashAtEveryFileOperation(bool flushes, CompactionStyle style) {
  options_.compaction_style = style;
  if (flushes) {
    options_.write_buffer_size = 1024;
    options_.max_write_buffer_number = 2;
    options_.block_size = 256;
    options_.level0_file_num_compaction_trigger = 2;
    options_.level0_slowdown_writes_trigger = 8;
    options_.level0_stop_writes_trigger = 12;
    options_.target_file_size_base = 2048;
    options_.max_bytes_for_level_base = 4096;
  }
  // The same steps every time; an armed crash makes every step after it fail.
  bool compacted = false;
  auto run = [&](FaultInjectionFileSystem* fs) -> uint64_t {
    Random rnd(7);
    history_ = History();
    counter_ = 0;
    const uint64_t start = fs->mutating_ops();
    bool ok = Open().ok();
    ok = ok && Workload(&rnd, 30, 3).ok();
    if (flushes) ok = ok && db_->Flush().ok();
    ok = ok && db_->Close().ok();
    ok = ok && Open().ok();
    ok = ok && Workload(&rnd, 30, 5).ok();
    if (ok) {
      // A torn tail for the next Open to replay and flush.
      db_.reset();
      fs->SimulateCrash(CrashMode::kKeepRandomUnsynced, 3);
    }
    ok = ok && Open().ok();
    if (ok) {
      Status s;
      KV got = test::ReadAll(db_.get(), &s);
      // An armed crash may fire in a background flush or compaction while
      // this reads (every handle then dies); the outer loop checks after it.
      if (fs->crashed_by_arm()) return 0;
      EXPECT_TRUE(s.ok()) << s.ToString();
      long p = history_.MatchingPrefix(got);
      EXPECT_GE(p, 0);
      if (p < 0) return 0;
      history_.Truncate(static_cast<size_t>(p));
    }
    ok = ok && Workload(&rnd, 20, 2).ok();
    if (ok && flushes) ok = db_->Flush().ok();
    if (ok) {
      std::string stats;
      EXPECT_TRUE(db_->GetProperty("synapsed.stats", &stats));
      compacted = compacted || stats.find("Compactions: 0 ") == std::string::npos;
    }
    db_.reset();
    return fs->mutating_ops() - start;
  };

  fs_ = std::make_shared<FaultInjectionFileSystem>();
  options_.file_system = fs_;
  const uint64_t total = run(fs_.get());
  ASSERT_GT(total, flushes ? 150u : 50u);
  EXPECT_EQ(flushes, compacted);
  for (uint64_t k = 1; k <= total; k++) {
    for (CrashMode mode : {CrashMode::kDropUnsynced, CrashMode::kKeepRandomUnsynced}) {
      fs_ = std::make_shared<FaultInjectionFileSystem>();
      options_.file_system = fs_;
      fs_->ArmCrash(k, mode, k);
      run(fs_.get());
      if (!fs_->crashed_by_arm()) continue;  // the uncounted path was shorter
      fs_->DisarmCrash();
      db_.reset();
      // The crash may have hit before the database existed at all.
      if (!fs_->FileExists(std::string(kDb) + "/IDENTITY").ok()) continue;
      ReopenAndCheck("crash at op " + std::to_string(k));
      // And the recovered database takes writes that survive another crash.
      Random rnd(k);
      ASSERT_TRUE(Workload(&rnd, 5, 1).ok());
      fs_->SimulateCrash(CrashMode::kDropUnsynced, k);
      ReopenAndCheck("second crash after op " + std::to_string(k));
    }
  }
}

TEST_F(CrashTest, CrashAtEveryFileOperation) { CrashAtEveryFileOperation(false); }

TEST_F(CrashTest, CrashAtEveryFileOperationWithFlushesAndCompactions) {
  CrashAtEveryFileOperation(true);
}

TEST_F(CrashTest, CrashAtEveryFileOperationWithUniversalCompaction) {
  CrashAtEveryFileOperation(true, CompactionStyle::kUniversal);
}

TEST_F(CrashTest, WriteErrorsStopWritesButNotReads) {
  ASSERT_TRUE(Open().ok());
  Random rnd(3);
  ASSERT_TRUE(Workload(&rnd, 10, 2).ok());
  fs_->InjectFault({FaultInjectionFileSystem::OpKind::kSync, ".log",
                    FaultInjectionFileSystem::Errno::kENOSPC, 0, 1});
  Status s = test::WriteUpdates(db_.get(), {{"k", "v"}}, true);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  // The failed sync is never retried and trusted: every later write fails,
  // even though the fault was a one-off.
  s = test::WriteUpdates(db_.get(), {{"k2", "v"}}, false);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("synapsed.stats", &stats));
  EXPECT_NE(std::string::npos, stats.find("No space")) << stats;
  // Reads keep working and see only acknowledged writes.
  KV actual = test::ReadAll(db_.get(), &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(history_.StateAfter(history_.size()), actual);
  // Reopening recovers; the unacknowledged write may or may not be there.
  db_.reset();
  ASSERT_TRUE(Open().ok());
  actual = test::ReadAll(db_.get(), &s);
  actual.erase("k");
  EXPECT_EQ(history_.StateAfter(history_.size()), actual);
}

TEST_F(CrashTest, AppendErrorFailsTheWriteAndLaterOnes) {
  ASSERT_TRUE(Open().ok());
  fs_->InjectFault({FaultInjectionFileSystem::OpKind::kAppend, ".log",
                    FaultInjectionFileSystem::Errno::kEIO, 0, 1});
  Status s = db_->Put(WriteOptions(), "a", "1");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(db_->Put(WriteOptions(), "b", "2").IsIOError());
  std::string v;
  EXPECT_TRUE(db_->Get(ReadOptions(), "a", &v).IsNotFound());  // never acknowledged, never visible
  db_.reset();
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "c", "3").ok());
}

TEST_F(CrashTest, OpenFailuresAreReportedNotFatal) {
  using Op = FaultInjectionFileSystem::OpKind;
  for (Op op : {Op::kCreate, Op::kSyncDir, Op::kRename, Op::kAppend, Op::kSync, Op::kLock,
                Op::kCreateDir}) {
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_.file_system = fs_;
    fs_->InjectFault({op, "", FaultInjectionFileSystem::Errno::kEIO, 0, -1});
    Status s = Open();
    EXPECT_TRUE(s.IsIOError()) << static_cast<int>(op) << " " << s.ToString();
    fs_->ClearFaults();
    db_.reset();
    s = Open();
    ASSERT_TRUE(s.ok()) << static_cast<int>(op) << " " << s.ToString();
    ASSERT_TRUE(db_->Put(WriteOptions(), "k", "v").ok());
    db_.reset();
  }
}

}  // namespace synapsed
