// Protocol 5 of issue 7, the corruption matrix (docs/testing.md, "Corruption
// matrix (protocol 5)", holds the table of damage and outcome this asserts).
//
// One small database is built once, through the public API, on the in-memory
// fault-injection file system: three live WALs (two frozen memtables whose
// flush never finished, and the active one, which spans two 32 KiB blocks),
// tables at level 0 and at the bottom level holding overwrites, deletions and
// range tombstones, a MANIFEST of a snapshot and one edit, and the MANIFEST
// of an earlier Open kept aside; every write is in a History (tests/history.h).
//
// Each case copies those files into a fresh file system, damages them (a bit
// flip, a truncation, a zeroed range, a deleted file, two files swapped, a
// stale or foreign file in place of a live one), opens the database and reads
// everything: scans both ways, Get and MultiGet of every key ever written and
// of absent ones. The outcome must be the documented one for that damage:
//   - kOpenCorruption: Open fails with Corruption naming the damaged file;
//   - kReadCorruption: Open succeeds, every read returns the right value or
//     Corruption naming the damaged file (with an offset where the damage is
//     in a block), and a full scan finds the damage;
//   - kState: Open succeeds and every read is OK and sees exactly one state:
//     the whole history, or, for a damaged WAL, the prefix (or, in
//     kSkipAnyCorruptedRecords, the history minus the lost records) that the
//     recovery mode documents (docs/design/recovery.md).
// Never a crash (the ASan build runs this too), never a wrong value, never a
// key that should not be there.
//
// SYNAPSED_CORRUPTION_SAMPLES=N multiplies every sampled count by N (a soak).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/write_batch_internal.h"
#include "io/fault_injection_fs.h"
#include "sstable/format.h"
#include "synapsed/db.h"
#include "tests/history.h"
#include "testutil/forwarding_file_system.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace synapsed {

namespace {

using test::History;
using test::KV;
using test::Update;
using Files = std::map<std::string, std::string>;

constexpr char kDb[] = "/db";
constexpr uint64_t kWalBlock = wal::kBlockSize;
constexpr WalRecoveryMode kModes[] = {
    WalRecoveryMode::kAbsoluteConsistency, WalRecoveryMode::kTolerateCorruptedTailRecords,
    WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords};

uint64_t Samples(uint64_t n) {
  return n * std::max<uint64_t>(test::EnvNumber("SYNAPSED_CORRUPTION_SAMPLES", 1), 1);
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

const char* ModeName(WalRecoveryMode mode) {
  switch (mode) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return "absolute";
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      return "tolerate-tail";
    case WalRecoveryMode::kPointInTimeRecovery:
      return "point-in-time";
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      return "skip";
  }
  return "?";
}

// Holds back the creation of table files while closed, so frozen memtables
// stay unflushed and their WALs live; on release, creations fail instead.
class TableGateFileSystem final : public test::ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* r) override {
    if (path.ends_with(".sst")) {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return !closed_; });
      if (fail_) return Status::IOError(path, "table creation refused by the test");
    }
    return ForwardingFileSystem::NewWritableFile(path, r);
  }
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  void OpenFailing() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = false;
    fail_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  bool fail_ = false;
};

// A live WAL record: its bytes [begin, end) and the batch it holds.
struct LogRecord {
  uint64_t begin;
  uint64_t end;
  size_t batch;  // index in the History
};

struct LiveLog {
  std::string path;
  uint64_t size;
  std::vector<LogRecord> records;
};

// A table's layout: [0, meta_begin) are data blocks; then the filter, range
// deletion, properties, metaindex and index blocks; the footer is the last
// 56 bytes.
struct TableLayout {
  std::string path;
  uint64_t size;
  uint64_t meta_begin;
  bool has_range_deletions;
};

struct Fixture {
  Files files;
  History history;
  std::vector<std::vector<Update>> batches;  // the History's, in order
  std::vector<std::string> keys;             // every key written, and some never written
  std::vector<LiveLog> logs;                 // oldest first
  size_t logged_from = 0;    // the first batch the WALs hold (tables hold the earlier ones)
  size_t session3_from = 0;  // the first batch of the last session
  std::vector<TableLayout> tables;
  std::string manifest;           // the one CURRENT names
  std::string old_manifest_path;  // an earlier Open's MANIFEST,
  std::string old_manifest;       // and its contents (it was deleted since)
  std::string foreign_table;      // a table of another database
};

Options BaseOptions(std::shared_ptr<FileSystem> fs) {
  Options o;
  o.create_if_missing = true;
  o.file_system = std::move(fs);
  o.write_buffer_size = 4096;
  o.max_write_buffer_number = 2;
  o.block_size = 256;
  o.target_file_size_base = 4096;
  o.max_bytes_for_level_base = 16384;
  // Compactions only when asked, so the layout is the same on every run.
  o.level0_file_num_compaction_trigger = 1000;
  o.level0_slowdown_writes_trigger = 2000;
  o.level0_stop_writes_trigger = 3000;
  return o;
}

