// I/O faults (issue 7, protocol 3): EIO and ENOSPC injected by the in-memory
// FaultInjectionFileSystem at every file operation the engine depends on,
// once (count 1) and persistent (count -1), around a workload of random
// batches (puts, deletes, range deletes; one in three synced) tracked by
// the History oracle. docs/testing.md, "I/O faults (protocol 3)", has the
// table of rows and outcomes; each row here asserts exactly its outcome:
//
//   hard   (WAL, flush, MANIFEST): the call that hit the fault (the write,
//          Flush) fails with IOError (NoSpace for ENOSPC) naming the file;
//          every later write, Flush and CompactRange fails the same way, even
//          after the fault clears (a failed fsync is never retried and
//          trusted); synapsed.stats shows the background error; Close
//          reports it.
//   soft   (compaction before its MANIFEST edit: outputs, input reads,
//          directory sync): CompactRange fails naming the file; nothing is
//          lost, writes go on, the stats count the failure, and once the
//          fault clears CompactRange succeeds.
//   open   (CURRENT rename, MANIFEST create, WAL read, directory sync at
//          Open): Open fails naming the file; once the fault clears Open
//          succeeds.
//   read   (Get, MultiGet, forward and backward scans): the read that hit the
//          fault fails naming the table, never returns wrong data (a scan
//          returns a correct prefix, then stops with the status); other
//          reads and writes go on; once the fault clears the same read
//          returns the right value.
//   none   (removing obsolete tables and WALs): best effort; nothing fails;
//          the next Open removes what was left.
//
// In every case reads keep returning exactly the acknowledged state while
// the database is open, and after the fault clears the database reopens
// without repair, both cleanly (every acknowledged write is there) and after
// a crash that drops unsynced data (every synced acknowledged write is
// there; the state is a prefix), with no obsolete file left; then it takes
// writes again, which survive another crash.
#include <gtest/gtest.h>

#include <cstdio>

#include "io/fault_injection_fs.h"
#include "synapsed/db.h"
#include "tests/history.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

using CrashMode = FaultInjectionFileSystem::CrashMode;
using Errno = FaultInjectionFileSystem::Errno;
using Op = FaultInjectionFileSystem::OpKind;
using test::History;
using test::KV;
using test::Update;

constexpr char kDb[] = "/db";
constexpr int kKeys = 40;

std::string KeyName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%02d", i);
  return buf;
}

// What the fault is injected around.
enum class Trigger {
  kWrite,      // an unsynced write
  kSyncWrite,  // a synced write
  kFlush,      // DB::Flush (WAL switch, then the table and its edit)
  kCompact,    // CompactRange over every table, the memtable already flushed
  kOpen,       // Close, then Open
  kGet,        // Get of every key (tables opened afresh by a reopen first)
  kMultiGet,   // one MultiGet of every key
  kScan,       // a forward and a backward scan
};

enum class Outcome { kHard, kSoft, kOpen, kRead, kNone };

struct Row {
  const char* name;
  Op op;
  const char* path;  // the fault's path substring; the error must name it
  Errno error;
  Trigger trigger;
  Outcome outcome;
  int skip = 0;
};

