// DB::DeleteRange end to end, through the public API: Get, MultiGet and
// iterators (both directions, seeks, bounds) honour range tombstones with
// snapshots taken before and after, across memtable switches and flushes,
// in deeper levels, after reopening from the WAL and from tables, and after
// a crash; overlapping ranges and writes after a range; many tombstones.
//
// Most runs keep compaction from merging tables (level-0 triggers out of
// reach; tables reach deeper levels only by trivial moves), so they test the
// read path alone; the Compaction* tests then merge, under both styles.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "io/fault_injection_fs.h"
#include "synapsed/db.h"
#include "testutil/iterator_walk.h"
#include "util/random.h"

namespace synapsed {

namespace {

constexpr char kDb[] = "/db";

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%04d", i);
  return buf;
}

class RangeDelTest : public ::testing::Test {
 protected:
  RangeDelTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    options_.create_if_missing = true;
    options_.file_system = fs_;
    options_.level0_file_num_compaction_trigger = 1000;
    options_.level0_slowdown_writes_trigger = 1000;
    options_.level0_stop_writes_trigger = 1000;
  }

  void Open() { ASSERT_TRUE(DB::Open(options_, kDb, &db_).ok()); }
  void Reopen() {
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
    Open();
  }
  void Put(const std::string& k, const std::string& v) {
    ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
  }
  void DeleteRange(const std::string& b, const std::string& e) {
    ASSERT_TRUE(db_->DeleteRange(WriteOptions(), b, e).ok());
  }
  std::string Get(const std::string& k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db_->Get(ro, k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return s.ToString();
    return v;
  }
  // "k=v;" for every live key, forward; the backward scan must agree.
  std::string Contents(const Snapshot* snap = nullptr, std::optional<std::string> lower = {},
                       std::optional<std::string> upper = {}) {
    ReadOptions ro;
    ro.snapshot = snap;
    ro.iterate_lower_bound = lower;
    ro.iterate_upper_bound = upper;
    auto it = db_->NewIterator(ro);
    std::string forward, backward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward += std::string(it->key()) + "=" + std::string(it->value()) + ";";
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    std::vector<std::string> back;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      back.push_back(std::string(it->key()) + "=" + std::string(it->value()) + ";");
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    for (auto b = back.rbegin(); b != back.rend(); ++b) backward += *b;
    EXPECT_EQ(forward, backward);
    return forward;
  }
  uint64_t Property(const std::string& name) {
    std::string v;
    EXPECT_TRUE(db_->GetProperty(name, &v)) << name;
    return std::stoull(v);
  }
  uint64_t TableFiles() {
    uint64_t n = 0;
    for (int level = 0; level < 7; level++) {
      n += Property("synapsed.num-files-at-level" + std::to_string(level));
    }
    return n;
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace

TEST_F(RangeDelTest, HidesExactlyTheKeysInTheRange) {
  Open();
  for (char c = 'a'; c <= 'h'; c++) Put(std::string(1, c), std::string("v") + c);
  DeleteRange("c", "f");
  EXPECT_EQ("vb", Get("b"));
  EXPECT_EQ("NOT_FOUND", Get("c"));
  EXPECT_EQ("NOT_FOUND", Get("e"));
  EXPECT_EQ("vf", Get("f"));  // the end is exclusive
  EXPECT_EQ("a=va;b=vb;f=vf;g=vg;h=vh;", Contents());
  std::vector<std::string> values;
  const std::vector<std::string_view> keys = {"b", "c", "d", "f", "zz"};
  auto statuses = db_->MultiGet(ReadOptions(), keys, &values);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_TRUE(statuses[1].IsNotFound());
  EXPECT_TRUE(statuses[2].IsNotFound());
  EXPECT_TRUE(statuses[3].ok());
  EXPECT_EQ("vf", values[3]);
  EXPECT_TRUE(statuses[4].IsNotFound());
  // Seeks land past the range; SeekForPrev before it; bounds inside it.
  auto it = db_->NewIterator(ReadOptions());
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("f", it->key());
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("b", it->key());
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("f", it->key());
  it->SeekForPrev("e");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("b", it->key());
  EXPECT_EQ("f=vf;g=vg;", Contents(nullptr, "d", "h"));
  EXPECT_EQ("", Contents(nullptr, "c", "f"));
  EXPECT_EQ(1u, Property("synapsed.num-range-deletes-active-mem-table"));
}

TEST_F(RangeDelTest, InvertedRangeIsRefusedAndAnEmptyOneWritesNothing) {
  Open();
  Put("k", "v");
  const uint64_t seq = Property("synapsed.last-sequence");
  EXPECT_TRUE(db_->DeleteRange(WriteOptions(), "z", "a").IsInvalidArgument());
  EXPECT_TRUE(db_->DeleteRange(WriteOptions(), "k", "k").ok());
  EXPECT_EQ(seq, Property("synapsed.last-sequence"));
  EXPECT_EQ("v", Get("k"));
  // The empty key starts the key space: ["", x) covers it.
  Put("", "empty");
  DeleteRange("", "a");
  EXPECT_EQ("NOT_FOUND", Get(""));
  EXPECT_EQ("v", Get("k"));
}

TEST_F(RangeDelTest, SnapshotsBeforeAndAfterAndWritesAfterTheRange) {
  Open();
  for (int i = 0; i < 20; i++) Put(Key(i), "old" + std::to_string(i));
  const Snapshot* before = db_->GetSnapshot();
  DeleteRange(Key(5), Key(15));
  const Snapshot* after = db_->GetSnapshot();
  Put(Key(7), "new7");  // newer than the tombstone: visible again
  WriteBatch batch;     // a batch: range then point, in order
  ASSERT_TRUE(batch.DeleteRange(Key(0), Key(3)).ok());
  batch.Put(Key(1), "new1");
  ASSERT_TRUE(db_->Write(WriteOptions(), &batch).ok());
  for (int pass = 0; pass < 2; pass++) {  // in the memtable, then in a table
    SCOPED_TRACE(pass);
    EXPECT_EQ("old5", Get(Key(5), before));
    EXPECT_EQ("NOT_FOUND", Get(Key(5), after));
    EXPECT_EQ("NOT_FOUND", Get(Key(7), after));
    EXPECT_EQ("new7", Get(Key(7)));
    EXPECT_EQ("NOT_FOUND", Get(Key(14)));
    EXPECT_EQ("old15", Get(Key(15)));
    EXPECT_EQ("NOT_FOUND", Get(Key(0)));
    EXPECT_EQ("new1", Get(Key(1)));
    EXPECT_EQ("old0", Get(Key(0), after));
    std::string all_before, all_after, now;
    for (int i = 0; i < 20; i++) {
      all_before += Key(i) + "=old" + std::to_string(i) + ";";
      if (i < 5 || i >= 15) all_after += Key(i) + "=old" + std::to_string(i) + ";";
      if (i == 1) now += Key(i) + "=new1;";
      if (i == 7) now += Key(i) + "=new7;";
      if ((i >= 3 && i < 5) || i >= 15) now += Key(i) + "=old" + std::to_string(i) + ";";
    }
    EXPECT_EQ(all_before, Contents(before));
    EXPECT_EQ(all_after, Contents(after));
    EXPECT_EQ(now, Contents());
    ASSERT_TRUE(db_->Flush().ok());
  }
  db_->ReleaseSnapshot(before);
  db_->ReleaseSnapshot(after);
}

TEST_F(RangeDelTest, TombstonesInEverySourceAtOnce) {
  options_.write_buffer_size = 1 << 20;
  options_.max_write_buffer_number = 4;
  Open();
  // Oldest data, moved to the last level by trivial moves.
  for (int i = 0; i < 100; i++) Put(Key(i), "l6-" + std::to_string(i));
  DeleteRange(Key(90), Key(95));
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ASSERT_EQ(1u, Property("synapsed.num-files-at-level6"));
  // A level-0 table over it, then a memtable.
  DeleteRange(Key(10), Key(20));
  Put(Key(15), "l0-15");
  ASSERT_TRUE(db_->Flush().ok());
  DeleteRange(Key(30), Key(40));
  ASSERT_TRUE(db_->Flush().ok());  // a table of a tombstone alone
  ASSERT_EQ(2u, Property("synapsed.num-files-at-level0"));
  DeleteRange(Key(50), Key(60));
  Put(Key(55), "mem-55");
  DeleteRange(Key(12), Key(16));  // over the level-0 write of 15
  std::map<std::string, std::string> expect;
  for (int i = 0; i < 100; i++) {
    if ((i >= 90 && i < 95) || (i >= 10 && i < 20) || (i >= 30 && i < 40) || (i >= 50 && i < 60)) {
      continue;
    }
    expect[Key(i)] = "l6-" + std::to_string(i);
  }
  expect[Key(55)] = "mem-55";
  for (int i = 0; i < 110; i++) {
    auto e = expect.find(Key(i));
    EXPECT_EQ(e == expect.end() ? "NOT_FOUND" : e->second, Get(Key(i))) << i;
  }
  std::string want;
  for (const auto& [k, v] : expect) want += k + "=" + v + ";";
  EXPECT_EQ(want, Contents());
  Random rnd(3);
  auto it = db_->NewIterator(ReadOptions());
  test::CheckIteratorWalk(
      it.get(), expect, &rnd, [&] { return Key(rnd.Uniform(110)); }, 300, "every source");
  // The same from tables alone, after a reopen (which flushes the memtable).
  Reopen();
  EXPECT_EQ(want, Contents());
  for (int i = 0; i < 110; i++) {
    auto e = expect.find(Key(i));
    EXPECT_EQ(e == expect.end() ? "NOT_FOUND" : e->second, Get(Key(i))) << i;
  }
}

TEST_F(RangeDelTest, SurvivesReopenFromTheWalAndACrash) {
  Open();
  for (int i = 0; i < 10; i++) Put(Key(i), "v");
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->DeleteRange(sync, Key(2), Key(8)).ok());
  ASSERT_TRUE(db_->DeleteRange(WriteOptions(), Key(0), Key(9)).ok());  // never synced
  // Machine crash: only synced data survives; the first tombstone was synced.
  fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, 1);
  db_.reset();  // its handles are dead: nothing more reaches the files
  Open();
  EXPECT_EQ(Key(0) + "=v;" + Key(1) + "=v;" + Key(8) + "=v;" + Key(9) + "=v;", Contents());
  // Replayed and flushed by Open: the tombstone now lives in a table.
  EXPECT_EQ(0u, Property("synapsed.num-range-deletes-active-mem-table"));
  EXPECT_GE(TableFiles(), 1u);
  Reopen();
  EXPECT_EQ("NOT_FOUND", Get(Key(5)));
  EXPECT_EQ("v", Get(Key(8)));
}

TEST_F(RangeDelTest, AMemtableOfTombstonesAloneIsFlushed) {
  Open();
  Put("a", "1");
  ASSERT_TRUE(db_->Flush().ok());
  DeleteRange("a", "b");
  EXPECT_EQ(1u, Property("synapsed.num-entries-active-mem-table"));
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(2u, Property("synapsed.num-files-at-level0"));
  EXPECT_EQ("NOT_FOUND", Get("a"));
  EXPECT_EQ("", Contents());
}

TEST_F(RangeDelTest, OverlappingRangesAgainstAModel) {
  options_.write_buffer_size = 16 << 10;  // memtable switches and flushes
  Open();
  Random rnd(11);
  std::map<std::string, std::string> model;
  std::vector<std::pair<const Snapshot*, std::map<std::string, std::string>>> snaps;
  for (int step = 0; step < 3000; step++) {
    const int op = static_cast<int>(rnd.Uniform(10));
    if (op < 6) {
      const std::string k = Key(rnd.Uniform(300));
      const std::string v = "v" + std::to_string(step);
      Put(k, v);
      model[k] = v;
    } else if (op < 8) {
      int a = static_cast<int>(rnd.Uniform(300)), b = a + static_cast<int>(rnd.Skewed(7));
      DeleteRange(Key(a), Key(b));
      model.erase(model.lower_bound(Key(a)), model.lower_bound(Key(b)));
    } else if (op < 9) {
      if (snaps.size() < 4) snaps.emplace_back(db_->GetSnapshot(), model);
    } else if (rnd.OneIn(20)) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }
  std::string want;
  for (const auto& [k, v] : model) want += k + "=" + v + ";";
  EXPECT_EQ(want, Contents());
  for (int i = 0; i < 310; i++) {
    auto e = model.find(Key(i));
    ASSERT_EQ(e == model.end() ? "NOT_FOUND" : e->second, Get(Key(i))) << i;
  }
  for (const auto& [snap, kv] : snaps) {
    std::string s;
    for (const auto& [k, v] : kv) s += k + "=" + v + ";";
    EXPECT_EQ(s, Contents(snap));
    ReadOptions ro;
    ro.snapshot = snap;
    auto it = db_->NewIterator(ro);
    test::CheckIteratorWalk(
        it.get(), kv, &rnd, [&] { return Key(rnd.Uniform(310)); }, 200, "snapshot");
    db_->ReleaseSnapshot(snap);
  }
}

// Thousands of tombstones (disjoint and nested) over thousands of keys: the
// answers stay right; the cost per key is a binary search or a cursor step,
// never a walk over the tombstones (a regression here would time out).
TEST_F(RangeDelTest, ManyTombstones) {
  Open();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 8000; i++) {
    Put(Key(i % 9999), "v" + std::to_string(i));
    model[Key(i % 9999)] = "v" + std::to_string(i);
    if (i % 2 == 1) {
      DeleteRange(Key(i - 1), Key(i));  // every other key
      model.erase(Key(i - 1));
    }
    if (i == 4000) {
      ASSERT_TRUE(db_->Flush().ok());
    }
  }
  for (int i = 0; i < 50; i++) {  // nested ranges over the last keys
    DeleteRange(Key(7000 + i), Key(8000 - i));
  }
  model.erase(model.lower_bound(Key(7000)), model.lower_bound(Key(8000)));
  std::string want;
  for (const auto& [k, v] : model) want += k + "=" + v + ";";
  EXPECT_EQ(want, Contents());
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(want, Contents());
  for (int i = 0; i < 8000; i += 7) {
    auto e = model.find(Key(i));
    ASSERT_EQ(e == model.end() ? "NOT_FOUND" : e->second, Get(Key(i))) << i;
  }
}

