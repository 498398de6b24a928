// Machine crashes on the fault-injection file system: the durability contract
// of docs/design/recovery.md, checked with the History oracle.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>

#include "io/fault_injection_fs.h"
#include "synapsed/db.h"
#include "tests/history.h"
#include "testutil/ordering_checker.h"
#include "testutil/testutil.h"
#include "util/random.h"
#include "util/sanitizers.h"

namespace synapsed {

using CrashMode = FaultInjectionFileSystem::CrashMode;
using test::History;
using test::KV;
using test::Update;

namespace {

constexpr char kDb[] = "/db";

constexpr uint64_t kDefaultStride = kAddressSanitizer ? 3 : 1;

using test::EnvNumber;

// Which crash points an enumeration visits (docs/testing.md, "Crash points"):
// SYNAPSED_CRASH_K=k runs only operation k; SYNAPSED_CRASH_STRIDE=s every
// s-th k (default 1, 3 under ASan), shifted per crash mode so the modes
// cover different k; SYNAPSED_CRASH_SEEDS=n runs kKeepRandomUnsynced with n
// seeds per k (a soak knob; the default is per scenario).
struct CrashPoints {
  uint64_t only_k = EnvNumber("SYNAPSED_CRASH_K", 0);
  uint64_t stride = std::max<uint64_t>(1, EnvNumber("SYNAPSED_CRASH_STRIDE", kDefaultStride));
  uint64_t seeds(uint64_t fallback) const {
    return std::max<uint64_t>(1, EnvNumber("SYNAPSED_CRASH_SEEDS", fallback));
  }
  bool Visit(uint64_t k, int mode_index) const {
    if (only_k != 0) return k == only_k;
    return (k + static_cast<uint64_t>(mode_index)) % stride == 0;
  }
};

// "remove-log", "sync-manifest", "rename-current", ...: what an operation
// does, for the coverage line of an enumeration.
std::string OperationClass(const FaultInjectionFileSystem::Operation& op) {
  using Kind = FaultInjectionFileSystem::OpKind;
  const char* verb = "other";
  switch (op.kind) {
    case Kind::kAppend:
      verb = "append";
      break;
    case Kind::kFlush:
      verb = "flush";
      break;
    case Kind::kSync:
      verb = "sync";
      break;
    case Kind::kCreate:
      verb = "create";
      break;
    case Kind::kRename:
      verb = "rename";
      break;
    case Kind::kRemove:
      verb = "remove";
      break;
    case Kind::kTruncate:
      verb = "truncate";
      break;
    case Kind::kSyncDir:
      return "syncdir";
    case Kind::kCreateDir:
      return "mkdir";
    default:
      break;
  }
  const std::string& path = op.kind == Kind::kRename ? op.target : op.path;
  std::string what = "other";
  if (path.ends_with(".log"))
    what = "log";
  else if (path.ends_with(".sst"))
    what = "table";
  else if (path.find("/MANIFEST-") != std::string::npos)
    what = "manifest";
  else if (path.ends_with("/CURRENT"))
    what = "current";
  else if (path.ends_with(".dbtmp"))
    what = "temp";
  return std::string(verb) + "-" + what;
}

// A copy of every file of a crashed file system (current == durable there).
using Image = std::map<std::string, std::string>;

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
  CrashTest() {
    options_.create_if_missing = true;
    NewFileSystem();
  }

  void TearDown() override { FinishChecker(); }

  // A fresh file system, watched by a fresh ordering checker.
  void NewFileSystem() {
    FinishChecker();
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_.file_system = fs_;
    checker_ = test::OrderingChecker::Attach(fs_.get(), kDb);
  }

  // Adds the checker's counts to the totals; each violation fails the test.
  void FinishChecker() {
    if (checker_ == nullptr) return;
    ordering_checks_ += checker_->checks();
    for (const auto& v : checker_->violations()) {
      ordering_failures_++;
      ADD_FAILURE() << "ordering rule broken" << checker_context_ << ": " << v;
    }
    checker_.reset();
    checker_context_.clear();
  }