// The table of docs/testing.md, "I/O faults (protocol 3)".
const Row kRows[] = {
    {"wal_append", Op::kAppend, ".log", Errno::kEIO, Trigger::kWrite, Outcome::kHard},
    {"wal_append_nospace", Op::kAppend, ".log", Errno::kENOSPC, Trigger::kSyncWrite,
     Outcome::kHard},
    {"wal_sync", Op::kSync, ".log", Errno::kEIO, Trigger::kSyncWrite, Outcome::kHard},
    {"wal_sync_nospace", Op::kSync, ".log", Errno::kENOSPC, Trigger::kSyncWrite, Outcome::kHard},
    {"wal_switch_sync", Op::kSync, ".log", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"wal_switch_create", Op::kCreate, ".log", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"wal_switch_syncdir", Op::kSyncDir, kDb, Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"flush_table_create", Op::kCreate, ".sst", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"flush_table_append", Op::kAppend, ".sst", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"flush_table_append_nospace", Op::kAppend, ".sst", Errno::kENOSPC, Trigger::kFlush,
     Outcome::kHard},
    {"flush_table_sync", Op::kSync, ".sst", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"flush_table_close", Op::kFlush, ".sst", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"flush_syncdir", Op::kSyncDir, kDb, Errno::kEIO, Trigger::kFlush, Outcome::kHard, 1},
    {"flush_manifest_append", Op::kAppend, "MANIFEST", Errno::kEIO, Trigger::kFlush,
     Outcome::kHard},
    {"flush_manifest_append_nospace", Op::kAppend, "MANIFEST", Errno::kENOSPC, Trigger::kFlush,
     Outcome::kHard},
    {"flush_manifest_sync", Op::kSync, "MANIFEST", Errno::kEIO, Trigger::kFlush, Outcome::kHard},
    {"compaction_table_create", Op::kCreate, ".sst", Errno::kEIO, Trigger::kCompact,
     Outcome::kSoft},
    {"compaction_table_append", Op::kAppend, ".sst", Errno::kEIO, Trigger::kCompact,
     Outcome::kSoft},
    {"compaction_table_append_nospace", Op::kAppend, ".sst", Errno::kENOSPC, Trigger::kCompact,
     Outcome::kSoft},
    {"compaction_table_sync", Op::kSync, ".sst", Errno::kEIO, Trigger::kCompact, Outcome::kSoft},
    {"compaction_table_close", Op::kFlush, ".sst", Errno::kEIO, Trigger::kCompact, Outcome::kSoft},
    {"compaction_syncdir", Op::kSyncDir, kDb, Errno::kEIO, Trigger::kCompact, Outcome::kSoft},
    {"compaction_input_read", Op::kRead, ".sst", Errno::kEIO, Trigger::kCompact, Outcome::kSoft},
    {"compaction_manifest_append", Op::kAppend, "MANIFEST", Errno::kEIO, Trigger::kCompact,
     Outcome::kHard},
    {"compaction_manifest_append_nospace", Op::kAppend, "MANIFEST", Errno::kENOSPC,
     Trigger::kCompact, Outcome::kHard},
    {"compaction_manifest_sync", Op::kSync, "MANIFEST", Errno::kEIO, Trigger::kCompact,
     Outcome::kHard},
    {"compaction_remove_inputs", Op::kRemove, ".sst", Errno::kEIO, Trigger::kCompact,
     Outcome::kNone},
    {"flush_remove_wal", Op::kRemove, ".log", Errno::kEIO, Trigger::kFlush, Outcome::kNone},
    {"open_current_rename", Op::kRename, "CURRENT", Errno::kEIO, Trigger::kOpen, Outcome::kOpen},
    {"open_manifest_create", Op::kCreate, "MANIFEST", Errno::kEIO, Trigger::kOpen, Outcome::kOpen},
    {"open_manifest_append_nospace", Op::kAppend, "MANIFEST", Errno::kENOSPC, Trigger::kOpen,
     Outcome::kOpen},
    {"open_wal_read", Op::kRead, ".log", Errno::kEIO, Trigger::kOpen, Outcome::kOpen},
    {"open_manifest_read", Op::kRead, "MANIFEST", Errno::kEIO, Trigger::kOpen, Outcome::kOpen},
    {"open_syncdir", Op::kSyncDir, kDb, Errno::kEIO, Trigger::kOpen, Outcome::kOpen},
    {"get_table_read", Op::kRead, ".sst", Errno::kEIO, Trigger::kGet, Outcome::kRead},
    {"get_table_open", Op::kOpenRead, ".sst", Errno::kEIO, Trigger::kGet, Outcome::kRead},
    {"multiget_table_read", Op::kRead, ".sst", Errno::kEIO, Trigger::kMultiGet, Outcome::kRead},
    {"scan_table_read", Op::kRead, ".sst", Errno::kEIO, Trigger::kScan, Outcome::kRead},
};

struct Counts {
  int cases = 0;
  int faults_injected = 0;
  int errors_reported = 0;
  int reopens = 0;
};

class IoFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_.create_if_missing = true;
    options_.file_system = fs_;
    // Every table read reaches the file system; compactions run only when asked.
    options_.no_block_cache = true;
    options_.level0_file_num_compaction_trigger = 100;
    options_.level0_slowdown_writes_trigger = 200;
    options_.level0_stop_writes_trigger = 300;
  }

  Status Open() { return DB::Open(options_, kDb, &db_); }

  // Writes n random batches, one in three synced, all acknowledged.
  void Workload(Random* rnd, int n) {
    for (int i = 0; i < n; i++) {
      std::vector<Update> batch = RandomBatch(rnd);
      const bool sync = rnd->OneIn(3);
      Status s = test::WriteUpdates(db_.get(), batch, sync);
      ASSERT_TRUE(s.ok()) << s.ToString();
      history_.Acknowledge(batch, sync);
      History::Apply(batch, &acked_);
    }
  }

  std::vector<Update> RandomBatch(Random* rnd) {
    std::vector<Update> batch;
    const int n = 1 + static_cast<int>(rnd->Uniform(4));
    for (int i = 0; i < n; i++) {
      std::string key = KeyName(static_cast<int>(rnd->Uniform(kKeys)));
      if (rnd->OneIn(12)) {
        std::string end = KeyName(static_cast<int>(rnd->Uniform(kKeys)));
        if (end < key) std::swap(key, end);
        batch.push_back(Update::Range(key, end));
      } else if (rnd->OneIn(5)) {
        batch.push_back({key, std::nullopt});
      } else {
        batch.push_back(
            {key, "v" + std::to_string(value_id_++) + std::string(rnd->Uniform(60), 'x')});
      }
    }
    return batch;
  }

  // The error of a case: IOError, NoSpace exactly for ENOSPC, naming the file.
  void ExpectFaultStatus(const Row& row, const Status& s, const std::string& what) {
    ASSERT_FALSE(s.ok()) << what << ": the injected fault was silent";
    EXPECT_TRUE(s.IsIOError()) << what << ": " << s.ToString();
    EXPECT_EQ(row.error == Errno::kENOSPC, s.IsNoSpace()) << what << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(row.path))
        << what << ": the error does not name the file: " << s.ToString();
    counts_.errors_reported++;
  }

  // Every read of the open database returns exactly `acked_`.
  void ExpectReadsExact(const std::string& what) {
    Status s;
    KV actual = test::ReadAll(db_.get(), &s);
    ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
    EXPECT_EQ(acked_, actual) << what;
    std::vector<std::string> keys;
    for (int i = 0; i < kKeys; i++) keys.push_back(KeyName(i));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::string> values;
    std::vector<Status> statuses = db_->MultiGet(ReadOptions(), views, &values);
    ASSERT_EQ(keys.size(), statuses.size());
    for (size_t i = 0; i < keys.size(); i++) {
      ExpectValue(keys[i], statuses[i], values[i], what + " MultiGet");
      std::string v;
      ExpectValue(keys[i], db_->Get(ReadOptions(), keys[i], &v), v, what + " Get");
    }
  }

  void ExpectValue(const std::string& key, const Status& s, const std::string& value,
                   const std::string& what) {
    auto it = acked_.find(key);
    if (it == acked_.end()) {
      EXPECT_TRUE(s.IsNotFound()) << what << " " << key << ": " << s.ToString();
    } else {
      ASSERT_TRUE(s.ok()) << what << " " << key << ": " << s.ToString();
      EXPECT_EQ(it->second, value) << what << " " << key;
    }
  }

  // Reopens (cleanly, or after a crash that drops unsynced data) and checks
  // the oracle; the survivors become the history. Then no obsolete file is
  // left, and the database takes a synced write that survives a crash.
  void ReopenAndCheck(bool crash, const std::string& what) {
    if (crash) {
      fs_->SimulateCrash(CrashMode::kDropUnsynced, 7);
    } else if (!in_flight_) {
      history_.RequireAll();  // else RunCase required all but the write in flight
    }
    db_.reset();
    fs_->ClearFaults();
    for (int round = 0; round < 2; round++) {
      Status s = Open();
      counts_.reopens++;
      ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
      KV actual = test::ReadAll(db_.get(), &s);
      ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
      const long p = history_.MatchingPrefix(actual);
      ASSERT_GE(p, 0) << what << " round " << round << ": not a prefix of the acknowledged "
                      << "writes (acknowledged " << history_.size() << ", at least "
                      << history_.min_prefix() << " required)";
      history_.Truncate(static_cast<size_t>(p));
      in_flight_ = false;
      acked_ = actual;
      ExpectNothingObsolete(what);
      if (round == 1) break;
      Random rnd(p + 1);
      Workload(&rnd, 5);
      std::vector<Update> last = {{KeyName(0), "after-" + what}};
      ASSERT_TRUE(test::WriteUpdates(db_.get(), last, /*sync=*/true).ok()) << what;
      history_.Acknowledge(last, true);
      fs_->SimulateCrash(CrashMode::kDropUnsynced, 8);
      db_.reset();
    }
    ASSERT_TRUE(db_->Close().ok()) << what;
    db_.reset();
  }

  // One log, one MANIFEST, exactly the live tables.
  void ExpectNothingObsolete(const std::string& what) {
    int logs = 0, manifests = 0, tables = 0;
    for (const auto& path : fs_->ListAllFiles()) {
      if (path.starts_with("/db/lost/")) continue;
      logs += path.ends_with(".log");
      manifests += path.starts_with("/db/MANIFEST-");
      tables += path.ends_with(".sst");
    }
    int live = 0;
    for (int level = 0; level < 7; level++) {
      std::string n;
      ASSERT_TRUE(db_->GetProperty("synapsed.num-files-at-level" + std::to_string(level), &n));
      live += std::stoi(n);
    }
    EXPECT_EQ(1, logs) << what;
    EXPECT_EQ(1, manifests) << what;
    EXPECT_EQ(live, tables) << what;
  }

  std::string Stats() {
    std::string stats;
    EXPECT_TRUE(db_->GetProperty("synapsed.stats", &stats));
    return stats;
  }

  // Runs one row: fresh database, workload, fault, trigger, outcome, reopen.
  void RunCase(const Row& row, bool persistent, bool crash, uint64_t seed);
  void CheckHard(const Row& row, const std::string& what);
  void CheckRead(const Row& row, bool persistent, const std::string& what);

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Options options_;
  std::unique_ptr<DB> db_;
  History history_;
  KV acked_;                // the acknowledged state of the open database
  bool in_flight_ = false;  // the history ends with a failed write
  int value_id_ = 0;
  Counts counts_;
};