// Compaction carries tombstones down: a snapshot taken before a range
// deletion keeps seeing the keys through compactions; once it is released, a
// compaction that reaches those tables drops the keys and the tombstones (no
// table is left when everything was deleted).
TEST_F(RangeDelTest, CompactionKeepsWhatSnapshotsSeeThenDropsEverything) {
  for (auto style : {CompactionStyle::kLeveled, CompactionStyle::kUniversal}) {
    SCOPED_TRACE(static_cast<int>(style));
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_ = Options();
    options_.create_if_missing = true;
    options_.file_system = fs_;
    options_.compaction_style = style;
    options_.write_buffer_size = 4096;
    options_.target_file_size_base = 2048;
    Open();
    for (int i = 0; i < 400; i++) Put(Key(i), "v" + std::to_string(i));
    const Snapshot* before = db_->GetSnapshot();
    DeleteRange(Key(0), Key(400));
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    EXPECT_EQ("", Contents());
    EXPECT_EQ("v7", Get(Key(7), before));
    EXPECT_EQ("NOT_FOUND", Get(Key(7)));
    std::string all;
    for (int i = 0; i < 400; i++) all += Key(i) + "=v" + std::to_string(i) + ";";
    EXPECT_EQ(all, Contents(before));
    db_->ReleaseSnapshot(before);
    // (CompactRange never rewrites the last level's tables alone: a new
    // tombstone over the range makes them inputs again.)
    DeleteRange(Key(0), Key(400));
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    EXPECT_EQ("", Contents());
    EXPECT_EQ(0u, TableFiles());
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  }
}