class Writer {
 public:
  Writer(Fixture* f, DB* db, uint64_t seed) : f_(f), db_(db), rnd_(seed) {}
  // A random batch of one to three updates over 150 keys.
  Status WriteOne() {
    std::vector<Update> batch;
    const int n = 1 + static_cast<int>(rnd_.Uniform(3));
    for (int i = 0; i < n; i++) {
      std::string key = Key(rnd_.Uniform(150));
      const uint64_t kind = rnd_.Uniform(20);
      if (kind == 0) {
        std::string end = Key(rnd_.Uniform(150));
        if (end < key) std::swap(key, end);
        batch.push_back(Update::Range(key, end));
      } else if (kind < 4) {
        batch.push_back({key, std::nullopt});
      } else {
        std::string value = "v" + std::to_string(counter_++) + "-";
        value.resize(16 + rnd_.Uniform(180), static_cast<char>('a' + counter_ % 26));
        batch.push_back({key, value});
      }
    }
    Status s = test::WriteUpdates(db_, batch, rnd_.OneIn(8));
    if (s.ok()) {
      f_->batches.push_back(batch);
      f_->history.Acknowledge(std::move(batch), false);
    }
    return s;
  }
  static std::string Key(uint64_t i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "key%03d", static_cast<int>(i));
    return buf;
  }

 private:
  Fixture* f_;
  DB* db_;
  Random rnd_;
  int counter_ = 0;
};

// The records of a log, matched to History batches by their sequences.
void ReadLogRecords(FaultInjectionFileSystem* fs, const std::vector<SequenceNumber>& first_seq,
                    LiveLog* log) {
  std::unique_ptr<SequentialFile> file;
  ASSERT_TRUE(fs->NewSequentialFile(log->path, &file).ok());
  uint64_t number = std::stoull(BaseName(log->path));
  wal::Reader reader(std::move(file), BaseName(log->path), number, nullptr);
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
    WriteBatch batch;
    ASSERT_TRUE(WriteBatchInternal::SetContents(&batch, record).ok());
    auto it = std::find(first_seq.begin(), first_seq.end(), WriteBatchInternal::Sequence(batch));
    ASSERT_NE(it, first_seq.end());
    log->records.push_back({reader.last_record_offset(), reader.last_record_end(),
                            static_cast<size_t>(it - first_seq.begin())});
  }
  ASSERT_TRUE(reader.status().ok());
  ASSERT_FALSE(log->records.empty());
  ASSERT_EQ(log->size, log->records.back().end);
}

void ReadTableLayout(const std::string& data, TableLayout* t) {
  ASSERT_GT(data.size(), Footer::kEncodedBytes);
  Footer footer;
  ASSERT_TRUE(footer.DecodeFrom(std::string_view(data).substr(data.size() - 56)).ok());
  t->meta_begin = std::min(footer.metaindex.offset, footer.index.offset);
  // The metaindex block (stored raw): name -> handle entries, then restarts.
  std::string_view block(data.data() + footer.metaindex.offset, footer.metaindex.size);
  const uint32_t restarts = DecodeFixed32(block.data() + block.size() - 4);
  std::string_view entries = block.substr(0, block.size() - 4 * (restarts + 1));
  std::string key;
  t->has_range_deletions = false;
  while (!entries.empty()) {
    uint32_t shared, unshared, value_size;
    ASSERT_TRUE(GetVarint32(&entries, &shared) && GetVarint32(&entries, &unshared) &&
                GetVarint32(&entries, &value_size));
    key = key.substr(0, shared) + std::string(entries.substr(0, unshared));
    std::string_view value = entries.substr(unshared, value_size);
    entries.remove_prefix(unshared + value_size);
    BlockHandle h;
    ASSERT_TRUE(h.DecodeFrom(&value));
    t->meta_begin = std::min(t->meta_begin, h.offset);
    if (key == kRangeDeletionBlockName) t->has_range_deletions = true;
  }
}