void IoFaultTest::RunCase(const Row& row, bool persistent, bool crash, uint64_t seed) {
  const std::string what = std::string(row.name) + (persistent ? " persistent" : " once") +
                           (crash ? " crash" : " clean");
  SCOPED_TRACE(what);
  fs_ = std::make_shared<FaultInjectionFileSystem>();
  options_.file_system = fs_;
  history_ = History();
  acked_.clear();
  in_flight_ = false;
  counts_.cases++;
  Random rnd(seed);
  ASSERT_TRUE(Open().ok());
  // Two level-0 tables, then writes in the memtable (and its WAL).
  Workload(&rnd, 40);
  ASSERT_TRUE(db_->Flush().ok());
  Workload(&rnd, 40);
  ASSERT_TRUE(db_->Flush().ok());
  Workload(&rnd, 40);
  if (row.trigger == Trigger::kCompact) {
    ASSERT_TRUE(db_->Flush().ok());
  }
  if (row.outcome == Outcome::kRead) {
    // Tables are opened afresh, so table opens and reads reach the file system.
    ASSERT_TRUE(db_->Close().ok());
    ASSERT_TRUE(Open().ok());
    counts_.reopens++;
    Workload(&rnd, 10);
  }
  if (row.trigger == Trigger::kOpen) {
    ASSERT_TRUE(db_->Close().ok());
  }

  fs_->InjectFault({row.op, row.path, row.error, row.skip, persistent ? -1 : 1});
  counts_.faults_injected++;
  switch (row.trigger) {
    case Trigger::kWrite:
    case Trigger::kSyncWrite: {
      std::vector<Update> batch = RandomBatch(&rnd);
      Status s = test::WriteUpdates(db_.get(), batch, row.trigger == Trigger::kSyncWrite);
      // A clean reopen keeps every acknowledged write; the failed one may or
      // may not survive.
      if (!crash) history_.RequireAll();
      history_.InFlight(batch);
      in_flight_ = true;
      ExpectFaultStatus(row, s, what + ": the write");
      break;
    }
    case Trigger::kFlush: {
      Status s = db_->Flush();
      if (row.outcome == Outcome::kNone) {
        ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
      } else {
        ExpectFaultStatus(row, s, what + ": Flush");
      }
      break;
    }
    case Trigger::kCompact: {
      Status s = db_->CompactRange(nullptr, nullptr);
      if (row.outcome == Outcome::kNone) {
        ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
      } else {
        ExpectFaultStatus(row, s, what + ": CompactRange");
      }
      break;
    }
    case Trigger::kOpen: {
      db_.reset();
      Status s = Open();
      counts_.reopens++;
      ExpectFaultStatus(row, s, what + ": Open");
      ASSERT_EQ(nullptr, db_) << what;
      if (persistent) {
        // Still failing while the fault lasts.
        ExpectFaultStatus(row, Open(), what + ": Open again");
        counts_.reopens++;
      }
      fs_->ClearFaults();
      ASSERT_TRUE(Open().ok()) << what;
      counts_.reopens++;
      ExpectReadsExact(what + " after the failed Open");
      break;
    }
    case Trigger::kGet:
    case Trigger::kMultiGet:
    case Trigger::kScan:
      CheckRead(row, persistent, what);
      break;
  }
  if (HasFatalFailure()) return;

  switch (row.outcome) {
    case Outcome::kHard:
      CheckHard(row, what);
      break;
    case Outcome::kSoft: {
      // Nothing lost, nothing stopped; the stats count the failure. (While a
      // table read fault lasts, reads of the tables fail too: checked below.)
      if (row.op != Op::kRead || !persistent)
        ExpectReadsExact(what + " after the failed compaction");
      EXPECT_NE(std::string::npos, Stats().find("Background error: none")) << Stats();
      EXPECT_NE(std::string::npos, Stats().find("Compaction errors: 1")) << Stats();
      if (persistent) {
        ExpectFaultStatus(row, db_->CompactRange(nullptr, nullptr), what + ": CompactRange again");
      }
      Workload(&rnd, 10);  // in the memtable: a flush would meet a persistent table fault
      fs_->ClearFaults();
      Status s = db_->CompactRange(nullptr, nullptr);
      ASSERT_TRUE(s.ok()) << what << ": CompactRange after the fault: " << s.ToString();
      ExpectReadsExact(what + " after the compaction");
      Workload(&rnd, 10);
      break;
    }
    case Outcome::kNone: {
      // The removal did fail: the file is still there, for the next Open.
      int files = 0, live = 0;
      for (const auto& path : fs_->ListAllFiles()) files += path.ends_with(row.path);
      for (int level = 0; level < 7 && row.path == std::string(".sst"); level++) {
        std::string n;
        ASSERT_TRUE(db_->GetProperty("synapsed.num-files-at-level" + std::to_string(level), &n));
        live += std::stoi(n);
      }
      if (row.path != std::string(".sst")) live = 1;  // the active WAL
      EXPECT_GT(files, live) << what << ": the removal was never attempted";
      [[fallthrough]];
    }
    case Outcome::kOpen:
    case Outcome::kRead:
      EXPECT_NE(std::string::npos, Stats().find("Background error: none")) << Stats();
      ExpectReadsExact(what);
      Workload(&rnd, 10);
      ExpectReadsExact(what + " after more writes");
      break;
  }
  if (HasFatalFailure()) return;
  if (!crash) {
    Status s = db_->Close();
    if (row.outcome == Outcome::kHard) {
      ExpectFaultStatus(row, s, what + ": Close");
    } else {
      ASSERT_TRUE(s.ok()) << what << ": Close: " << s.ToString();
    }
  }
  ReopenAndCheck(crash, what);
}

