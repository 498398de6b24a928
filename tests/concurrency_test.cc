// Several writer and reader threads at once: no lost writes, batches visible
// atomically, reads never going back in time, snapshots stable while writes
// go on, group commit actually grouping concurrent sync writers, and readers
// sharing read queues with compactions on io_uring with direct I/O.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "io/fault_injection_fs.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {

namespace {

constexpr int kWriters = 4;
constexpr int kReaders = 2;
constexpr int kWritesPerThread = 3000;

std::string Counter(int t) { return "counter-" + std::to_string(t); }

}  // namespace

TEST(ConcurrencyTest, WritersAndReaders) {
  Options options;
  options.create_if_missing = true;
  options.file_system = std::make_shared<FaultInjectionFileSystem>();
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());

  std::atomic<int> writers_done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; t++) {
    threads.emplace_back([&, t] {
      Random rnd(t + 1);
      for (int i = 1; i <= kWritesPerThread && !failed; i++) {
        // One batch sets the thread's counter and a pair of keys that must
        // always be seen equal, and leaves a permanent record of write i.
        WriteBatch batch;
        batch.Put(Counter(t), std::to_string(i));
        batch.Put("pair-a-" + std::to_string(t), std::to_string(i));
        batch.Put("pair-b-" + std::to_string(t), std::to_string(i));
        batch.Put("w" + std::to_string(t) + "-" + std::to_string(i), "x");
        WriteOptions wo;
        wo.sync = rnd.OneIn(20);
        if (!db->Write(wo, &batch).ok()) failed = true;
      }
      writers_done++;
    });
  }
  for (int r = 0; r < kReaders; r++) {
    threads.emplace_back([&, r] {
      Random rnd(100 + r);
      std::vector<int> last_seen(kWriters, 0);
      while (writers_done < kWriters && !failed) {
        int t = static_cast<int>(rnd.Uniform(kWriters));
        if (rnd.OneIn(2)) {
          // Reads never go back in time.
          std::string v;
          Status s = db->Get(ReadOptions(), Counter(t), &v);
          if (s.ok()) {
            int n = std::stoi(v);
            if (n < last_seen[t]) {
              ADD_FAILURE() << "counter went back from " << last_seen[t] << " to " << n;
              failed = true;
            }
            last_seen[t] = n;
          } else if (!s.IsNotFound()) {
            ADD_FAILURE() << s.ToString();
            failed = true;
          }
        } else {
          // A snapshot sees whole batches and does not change under writes.
          const Snapshot* snap = db->GetSnapshot();
          ReadOptions ro;
          ro.snapshot = snap;
          std::string a1, b1, a2, b2;
          Status sa = db->Get(ro, "pair-a-" + std::to_string(t), &a1);
          Status sb = db->Get(ro, "pair-b-" + std::to_string(t), &b1);
          std::this_thread::yield();
          auto it = db->NewIterator(ro);
          it->Seek("pair-a-" + std::to_string(t));
          if (it->Valid() && it->key() == "pair-a-" + std::to_string(t)) a2 = it->value();
          it->Seek("pair-b-" + std::to_string(t));
          if (it->Valid() && it->key() == "pair-b-" + std::to_string(t)) b2 = it->value();
          if (sa.ok() != sb.ok() || a1 != b1 || a1 != a2 || b1 != b2) {
            ADD_FAILURE() << "torn batch or moving snapshot: " << a1 << " " << b1 << " " << a2
                          << " " << b2;
            failed = true;
          }
          db->ReleaseSnapshot(snap);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);

  // Nothing was lost, before and after a reopen.
  for (int round = 0; round < 2; round++) {
    for (int t = 0; t < kWriters; t++) {
      std::string v;
      ASSERT_TRUE(db->Get(ReadOptions(), Counter(t), &v).ok());
      EXPECT_EQ(std::to_string(kWritesPerThread), v);
      for (int i = 1; i <= kWritesPerThread; i++) {
        ASSERT_TRUE(
            db->Get(ReadOptions(), "w" + std::to_string(t) + "-" + std::to_string(i), &v).ok());
      }
    }
    std::string seq;
    ASSERT_TRUE(db->GetProperty("synapsed.last-sequence", &seq));
    EXPECT_EQ(std::to_string(kWriters * kWritesPerThread * 4), seq);
    ASSERT_TRUE(db->Close().ok());
    db.reset();
    ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  }
}

// Concurrent sync writers share WAL syncs: with real fdatasync latency, a
// leader's group holds the writers that queued during the previous sync.
TEST(ConcurrencyTest, GroupCommitSharesSyncs) {
  test::TempDir dir("group_commit");
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path() + "/db", &db).ok());
  constexpr int kThreads = 8, kWrites = 100;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      WriteOptions wo;
      wo.sync = true;
      for (int i = 0; i < kWrites; i++) {
        if (!db->Put(wo, std::to_string(t) + "-" + std::to_string(i), "v").ok()) errors++;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(0, errors.load());
  std::string stats;
  ASSERT_TRUE(db->GetProperty("synapsed.stats", &stats));
  // "Writes: 800 batches in G groups"; "S syncs" with S == G < 800.
  unsigned long batches = 0, groups = 0, syncs = 0;
  ASSERT_EQ(2, std::sscanf(stats.c_str() + stats.find("Writes:"), "Writes: %lu batches in %lu",
                           &batches, &groups))
      << stats;
  ASSERT_EQ(
      1, std::sscanf(stats.c_str() + stats.find("bytes written, "), "bytes written, %lu", &syncs))
      << stats;
  EXPECT_EQ(static_cast<unsigned long>(kThreads * kWrites), batches);
  EXPECT_EQ(groups, syncs);
  EXPECT_LT(groups, batches) << stats;
}

}  // namespace synapsed

namespace synapsed {
namespace {

// Readers share the database's read queues (io_uring rings) and table
// readers with each other and with compactions reading ahead and writing
// behind, on the real disk with direct I/O: every MultiGet, and every pair
// of Gets at one snapshot, sees one consistent state (a pair written by one
// batch is equal), scans see keys in order, and nothing fails.
TEST(ConcurrencyTest, BatchedReadsReadaheadAndCompactionsShareQueues) {
  test::TempDir dir("concurrency_test");
  Options options;
  options.create_if_missing = true;
  options.io_engine = IoEngine::kIoUring;  // posix if the kernel refuses
  options.use_direct_reads = true;
  options.use_direct_io_for_flush_and_compaction = true;
  options.write_buffer_size = 64 << 10;
  options.target_file_size_base = 64 << 10;
  options.max_bytes_for_level_base = 256 << 10;
  options.max_background_jobs = 3;
  options.block_size = 1024;
  options.block_cache = NewARCCache(32 << 10);
  // Every table kept open, readers pinned in the tables' metadata: point
  // reads use them while compactions retire and delete tables.
  options.max_open_files = -1;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.path() + "/db", &db).ok());

  constexpr int kPairs = 200;
  constexpr int kRounds = 30;
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    Random rnd(1);
    for (int round = 1; round <= kRounds && !failed; round++) {
      for (int p = 0; p < kPairs && !failed; p++) {
        WriteBatch batch;
        const std::string v = std::to_string(round) + std::string(40 + rnd.Uniform(60), 'v');
        batch.Put("a" + test::NumberKey(p), v);
        batch.Put("b" + test::NumberKey(p), v);
        if (!db->Write(WriteOptions(), &batch).ok()) failed = true;
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; r++) {
    readers.emplace_back([&, r] {
      Random rnd(10 + r);
      while (!done && !failed) {
        if (r == 1) {
          // Point reads of both halves of a pair at one snapshot.
          const Snapshot* snap = db->GetSnapshot();
          ReadOptions at;
          at.snapshot = snap;
          for (int i = 0; i < 16 && !failed; i++) {
            const std::string n = test::NumberKey(rnd.Uniform(kPairs));
            std::string a, b;
            const Status sa = db->Get(at, "a" + n, &a);
            const Status sb = db->Get(at, "b" + n, &b);
            if (sa.ok() != sb.ok() || a != b || (!sa.ok() && !sa.IsNotFound())) {
              ADD_FAILURE() << n << ": " << sa.ToString() << " / " << sb.ToString();
              failed = true;
            }
          }
          db->ReleaseSnapshot(snap);
        } else if (r < 2) {
          std::vector<std::string> keys;
          for (int i = 0; i < 16; i++) {
            const std::string n = test::NumberKey(rnd.Uniform(kPairs));
            keys.push_back("a" + n);
            keys.push_back("b" + n);
          }
          std::vector<std::string_view> views(keys.begin(), keys.end());
          std::vector<std::string> values;
          std::vector<Status> st = db->MultiGet(ReadOptions(), views, &values);
          for (size_t i = 0; i < keys.size(); i += 2) {
            if (st[i].ok() != st[i + 1].ok() || values[i] != values[i + 1] ||
                (!st[i].ok() && !st[i].IsNotFound())) {
              ADD_FAILURE() << keys[i] << ": " << st[i].ToString() << " / " << st[i + 1].ToString();
              failed = true;
            }
          }
        } else {
          ReadOptions scan;
          scan.fill_cache = false;
          auto it = db->NewIterator(scan);
          std::string prev;
          for (it->SeekToFirst(); it->Valid(); it->Next()) {
            if (!prev.empty() && it->key() <= prev) failed = true;
            prev.assign(it->key());
          }
          if (!it->status().ok()) {
            ADD_FAILURE() << it->status().ToString();
            failed = true;
          }
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  ASSERT_FALSE(failed);
  for (int p = 0; p < kPairs; p++) {
    std::string a, b;
    ASSERT_TRUE(db->Get(ReadOptions(), "a" + test::NumberKey(p), &a).ok());
    ASSERT_TRUE(db->Get(ReadOptions(), "b" + test::NumberKey(p), &b).ok());
    ASSERT_EQ(a, b);
    ASSERT_EQ(std::to_string(kRounds), a.substr(0, a.find('v')));
  }
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace synapsed