// Builds the database (see the top of the file).
void Build(Fixture* f) {
  auto fs = std::make_shared<FaultInjectionFileSystem>();
  std::vector<SequenceNumber> first_seq;  // per batch
  auto last_sequence = [](DB* db) {
    std::string v;
    EXPECT_TRUE(db->GetProperty("synapsed.last-sequence", &v));
    return std::stoull(v);
  };
  auto write = [&](DB* db, Writer* w, int n) {
    for (int i = 0; i < n; i++) {
      const SequenceNumber before = last_sequence(db);
      ASSERT_TRUE(w->WriteOne().ok());
      first_seq.push_back(before + 1);
    }
  };
  std::unique_ptr<DB> db;
  // Session 1: small memtables flushed in the background, then everything
  // compacted to the bottom level in tables of ~4 KiB.
  ASSERT_TRUE(DB::Open(BaseOptions(fs), kDb, &db).ok());
  {
    Writer w(f, db.get(), 1);
    write(db.get(), &w, 400);
    ASSERT_TRUE(db->CompactRange(nullptr, nullptr).ok());
    write(db.get(), &w, 10);
  }
  ASSERT_TRUE(db->Close().ok());
  for (const auto& path : fs->ListAllFiles()) {
    if (BaseName(path).starts_with("MANIFEST-")) {
      f->old_manifest_path = path;
      ASSERT_TRUE(fs->ReadFileToString(path, &f->old_manifest).ok());
    }
  }
  // Session 2: level-0 tables, and a compaction of part of the key space
  // that deletes tables the first MANIFEST names.
  ASSERT_TRUE(DB::Open(BaseOptions(fs), kDb, &db).ok());
  {
    Writer w(f, db.get(), 2);
    write(db.get(), &w, 150);
    ASSERT_TRUE(db->Flush().ok());
    const std::string_view begin = "key040", end = "key080";
    ASSERT_TRUE(db->CompactRange(&begin, &end).ok());
    write(db.get(), &w, 60);
    ASSERT_TRUE(db->Flush().ok());
    write(db.get(), &w, 10);
  }
  ASSERT_TRUE(db->Close().ok());
  // Session 3: one flush recorded in the MANIFEST, then table creation held
  // back while two memtables freeze and a third takes more than 32 KiB of
  // WAL; then the flush fails and the database closes with three live WALs.
  f->session3_from = f->history.size();
  auto gate = std::make_shared<TableGateFileSystem>(fs);
  Options options = BaseOptions(gate);
  options.write_buffer_size = 64 << 10;
  options.max_write_buffer_number = 3;
  ASSERT_TRUE(DB::Open(options, kDb, &db).ok());
  {
    Writer w(f, db.get(), 3);
    write(db.get(), &w, 40);
    ASSERT_TRUE(db->Flush().ok());
    f->logged_from = f->history.size();
    gate->Close();
    std::string imm = "0";
    while (imm != "2") {
      write(db.get(), &w, 1);
      ASSERT_TRUE(db->GetProperty("synapsed.num-immutable-mem-table", &imm));
    }
    std::string wals;
    ASSERT_TRUE(db->GetProperty("synapsed.wal-files", &wals));
    for (;;) {
      std::string mem;
      ASSERT_TRUE(db->GetProperty("synapsed.cur-size-active-mem-table", &mem));
      uint64_t log_size = 0;
      std::vector<std::string> all = fs->ListAllFiles();
      std::string newest;
      for (const auto& p : all) {
        if (p.ends_with(".log")) newest = p;
      }
      ASSERT_TRUE(fs->GetFileSize(newest, &log_size).ok());
      if (log_size > kWalBlock + 2048) break;
      ASSERT_LT(std::stoull(mem) + 2048, options.write_buffer_size) << "memtable full first";
      write(db.get(), &w, 1);
    }
  }
  gate->OpenFailing();
  Status s = db->Close();
  EXPECT_TRUE(s.ok() || s.IsIOError()) << s.ToString();  // the held-back flush may fail first
  db.reset();

  for (const auto& path : fs->ListAllFiles()) {
    ASSERT_TRUE(fs->ReadFileToString(path, &f->files[path]).ok());
    const std::string name = BaseName(path);
    if (name.ends_with(".log")) f->logs.push_back({path, f->files[path].size(), {}});
    if (name.starts_with("MANIFEST-")) f->manifest = path;
    if (name.ends_with(".sst")) {
      TableLayout t{path, f->files[path].size(), 0, false};
      ReadTableLayout(f->files[path], &t);
      f->tables.push_back(t);
    }
  }
  ASSERT_EQ(3u, f->logs.size());
  for (auto& log : f->logs) {
    ReadLogRecords(fs.get(), first_seq, &log);
    if (::testing::Test::HasFatalFailure()) return;
  }
  ASSERT_EQ(f->logged_from, f->logs[0].records[0].batch);
  ASSERT_EQ(f->history.size() - 1, f->logs[2].records.back().batch);
  ASSERT_GT(f->logs[2].size, kWalBlock);
  ASSERT_NE(f->old_manifest_path, f->manifest);

  std::set<std::string> keys;
  for (int i = 0; i < 150; i++) keys.insert(Writer::Key(i));
  for (const char* absent : {"", "a", "key", "key0005", "key149\xff", "zzz"}) keys.insert(absent);
  f->keys.assign(keys.begin(), keys.end());

  // A table of another database.
  auto other = std::make_shared<FaultInjectionFileSystem>();
  ASSERT_TRUE(DB::Open(BaseOptions(other), kDb, &db).ok());
  for (int i = 0; i < 100; i++) {
    ASSERT_TRUE(db->Put(WriteOptions(), Writer::Key(i), std::string(50, 'f')).ok());
  }
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->Close().ok());
  for (const auto& path : other->ListAllFiles()) {
    if (path.ends_with(".sst")) {
      ASSERT_TRUE(other->ReadFileToString(path, &f->foreign_table).ok());
    }
  }
  ASSERT_FALSE(f->foreign_table.empty());
}

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fixture = new Fixture();
    Build(fixture);
    return fixture;
  }();
  return *f;
}

// What a case must produce (the kinds at the top of the file).
struct Expect {
  enum class Kind { kOpenCorruption, kReadCorruption, kState };
  Kind kind = Kind::kState;
  KV state;                        // kState: the contents; kReadCorruption: the right values
  std::vector<std::string> names;  // a Corruption must name one of these files
  bool offset = false;             // ... and give an offset,
  std::vector<std::string> offset_exempt;  // unless it says one of these
};

struct Counts {
  uint64_t cases = 0;
  uint64_t opens = 0;
  uint64_t opens_failed = 0;
  uint64_t reads_corruption = 0;
  uint64_t failures = 0;
};
Counts counts;