  // A fresh file system holding exactly the files of image, all durable.
  void RestoreImage(const Image& image) {
    NewFileSystem();
    for (const auto& [path, data] : image) {
      const std::string dir = path.substr(0, path.rfind('/'));
      ASSERT_TRUE(fs_->CreateDirIfMissing(dir).ok());
      ASSERT_TRUE(fs_->SyncDir(dir.substr(0, dir.rfind('/')) + "/").ok());
      ASSERT_TRUE(fs_->WriteFileFromString(path, data, true).ok());
    }
  }

  Image TakeImage() {
    Image image;
    for (const auto& path : fs_->ListAllFiles()) {
      EXPECT_TRUE(fs_->ReadFileToString(path, &image[path]).ok()) << path;
    }
    return image;
  }

  // One line of counts for protocol 1.
  void Report(const std::string& test, uint64_t crash_points, double seconds) {
    FinishChecker();
    const std::string counts =
        "crash_points=" + std::to_string(crash_points) + " reopens=" + std::to_string(reopens_) +
        " ordering_checks=" + std::to_string(ordering_checks_) +
        " failures=" + std::to_string(ordering_failures_ + (HasFailure() ? 1 : 0));
    std::printf("protocol 1 %s: %s (%.1f s)\n", test.c_str(), counts.c_str(), seconds);
    test::ReportProtocol(1, "crash_test." + test, counts);
  }

  Status Open() { return DB::Open(options_, kDb, &db_); }
  void CrashAtEveryFileOperation(const std::string& test, bool flushes,
                                 CompactionStyle style = CompactionStyle::kLeveled);
  Image BuildRecoveryImage(bool damaged);
  void CrashAtEveryFileOperationOfRecovery(const std::string& test, bool damaged);

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
  // After crash point k (described by at): reopen and check the oracle,
  // then the recovered database takes 5 synced batches that must survive
  // another crash dropping everything unsynced.
  void CheckAfterCrash(const std::string& at, uint64_t k) {
    ReopenAndCheck(at);
    if (HasFatalFailure()) return;
    Random rnd(k);
    ASSERT_TRUE(Workload(&rnd, 5, 1).ok());
    fs_->SimulateCrash(CrashMode::kDropUnsynced, k);
    ReopenAndCheck("second crash after " + at);
  }