// A tombstone over many keys, compacted with tiny output files: it is split
// across outputs (whose boundaries are sentinels), and everything reads
// right at every step, through reopens, under both styles.
TEST_F(RangeDelTest, CompactionSplitsTombstonesAcrossOutputs) {
  for (auto style : {CompactionStyle::kLeveled, CompactionStyle::kUniversal}) {
    SCOPED_TRACE(static_cast<int>(style));
    fs_ = std::make_shared<FaultInjectionFileSystem>();
    options_ = Options();
    options_.create_if_missing = true;
    options_.file_system = fs_;
    options_.compaction_style = style;
    options_.write_buffer_size = 8192;
    options_.target_file_size_base = 1024;
    options_.level0_file_num_compaction_trigger = 2;
    Open();
    std::map<std::string, std::string> model;
    Random rnd(7);
    std::vector<std::pair<const Snapshot*, std::map<std::string, std::string>>> snaps;
    for (int round = 0; round < 30; round++) {
      for (int i = 0; i < 60; i++) {
        const std::string k = Key(rnd.Uniform(1000));
        const std::string v = "r" + std::to_string(round) + "-" + std::to_string(i);
        Put(k, v);
        model[k] = v;
      }
      const int a = static_cast<int>(rnd.Uniform(1000));
      const int b = a + static_cast<int>(rnd.Uniform(round % 5 == 0 ? 600 : 40));
      DeleteRange(Key(a), Key(b));
      model.erase(model.lower_bound(Key(a)), model.lower_bound(Key(b)));
      if (round % 7 == 3) snaps.emplace_back(db_->GetSnapshot(), model);
      if (round % 10 == 9) {
        ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
      }
    }
    ASSERT_TRUE(db_->Flush().ok());
    auto check = [&](const std::string& when) {
      SCOPED_TRACE(when);
      std::string want;
      for (const auto& [k, v] : model) want += k + "=" + v + ";";
      EXPECT_EQ(want, Contents());
      for (int i = 0; i < 1000; i += 3) {
        auto e = model.find(Key(i));
        ASSERT_EQ(e == model.end() ? "NOT_FOUND" : e->second, Get(Key(i))) << i;
      }
      for (const auto& [snap, kv] : snaps) {
        std::string s;
        for (const auto& [k, v] : kv) s += k + "=" + v + ";";
        EXPECT_EQ(s, Contents(snap));
      }
    };
    check("after the writes");
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    check("after a full compaction");
    for (auto& [snap, kv] : snaps) db_->ReleaseSnapshot(snap);
    snaps.clear();
    Reopen();
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
    check("after reopening and compacting again");
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
  }
}