std::shared_ptr<FaultInjectionFileSystem> Clone(const Files& files) {
  return FaultInjectionFileSystem::WithFiles(kDb, files);
}

// Checks a non-OK status against expect: "" if it is allowed, else why not.
std::string BadStatus(const Status& s, const Expect& expect) {
  if (!s.IsCorruption()) return "not Corruption: " + s.ToString();
  const std::string msg = s.ToString();
  bool named = false;
  for (const auto& name : expect.names) named |= msg.find(name) != std::string::npos;
  if (!named) return "does not name the damaged file: " + msg;
  bool exempt = false;
  for (const auto& e : expect.offset_exempt) exempt |= msg.find(e) != std::string::npos;
  if (expect.offset && !exempt && msg.find("offset") == std::string::npos) {
    return "no offset: " + msg;
  }
  return "";
}

// Reads everything; returns "" if every result is allowed by expect, else
// the first problem. *detected: some read reported Corruption.
std::string CheckReads(DB* db, const Expect& expect, bool* detected) {
  const bool may_fail = expect.kind == Expect::Kind::kReadCorruption;
  const KV& want = expect.state;
  *detected = false;
  auto bad = [&](const Status& s, const std::string& what) -> std::string {
    *detected = true;
    std::string why = may_fail ? BadStatus(s, expect) : "read failed: " + s.ToString();
    return why.empty() ? "" : what + ": " + why;
  };
  // Forward: a prefix of the contents, then the end or an allowed error.
  {
    auto it = db->NewIterator(ReadOptions());
    auto w = want.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++w) {
      if (w == want.end() || it->key() != w->first || it->value() != w->second) {
        return "forward scan: unexpected " + std::string(it->key());
      }
    }
    if (!it->status().ok()) {
      std::string why = bad(it->status(), "forward scan");
      if (!why.empty()) return why;
    } else if (w != want.end()) {
      return "forward scan: missing " + w->first;
    }
  }
  {
    auto it = db->NewIterator(ReadOptions());
    auto w = want.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++w) {
      if (w == want.rend() || it->key() != w->first || it->value() != w->second) {
        return "backward scan: unexpected " + std::string(it->key());
      }
    }
    if (!it->status().ok()) {
      std::string why = bad(it->status(), "backward scan");
      if (!why.empty()) return why;
    } else if (w != want.rend()) {
      return "backward scan: missing " + w->first;
    }
  }
  const std::vector<std::string>& keys = GetFixture().keys;
  auto check_one = [&](const std::string& key, const Status& s,
                       const std::string& value) -> std::string {
    auto w = want.find(key);
    if (s.ok()) {
      if (w == want.end() || w->second != value) return "wrong value for " + key;
    } else if (s.IsNotFound()) {
      if (w != want.end()) return "lost " + key;
    } else {
      return bad(s, key);
    }
    return "";
  };
  for (const auto& key : keys) {
    std::string value;
    Status s = db->Get(ReadOptions(), key, &value);
    std::string why = check_one(key, s, value);
    if (!why.empty()) return "Get: " + why;
  }
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<std::string> values;
  std::vector<Status> statuses = db->MultiGet(ReadOptions(), views, &values);
  if (statuses.size() != keys.size() || values.size() != keys.size()) return "MultiGet: sizes";
  for (size_t i = 0; i < keys.size(); i++) {
    std::string why = check_one(keys[i], statuses[i], values[i]);
    if (!why.empty()) return "MultiGet: " + why;
  }
  return "";
}

// Opens `files` in mode and checks the outcome; records a failure (with
// ctx) if it is not the expected one.
void RunOne(const Files& files, WalRecoveryMode mode, const Expect& expect,
            const std::string& ctx) {
  if (counts.failures >= 20) return;  // enough to debug from
  auto fs = Clone(files);
  Options options = BaseOptions(fs);
  options.create_if_missing = false;
  options.wal_recovery_mode = mode;
  std::unique_ptr<DB> db;
  counts.opens++;
  Status s = DB::Open(options, kDb, &db);
  std::string why;
  const std::string where = ctx + " (" + ModeName(mode) + ")";
  if (!s.ok()) {
    counts.opens_failed++;
    if (expect.kind != Expect::Kind::kOpenCorruption) {
      why = "Open failed: " + s.ToString();
    } else {
      why = BadStatus(s, expect);
    }
  } else if (expect.kind == Expect::Kind::kOpenCorruption) {
    why = "Open succeeded";
  } else {
    bool detected = false;
    why = CheckReads(db.get(), expect, &detected);
    if (detected) counts.reads_corruption++;
    if (why.empty() && expect.kind == Expect::Kind::kReadCorruption && !detected) {
      why = "the damage went unnoticed";
    }
    Status c = db->Close();
    if (why.empty() && !c.ok()) why = "Close: " + c.ToString();
  }
  if (!why.empty()) {
    counts.failures++;
    ADD_FAILURE() << where << ": " << why;
  }
}

// ---- expectations ------------------------------------------------------------

// The whole history.
Expect Intact() {
  Expect e;
  e.state = GetFixture().history.StateAfter(GetFixture().history.size());
  return e;
}