  void ReopenAndCheck(const std::string& context) {
    db_.reset();
    reopens_++;
    Status s = Open();
    ASSERT_TRUE(s.ok()) << context << ": " << s.ToString();
    KV actual = test::ReadAll(db_.get(), &s);
    ASSERT_TRUE(s.ok()) << context;
    long p = history_.MatchingPrefix(actual);
    ASSERT_GE(p, 0) << context << ": recovered state is not a prefix of acknowledged writes "
                    << "(acknowledged " << history_.size() << ", synced " << history_.min_prefix()
                    << ")";
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
  std::shared_ptr<test::OrderingChecker> checker_;
  uint64_t ordering_checks_ = 0;
  uint64_t ordering_failures_ = 0;
  uint64_t reopens_ = 0;
  std::string checker_context_;  // " (SYNAPSED_CRASH_K=k ...)": how to rerun
  Options options_;
  std::unique_ptr<DB> db_;
  History history_;
  int counter_ = 0;
};

}  // namespace

TEST_F(CrashTest, SyncedWritesSurviveCrashesAndWhatSurvivesIsAPrefix) {
  for (uint64_t seed = 1; seed <= 60; seed++) {
    NewFileSystem();
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
  EXPECT_EQ(
      (std::vector<std::string>{"/db/000003.sst", "/db/000004.log", "/db/CURRENT", "/db/IDENTITY",
                                "/db/LOCK", "/db/LOG", "/db/LOG.old", "/db/MANIFEST-000005"}),
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
void CrashTest::CrashAtEveryFileOperation(const std::string& test, bool flushes,
                                          CompactionStyle style) {
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

  const auto start_time = std::chrono::steady_clock::now();
  NewFileSystem();
  // The reference run, recording what each operation is (background work
  // moves a few of them from run to run), to show which crash points the
  // enumeration covers.
  std::mutex mu;
  std::map<std::string, uint64_t> kinds;
  fs_->SetOperationObserver([&, checker = checker_](const FaultInjectionFileSystem::Operation& op) {
    checker->OnOperation(op);
    if (op.phase != FaultInjectionFileSystem::Operation::Phase::kBefore) return;
    std::lock_guard<std::mutex> l(mu);
    kinds[OperationClass(op)]++;
  });
  const uint64_t total = run(fs_.get());
  ASSERT_GT(total, flushes ? 150u : 50u);
  EXPECT_EQ(flushes, compacted);
  std::string coverage;
  for (const auto& [kind, n] : kinds) coverage += " " + kind + "=" + std::to_string(n);
  std::printf("%s: %llu operations:%s\n", test.c_str(), static_cast<unsigned long long>(total),
              coverage.c_str());
  // Every kind of step the issue lists is among the crash points.
  for (const char* kind : {"remove-log", "sync-manifest", "rename-current", "syncdir"}) {
    EXPECT_GT(kinds[kind], 0u) << kind;
  }
  if (flushes) {
    EXPECT_GT(kinds["remove-table"], 0u);
  }
  EXPECT_GT(kinds["remove-manifest"], 0u);

  const CrashPoints points;
  const CrashMode modes[] = {CrashMode::kDropUnsynced, CrashMode::kKeepRandomUnsynced};
  uint64_t crash_points = 0;
  for (uint64_t k = 1; k <= total; k++) {
    for (int m = 0; m < 2; m++) {
      if (!points.Visit(k, m)) continue;
      const uint64_t seeds = modes[m] == CrashMode::kDropUnsynced ? 1 : points.seeds(1);
      for (uint64_t seed = k; seed < k + seeds * 1000; seed += 1000) {
        NewFileSystem();
        checker_context_ = " (SYNAPSED_CRASH_K=" + std::to_string(k) + ", mode " +
                           std::to_string(m) + ", seed " + std::to_string(seed) + ")";
        fs_->ArmCrash(k, modes[m], seed);
        run(fs_.get());
        if (!fs_->crashed_by_arm()) continue;  // the uncounted path was shorter
        crash_points++;
        fs_->DisarmCrash();
        db_.reset();
        // The crash may have hit before the database existed at all.
        if (!fs_->FileExists(std::string(kDb) + "/IDENTITY").ok()) continue;
        const std::string at = "crash at op " + std::to_string(k) + " mode " + std::to_string(m) +
                               " seed " + std::to_string(seed);
        CheckAfterCrash(at, k);
        if (HasFatalFailure()) return;
      }
    }
  }
  Report(test, crash_points,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count());
}

TEST_F(CrashTest, CrashAtEveryFileOperation) {
  CrashAtEveryFileOperation("CrashAtEveryFileOperation", false);
}

TEST_F(CrashTest, CrashAtEveryFileOperationWithFlushesAndCompactions) {
  CrashAtEveryFileOperation("CrashAtEveryFileOperationWithFlushesAndCompactions", true);
}

TEST_F(CrashTest, CrashAtEveryFileOperationWithUniversalCompaction) {
  CrashAtEveryFileOperation("CrashAtEveryFileOperationWithUniversalCompaction", true,
                            CompactionStyle::kUniversal);
}

// A database whose next Open has work to do: three WALs whose memtables
// were never flushed (every table write failed, which also stopped writes),
// the last one torn by a crash that kept part of its unsynced tail. With
// damaged, no write was synced and the oldest log has a flipped byte, so
// recovery also copies damaged and unapplied logs to lost/.
Image CrashTest::BuildRecoveryImage(bool damaged) {
  NewFileSystem();
  history_ = History();
  counter_ = 0;
  options_.write_buffer_size = 1024;
  options_.max_write_buffer_number = 3;
  EXPECT_TRUE(Open().ok());
  fs_->InjectFault({FaultInjectionFileSystem::OpKind::kCreate, ".sst",
                    FaultInjectionFileSystem::Errno::kEIO, 0, -1});
  Random rnd(damaged ? 11 : 10);
  Status s = Workload(&rnd, 400, damaged ? 1000000 : 3);
  EXPECT_FALSE(s.ok());  // the failed flushes stopped writes
  db_.reset();
  fs_->ClearFaults();
  fs_->SimulateCrash(CrashMode::kKeepRandomUnsynced, 5);
  std::vector<std::string> logs;
  for (const auto& path : fs_->ListAllFiles()) {
    if (path.ends_with(".log")) logs.push_back(path);
  }
  EXPECT_GE(logs.size(), 2u);
  if (damaged && !logs.empty()) {
    uint64_t size = 0;
    EXPECT_TRUE(fs_->GetFileSize(logs.front(), &size).ok());
    EXPECT_TRUE(fs_->CorruptByte(logs.front(), size / 2, 0x10).ok());
  }
  return TakeImage();
}

// Crashes at every mutating file operation of an Open that recovers: replays
// the logs (copying damaged ones to lost/), flushes them to a table, creates a
// WAL and a MANIFEST, switches CURRENT and deletes the replayed logs and the
// old MANIFEST. Then reopens and checks the oracle, writes, crashes again.
void CrashTest::CrashAtEveryFileOperationOfRecovery(const std::string& test, bool damaged) {
  const auto start_time = std::chrono::steady_clock::now();
  const Image image = BuildRecoveryImage(damaged);
  ASSERT_FALSE(HasFailure());
  const History built = history_;
  // The reference recovery: how many operations Open performs.
  RestoreImage(image);
  uint64_t start = fs_->mutating_ops();
  ASSERT_TRUE(Open().ok());
  const uint64_t total = fs_->mutating_ops() - start;
  ReopenAndCheck("reference recovery");
  ASSERT_GT(total, 20u);
  if (damaged) {
    ASSERT_TRUE(fs_->FileExists(std::string(kDb) + "/lost").ok());
  }

  const CrashPoints points;
  const CrashMode modes[] = {CrashMode::kDropUnsynced, CrashMode::kKeepRandomUnsynced};
  uint64_t crash_points = 0;
  for (uint64_t k = 1; k <= total; k++) {
    for (int m = 0; m < 2; m++) {
      // Recovery is short: every k, and several torn-append seeds, even
      // under ASan.
      if (points.only_k != 0 && k != points.only_k) continue;
      const uint64_t seeds = modes[m] == CrashMode::kDropUnsynced ? 1 : points.seeds(4);
      for (uint64_t seed = k; seed < k + seeds * 1000; seed += 1000) {
        RestoreImage(image);
        checker_context_ = " (SYNAPSED_CRASH_K=" + std::to_string(k) + ", mode " +
                           std::to_string(m) + ", seed " + std::to_string(seed) + ")";
        history_ = built;
        db_.reset();
        fs_->ArmCrash(k, modes[m], seed);
        Status s = Open();
        db_.reset();
        ASSERT_TRUE(fs_->crashed_by_arm()) << "op " << k << ": " << s.ToString();
        fs_->DisarmCrash();
        crash_points++;
        const std::string at = "crash in recovery at op " + std::to_string(k) + " mode " +
                               std::to_string(m) + " seed " + std::to_string(seed);
        CheckAfterCrash(at, k);
        if (HasFatalFailure()) return;
      }
    }
  }
  Report(test, crash_points,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count());
}

TEST_F(CrashTest, CrashAtEveryFileOperationOfRecovery) {
  CrashAtEveryFileOperationOfRecovery("CrashAtEveryFileOperationOfRecovery", false);
}

TEST_F(CrashTest, CrashAtEveryFileOperationOfRecoveryWithDamagedLog) {
  CrashAtEveryFileOperationOfRecovery("CrashAtEveryFileOperationOfRecoveryWithDamagedLog", true);
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
    NewFileSystem();
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