// A hard error: writes stop for good, reads go on, the stats say why.
void IoFaultTest::CheckHard(const Row& row, const std::string& what) {
  for (int attempt = 0; attempt < 2; attempt++) {
    // The second round runs with the fault cleared: still no write succeeds.
    if (attempt == 1) fs_->ClearFaults();
    for (bool sync : {false, true}) {
      std::vector<Update> batch = {{KeyName(attempt), "after the error"}};
      ExpectFaultStatus(row, test::WriteUpdates(db_.get(), batch, sync), what + ": a later write");
    }
    ExpectFaultStatus(row, db_->Flush(), what + ": a later Flush");
    ExpectFaultStatus(row, db_->CompactRange(nullptr, nullptr), what + ": a later CompactRange");
  }
  const std::string stats = Stats();
  EXPECT_NE(std::string::npos, stats.find("Background error: IO error")) << stats;
  EXPECT_NE(std::string::npos, stats.find(row.path)) << stats;
  ExpectReadsExact(what + " after the error");
}

// A read fault: the read that hit it fails naming the table, the others
// return exactly the acknowledged state, and the read works once it clears.
void IoFaultTest::CheckRead(const Row& row, bool persistent, const std::string& what) {
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; i++) keys.push_back(KeyName(i));
  int failed = 0;
  switch (row.trigger) {
    case Trigger::kGet:
      for (const auto& key : keys) {
        std::string v;
        Status s = db_->Get(ReadOptions(), key, &v);
        if (s.IsIOError()) {
          ExpectFaultStatus(row, s, what + ": Get " + key);
          failed++;
          if (!persistent) {
            // The fault was a one-off: the same read now succeeds.
            s = db_->Get(ReadOptions(), key, &v);
          }
        }
        if (!s.IsIOError()) ExpectValue(key, s, v, what + " Get");
      }
      break;
    case Trigger::kMultiGet: {
      std::vector<std::string_view> views(keys.begin(), keys.end());
      std::vector<std::string> values;
      std::vector<Status> statuses = db_->MultiGet(ReadOptions(), views, &values);
      ASSERT_EQ(keys.size(), statuses.size());
      for (size_t i = 0; i < keys.size(); i++) {
        if (statuses[i].IsIOError()) {
          ExpectFaultStatus(row, statuses[i], what + ": MultiGet " + keys[i]);
          failed++;
        } else {
          ExpectValue(keys[i], statuses[i], values[i], what + " MultiGet");
        }
      }
      break;
    }
    case Trigger::kScan:
      for (bool forward : {true, false}) {
        auto it = db_->NewIterator(ReadOptions());
        // What the scan returns must be the expected entries in order, up to
        // where it stops.
        auto expect_fwd = acked_.begin();
        auto expect_back = acked_.rbegin();
        forward ? it->SeekToFirst() : it->SeekToLast();
        for (; it->Valid(); forward ? it->Next() : it->Prev()) {
          const auto& [k, v] = forward ? *expect_fwd++ : *expect_back++;
          ASSERT_EQ(k, it->key()) << what << (forward ? " forward" : " backward");
          ASSERT_EQ(v, it->value()) << what << " " << k;
        }
        if (!it->status().ok()) {
          ExpectFaultStatus(row, it->status(), what + (forward ? ": forward" : ": backward"));
          failed++;
        } else {
          EXPECT_TRUE(forward ? expect_fwd == acked_.end() : expect_back == acked_.rend()) << what;
        }
      }
      break;
    default:
      FAIL() << what;
  }
  if (persistent) {
    EXPECT_GE(failed, 1) << what << ": the fault was never reported";
  } else {
    EXPECT_EQ(1, failed) << what;
  }
  // Reads on the memtable and writes are unaffected by a table read fault.
  Random rnd(failed);
  Workload(&rnd, 5);
  fs_->ClearFaults();
  ExpectReadsExact(what + " after the fault cleared");
}

TEST_F(IoFaultTest, Matrix) {
  uint64_t seed = 1;
  for (const Row& row : kRows) {
    for (bool persistent : {false, true}) {
      for (bool crash : {false, true}) {
        RunCase(row, persistent, crash, seed++);
        if (HasFatalFailure()) return;
      }
    }
  }
  EXPECT_EQ(static_cast<int>(std::size(kRows)) * 4, counts_.cases);
  test::ReportProtocol(3, "io_fault_test.Matrix",
                       "cases=" + std::to_string(counts_.cases) +
                           " faults_injected=" + std::to_string(counts_.faults_injected) +
                           " errors_reported=" + std::to_string(counts_.errors_reported) +
                           " reopens=" + std::to_string(counts_.reopens) +
                           " failures=" + std::to_string(HasFailure() ? 1 : 0));
  std::printf("io_fault_test.Matrix: cases=%d faults_injected=%d errors_reported=%d reopens=%d\n",
              counts_.cases, counts_.faults_injected, counts_.errors_reported, counts_.reopens);
}

}  // namespace
}  // namespace synapsed