Expect OpenCorruption(std::vector<std::string> names) {
  Expect e;
  e.kind = Expect::Kind::kOpenCorruption;
  e.names = std::move(names);
  return e;
}

// What happened to one live WAL, in the terms of docs/design/recovery.md.
struct LogLoss {
  std::set<size_t> lost;  // records (indices in the log) not recovered
  bool damaged = false;   // the reader reports damage (not a clean cut or a lost file)
  bool tail = false;      // ... and no intact record follows it in that log
};

// The outcome the recovery mode documents when each live WAL lost what
// `loss` says (indexed like Fixture::logs).
Expect WalOutcome(const std::vector<LogLoss>& loss, WalRecoveryMode mode) {
  const Fixture& f = GetFixture();
  const History& h = f.history;
  size_t first_lost = h.size();
  std::set<size_t> lost_batches;
  for (size_t i = 0; i < loss.size(); i++) {
    for (size_t r : loss[i].lost) {
      first_lost = std::min(first_lost, f.logs[i].records[r].batch);
      lost_batches.insert(f.logs[i].records[r].batch);
    }
  }
  if (mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
    Expect e;
    for (size_t b = 0; b < h.size(); b++) {
      if (lost_batches.count(b) == 0) History::Apply(f.batches[b], &e.state);
    }
    return e;
  }
  if (mode != WalRecoveryMode::kPointInTimeRecovery) {
    // Absolute fails on any damage; tolerate-tail on damage that intact
    // records follow in its log. Both fail on a sequence gap: a record found
    // after lost ones (it names the log that holds that record).
    bool lost_before = false;
    for (size_t i = 0; i < loss.size(); i++) {
      const std::string name = BaseName(f.logs[i].path);
      const bool found_any = loss[i].lost.size() < f.logs[i].records.size();
      const bool fails_here =
          (loss[i].damaged && (mode == WalRecoveryMode::kAbsoluteConsistency || !loss[i].tail)) ||
          (lost_before && found_any);
      if (fails_here) {
        Expect e = OpenCorruption({name});
        e.offset = true;
        return e;
      }
      lost_before |= !loss[i].lost.empty();
    }
  }
  Expect e;
  e.state = h.StateAfter(first_lost);
  return e;
}

// What one damaged copy of live WAL `i` loses (its pristine contents
// `before`, damaged `after`): a shorter file is a cut; otherwise the damage
// spans the first to the last changed byte. The reader resynchronizes at the
// 32 KiB block after the damage (docs/format/wal.md), so every record from
// the damaged one to that block's end is lost.
std::optional<LogLoss> LossOf(size_t i, const std::string& before, const std::string& after) {
  const std::vector<LogRecord>& records = GetFixture().logs[i].records;
  LogLoss loss;
  if (after.size() < before.size()) {
    const uint64_t t = after.size();
    for (size_t r = 0; r < records.size(); r++) {
      if (records[r].end > t) loss.lost.insert(r);
      if (records[r].begin < t && t < records[r].end) loss.damaged = true;
    }
    loss.tail = true;
    return loss;
  }
  uint64_t lo = 0;
  while (lo < before.size() && before[lo] == after[lo]) lo++;
  if (lo == before.size()) return std::nullopt;  // nothing changed
  uint64_t hi = before.size();
  while (before[hi - 1] == after[hi - 1]) hi--;
  const uint64_t resync = ((hi - 1) / kWalBlock + 1) * kWalBlock;
  size_t first = records.size();
  for (size_t r = 0; r < records.size(); r++) {
    if (records[r].end > lo && records[r].begin < hi) {
      first = r;
      break;
    }
  }
  if (first == records.size()) return LogLoss();  // block-end padding only: unchecked
  loss.damaged = true;
  loss.tail = true;
  for (size_t r = first; r < records.size(); r++) {
    if (records[r].begin < resync) {
      loss.lost.insert(r);
    } else {
      loss.tail = false;
    }
  }
  return loss;
}

// Runs a case in every recovery mode where the expectation depends on it.
void RunAllModes(const Files& files, const std::function<Expect(WalRecoveryMode)>& expect,
                 const std::string& ctx) {
  counts.cases++;
  for (WalRecoveryMode mode : kModes) RunOne(files, mode, expect(mode), ctx);
}

// Runs a case whose outcome does not depend on the recovery mode, in one
// mode (rotating, so every mode sees every kind of damage).
void RunRotating(const Files& files, const Expect& expect, const std::string& ctx) {
  RunOne(files, kModes[counts.cases++ % 4], expect, ctx);
}

void RunLogCase(size_t i, const Files& files, const std::string& ctx) {
  const Fixture& f = GetFixture();
  const std::string& path = f.logs[i].path;
  std::optional<LogLoss> one = LossOf(i, f.files.at(path), files.at(path));
  if (!one) return;
  std::vector<LogLoss> loss(f.logs.size());
  loss[i] = *one;
  RunAllModes(
      files, [&](WalRecoveryMode m) { return WalOutcome(loss, m); }, ctx);
}