// A writer commits batches that put ten keys at a new version and delete
// the first five with a range, while readers check that every read sees
// whole batches (keys 0-4 absent, 5-9 at one version) and the memtable's
// tombstone list is rebuilt under them; tiny memtables keep flushes and
// compactions running. (TSan checks the memtable's cached list.)
TEST_F(RangeDelTest, ConcurrentReadersSeeWholeBatches) {
  options_.write_buffer_size = 2048;
  options_.level0_file_num_compaction_trigger = 2;
  options_.level0_slowdown_writes_trigger = 8;
  options_.level0_stop_writes_trigger = 12;
  Open();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int version = 0; version < 400; version++) {
      WriteBatch batch;
      for (int i = 0; i < 10; i++) batch.Put(Key(i), "v" + std::to_string(version));
      if (!batch.DeleteRange(Key(0), Key(5)).ok()) failures++;
      if (!db_->Write(WriteOptions(), &batch).ok()) failures++;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      while (!done) {
        if (r == 0) {
          auto it = db_->NewIterator(ReadOptions());
          std::string version;
          int n = 0;
          for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
            if (it->key() < Key(5)) failures++;
            if (version.empty()) version = it->value();
            if (it->value() != version) failures++;
          }
          if (!it->status().ok() || (n != 0 && n != 5)) failures++;
        } else {
          const Snapshot* snap = db_->GetSnapshot();
          std::string first = Get(Key(5), snap);
          for (int i = 0; i < 10; i++) {
            const std::string v = Get(Key(i), snap);
            if (i < 5 ? v != "NOT_FOUND" : v != first) failures++;
          }
          db_->ReleaseSnapshot(snap);
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(Key(5) + "=v399;" + Key(6) + "=v399;" + Key(7) + "=v399;" + Key(8) + "=v399;" +
                Key(9) + "=v399;",
            Contents());
}

}  // namespace synapsed