// The damage kinds, applied to a copy of the pristine files.
Files Flipped(const Files& base, const std::string& path, uint64_t bit) {
  Files files = base;
  files[path][bit / 8] ^= static_cast<char>(1 << (bit % 8));
  return files;
}
Files Truncated(const Files& base, const std::string& path, uint64_t size) {
  Files files = base;
  files[path].resize(size);
  return files;
}
Files Zeroed(const Files& base, const std::string& path, uint64_t offset, uint64_t bytes) {
  Files files = base;
  std::string& data = files[path];
  std::fill(data.begin() + offset, data.begin() + std::min(offset + bytes, data.size()), '\0');
  return files;
}
Files Without(const Files& base, const std::string& path) {
  Files files = base;
  files.erase(path);
  return files;
}
Files Swapped(const Files& base, const std::string& a, const std::string& b) {
  Files files = base;
  std::swap(files[a], files[b]);
  return files;
}

// The zeroed ranges of a file of `size` bytes: 1 byte, 512 bytes and a
// 4 KiB page (aligned, so never across a 32 KiB block), and the rest of the
// file from a point; `n` of each, from rnd.
std::vector<std::pair<uint64_t, uint64_t>> ZeroRanges(Random* rnd, uint64_t size, uint64_t n) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (uint64_t i = 0; i < n; i++) {
    ranges.push_back({rnd->Uniform(size), 1});
    ranges.push_back({rnd->Uniform(size) / 512 * 512, 512});
    ranges.push_back({rnd->Uniform(size) / 4096 * 4096, 4096});
    const uint64_t from = rnd->Uniform(size);
    ranges.push_back({from, size - from});
  }
  return ranges;
}

std::string Ctx(const std::string& what, const std::string& path, uint64_t at) {
  return what + " " + BaseName(path) + " @" + std::to_string(at);
}

void Report(const std::string& test, const Counts& before) {
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "cases=%llu opens=%llu opens_failed=%llu reads_corruption=%llu failures=%llu",
                static_cast<unsigned long long>(counts.cases - before.cases),
                static_cast<unsigned long long>(counts.opens - before.opens),
                static_cast<unsigned long long>(counts.opens_failed - before.opens_failed),
                static_cast<unsigned long long>(counts.reads_corruption - before.reads_corruption),
                static_cast<unsigned long long>(counts.failures - before.failures));
  test::ReportProtocol(5, "corruption_test." + test, buf);
  std::printf("protocol 5 %s: %s\n", test.c_str(), buf);
}

// True if the reader finds no damage in `data` read as log (or MANIFEST)
// `number`: a cut at a record boundary.
bool ReadsClean(const std::string& data, uint64_t number) {
  class Counter final : public wal::Reader::Reporter {
   public:
    void Damage(uint64_t, uint64_t, wal::DamageKind) override { damaged = true; }
    bool damaged = false;
  } counter;
  FaultInjectionFileSystem fs;
  EXPECT_TRUE(fs.WriteFileFromString("/f", data, false).ok());
  std::unique_ptr<SequentialFile> file;
  EXPECT_TRUE(fs.NewSequentialFile("/f", &file).ok());
  wal::Reader reader(std::move(file), "f", number, &counter);
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
  }
  return !counter.damaged;
}

// The files without the WALs: the database as its MANIFEST records it, which
// opens without a replay (fast, for the table sweeps).
Files TablesOnly() {
  Files files = GetFixture().files;
  for (const auto& log : GetFixture().logs) files.erase(log.path);
  return files;
}
Expect TablesOnlyIntact() {
  Expect e;
  e.state = GetFixture().history.StateAfter(GetFixture().logged_from);
  return e;
}

// Damage to table `t` that keeps its size: reads of what it holds fail (with
// the file and the offset of the block), the rest read right.
Expect TableReadCorruption(Expect intact, const std::vector<std::string>& paths) {
  intact.kind = Expect::Kind::kReadCorruption;
  for (const auto& p : paths) intact.names.push_back(BaseName(p));
  return intact;
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(GetFixture());
    ASSERT_FALSE(GetFixture().logs.empty()) << "the fixture did not build";
    before_ = counts;
  }
  void TearDown() override {
    Report(::testing::UnitTest::GetInstance()->current_test_info()->name(), before_);
  }
  Counts before_;
};

}  // namespace

TEST_F(CorruptionTest, PristineFilesOpenWholeInEveryMode) {
  const Fixture& f = GetFixture();
  for (WalRecoveryMode mode : kModes) RunOne(f.files, mode, Intact(), "pristine");
  for (WalRecoveryMode mode : kModes) RunOne(TablesOnly(), mode, TablesOnlyIntact(), "no WALs");
  counts.cases += 2;
}

// CURRENT, IDENTITY, LOCK and LOG: every bit, every cut, zeroed, deleted.
TEST_F(CorruptionTest, SmallFiles) {
  const Fixture& f = GetFixture();
  for (const auto& [path, data] : f.files) {
    const std::string name = BaseName(path);
    Expect expect;
    if (name == "CURRENT") {
      expect = OpenCorruption({"CURRENT"});
    } else if (name == "LOG" || name == "LOCK") {
      expect = Intact();  // neither is read by Open
    } else if (name == "IDENTITY") {
      // Another database's id: every table is refused when first read.
      expect = Intact();
      expect.kind = Expect::Kind::kReadCorruption;
      for (const auto& t : f.tables) expect.names.push_back(BaseName(t.path));
    } else {
      continue;
    }
    const bool identity = name == "IDENTITY";
    for (uint64_t bit = 0; bit < data.size() * 8 && name != "LOG"; bit++) {
      RunRotating(Flipped(f.files, path, bit), expect, Ctx("flip bit", path, bit));
    }
    for (uint64_t size = 0; size < data.size() && name != "LOG"; size++) {
      Expect cut = expect;
      if (identity && size == 0) cut = OpenCorruption({"IDENTITY"});  // "is empty"
      if (identity && size == data.size() - 1) cut = Intact();        // only the newline
      RunRotating(Truncated(f.files, path, size), cut, Ctx("cut at", path, size));
    }
    RunRotating(Zeroed(f.files, path, 0, data.size()), expect, Ctx("zeroed", path, 0));
    Expect deleted = expect;
    // A directory holding tables and logs but no IDENTITY: Corruption naming
    // the directory, with or without create_if_missing.
    if (identity) deleted = OpenCorruption({"IDENTITY"});
    RunRotating(Without(f.files, path), deleted, Ctx("deleted", path, 0));
  }
}

// The MANIFEST: every bit, every cut, zeroed ranges, an older MANIFEST's
// bytes in its place, CURRENT naming an older MANIFEST, deleted.
TEST_F(CorruptionTest, Manifest) {
  const Fixture& f = GetFixture();
  const std::string& path = f.manifest;
  const std::string& data = f.files.at(path);
  const uint64_t number = std::stoull(BaseName(path).substr(9));
  Expect corrupt = OpenCorruption({BaseName(path)});
  corrupt.offset = true;
  // Without an offset: an empty file, and CURRENT naming a missing one.
  corrupt.offset_exempt = {"empty MANIFEST", "which is missing"};
  for (uint64_t bit = 0; bit < data.size() * 8; bit++) {
    RunRotating(Flipped(f.files, path, bit), corrupt, Ctx("flip bit", path, bit));
  }
  for (uint64_t size = 0; size < data.size(); size++) {
    Files files = Truncated(f.files, path, size);
    if (size == 0 || !ReadsClean(files[path], number)) {
      RunRotating(files, corrupt, Ctx("cut at", path, size));
      continue;
    }
    // Cut after the snapshot: the MANIFEST as this Open started it, before
    // the flush whose WAL is gone. The WALs then start with a sequence gap.
    RunAllModes(
        files,
        [&](WalRecoveryMode mode) {
          Expect e;
          if (mode == WalRecoveryMode::kPointInTimeRecovery) {
            e.state = f.history.StateAfter(f.session3_from);
          } else if (mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
            for (size_t b = 0; b < f.batches.size(); b++) {
              if (b < f.session3_from || b >= f.logged_from) History::Apply(f.batches[b], &e.state);
            }
          } else {
            e = OpenCorruption({BaseName(f.logs[0].path)});
            e.offset = true;
          }
          return e;
        },
        Ctx("cut at", path, size));
  }
  Random rnd(5);
  for (const auto& [offset, bytes] : ZeroRanges(&rnd, data.size(), Samples(4))) {
    Files files = Zeroed(f.files, path, offset, bytes);
    if (files == f.files) continue;
    RunRotating(files, corrupt, Ctx("zeroed " + std::to_string(bytes), path, offset));
  }
  Files files = f.files;
  files[path] = f.old_manifest;
  RunRotating(files, corrupt, "an older MANIFEST's bytes in " + BaseName(path));
  files = f.files;
  files[f.old_manifest_path] = f.old_manifest;
  files[std::string(kDb) + "/CURRENT"] = BaseName(f.old_manifest_path) + "\n";
  RunRotating(files, OpenCorruption({BaseName(f.old_manifest_path)}),
              "CURRENT names the older " + BaseName(f.old_manifest_path));
  RunRotating(Without(f.files, path), corrupt, "deleted " + BaseName(path));
}

// Tables: every bit of every footer, every bit of the metadata blocks of a
// level-0 table and a bottom-level one with range tombstones, sampled bits
// elsewhere, cuts, zeroed ranges, a deleted table, two tables swapped, a
// table of another database. On the files without WALs (see TablesOnly),
// then a sample on the whole database.
TEST_F(CorruptionTest, Tables) {
  const Fixture& f = GetFixture();
  const Files base = TablesOnly();
  const Expect intact = TablesOnlyIntact();
  Random rnd(7);
  // Every metadata bit of the table with range tombstones whose metadata is
  // smallest (the sweep's cost), sampled bits of the others'.
  size_t swept = f.tables.size();
  for (size_t ti = 0; ti < f.tables.size(); ti++) {
    const TableLayout& t = f.tables[ti];
    if (t.has_range_deletions &&
        (swept == f.tables.size() ||
         t.size - t.meta_begin < f.tables[swept].size - f.tables[swept].meta_begin)) {
      swept = ti;
    }
  }
  ASSERT_LT(swept, f.tables.size());
  for (size_t ti = 0; ti < f.tables.size(); ti++) {
    const TableLayout& t = f.tables[ti];
    const Expect reads = TableReadCorruption(intact, {t.path});
    const bool every_meta_bit = ti == swept;
    for (uint64_t bit = (t.size - Footer::kEncodedBytes) * 8; bit < t.size * 8; bit++) {
      RunRotating(Flipped(base, t.path, bit), reads, Ctx("flip bit", t.path, bit));
    }
    const uint64_t meta_bits = (t.size - Footer::kEncodedBytes - t.meta_begin) * 8;
    for (uint64_t i = 0; i < (every_meta_bit ? meta_bits : Samples(64)); i++) {
      const uint64_t bit = t.meta_begin * 8 + (every_meta_bit ? i : rnd.Uniform(meta_bits));
      RunRotating(Flipped(base, t.path, bit), reads, Ctx("flip bit", t.path, bit));
    }
    for (uint64_t i = 0; i < Samples(48); i++) {
      const uint64_t bit = rnd.Uniform(t.meta_begin * 8);
      RunRotating(Flipped(base, t.path, bit), reads, Ctx("flip bit", t.path, bit));
    }
    // A cut table no longer has the size the MANIFEST records.
    const Expect open_fails = OpenCorruption({BaseName(t.path)});
    std::vector<uint64_t> cuts = {0, t.size - 1, t.size - Footer::kEncodedBytes, t.meta_begin};
    for (uint64_t i = 0; i < Samples(8); i++) cuts.push_back(rnd.Uniform(t.size));
    for (uint64_t size : cuts) {
      RunRotating(Truncated(base, t.path, size), open_fails, Ctx("cut at", t.path, size));
    }
    for (const auto& [offset, bytes] : ZeroRanges(&rnd, t.size, Samples(2))) {
      Files files = Zeroed(base, t.path, offset, bytes);
      if (files == base) continue;
      RunRotating(files, reads, Ctx("zeroed " + std::to_string(bytes), t.path, offset));
    }
    RunRotating(Without(base, t.path), open_fails, "deleted " + BaseName(t.path));
    const TableLayout& u = f.tables[(ti + 1) % f.tables.size()];
    RunRotating(Swapped(base, t.path, u.path),
                t.size == u.size ? TableReadCorruption(intact, {t.path, u.path})
                                 : OpenCorruption({BaseName(t.path), BaseName(u.path)}),
                "swapped " + BaseName(t.path) + " and " + BaseName(u.path));
    Files files = base;
    files[t.path] = f.foreign_table;
    RunRotating(files, f.foreign_table.size() == t.size ? reads : open_fails,
                "another database's table as " + BaseName(t.path));
  }
  // With the WALs: the same damage while the replay is flushed beside it.
  for (uint64_t i = 0; i < Samples(60); i++) {
    const TableLayout& t = f.tables[rnd.Uniform(f.tables.size())];
    const uint64_t bit = rnd.Uniform(t.size * 8);
    RunRotating(Flipped(f.files, t.path, bit), TableReadCorruption(Intact(), {t.path}),
                Ctx("with WALs: flip bit", t.path, bit));
  }
}

// WALs, in every recovery mode: sampled bits and cuts, cuts at record
// boundaries, zeroed ranges, a deleted log, two logs swapped.
TEST_F(CorruptionTest, Logs) {
  const Fixture& f = GetFixture();
  Random rnd(11);
  for (size_t i = 0; i < f.logs.size(); i++) {
    const LiveLog& log = f.logs[i];
    for (uint64_t n = 0; n < Samples(100); n++) {
      const uint64_t bit = rnd.Uniform(log.size * 8);
      RunLogCase(i, Flipped(f.files, log.path, bit), Ctx("flip bit", log.path, bit));
    }
    std::vector<uint64_t> cuts = {0, log.size - 1};
    for (uint64_t n = 0; n < Samples(30); n++) cuts.push_back(rnd.Uniform(log.size));
    for (uint64_t n = 0; n < Samples(5); n++) {
      cuts.push_back(log.records[rnd.Uniform(log.records.size())].begin);
    }
    for (uint64_t size : cuts) {
      RunLogCase(i, Truncated(f.files, log.path, size), Ctx("cut at", log.path, size));
    }
    for (const auto& [offset, bytes] : ZeroRanges(&rnd, log.size, Samples(3))) {
      RunLogCase(i, Zeroed(f.files, log.path, offset, bytes),
                 Ctx("zeroed " + std::to_string(bytes), log.path, offset));
    }
    std::vector<LogLoss> loss(f.logs.size());
    for (size_t r = 0; r < log.records.size(); r++) loss[i].lost.insert(r);
    RunAllModes(
        Without(f.files, log.path), [&](WalRecoveryMode m) { return WalOutcome(loss, m); },
        "deleted " + BaseName(log.path));
    if (i + 1 < f.logs.size()) {
      // Each log's checksums are seeded with its number: nothing of either verifies.
      const LiveLog& next = f.logs[i + 1];
      for (size_t r = 0; r < next.records.size(); r++) loss[i + 1].lost.insert(r);
      loss[i].damaged = loss[i].tail = loss[i + 1].damaged = loss[i + 1].tail = true;
      RunAllModes(
          Swapped(f.files, log.path, next.path),
          [&](WalRecoveryMode m) { return WalOutcome(loss, m); },
          "swapped " + BaseName(log.path) + " and " + BaseName(next.path));
    }
  }
}

}  // namespace synapsed
