// TableCache over the in-memory file system: tables are found, cached,
// reopened past max_open_files, evicted, refused when foreign or missing, and
// used from several threads at once.
#include "cache/table_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/fault_injection_fs.h"
#include "sstable/table_builder.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {
namespace {

constexpr char kDb[] = "/db";
constexpr char kDbId[] = "db-id-1";
constexpr int kKeysPerTable = 300;

using test::IKey;
// Independent of the code under test on purpose: the engine's naming.
std::string Path(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06llu.sst", static_cast<unsigned long long>(number));
  return kDb + std::string(buf);
}
std::string UserKey(uint64_t table, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "t%02llu-k%04d", static_cast<unsigned long long>(table), i);
  return buf;
}
std::string Value(uint64_t table, int i) {
  return "value-" + std::to_string(table) + "-" + std::to_string(i) + std::string(30, 'x');
}

class TableCacheTest : public testing::Test {
 protected:
  TableCacheTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
  }

  // Writes table `number` (keys UserKey(number, i)) at `path`; returns its size.
  uint64_t BuildTable(uint64_t number, const std::string& db_id = kDbId, std::string path = "") {
    if (path.empty()) path = Path(number);
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs_->NewWritableFile(path, &file).ok());
    TableBuilderOptions options;
    options.block_size = 512;
    options.file_number = number;
    options.db_id = db_id;
    TableBuilder builder(options, file.get());
    for (int i = 0; i < kKeysPerTable; i++) builder.Add(IKey(UserKey(number, i)), Value(number, i));
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(file->Close().ok());
    sizes_[number] = builder.file_size();
    return builder.file_size();
  }

  // Checks a point lookup of key i in table `number` through the cache.
  void ExpectGet(TableCache* cache, uint64_t number, int i) {
    TableGet got;
    std::string value;
    Status s = cache->Get(ReadBlockOptions(), number, sizes_[number], IKey(UserKey(number, i)),
                          &got, &value);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(TableGet::kValue, got);
    ASSERT_EQ(Value(number, i), value);
  }

  // Checks a full scan of table `number` through the cache.
  void ExpectScan(TableCache* cache, uint64_t number) {
    auto it = cache->NewIterator(ReadBlockOptions(), number, sizes_[number]);
    int i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      ASSERT_EQ(IKey(UserKey(number, i)), it->key());
      ASSERT_EQ(Value(number, i), it->value());
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(kKeysPerTable, i);
  }

  // Every later open of a file fails: what is found now was cached.
  void FailEveryOpen() {
    FaultInjectionFileSystem::FaultSpec spec;
    spec.op = FaultInjectionFileSystem::OpKind::kOpenRead;
    spec.count = -1;
    fs_->InjectFault(spec);
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  uint64_t sizes_[64] = {};
};

}  // namespace

TEST_F(TableCacheTest, FindsTablesAndAnswersThroughThem) {
  auto block_cache = NewARCCache(1 << 20);
  TableCache cache(fs_, kDb, kDbId, block_cache.get(), 10);
  for (uint64_t n : {3, 4, 5}) BuildTable(n);
  std::shared_ptr<const TableReader> first, again;
  ASSERT_TRUE(cache.FindTable(3, sizes_[3], &first).ok());
  EXPECT_EQ(3u, first->properties().file_number);
  EXPECT_EQ(Path(3), first->file_name());
  ASSERT_TRUE(cache.FindTable(3, sizes_[3], &again).ok());
  EXPECT_EQ(first, again);  // one reader per table

  for (uint64_t n : {3, 4, 5}) {
    for (int i = 0; i < kKeysPerTable; i += 7) ExpectGet(&cache, n, i);
    ExpectScan(&cache, n);
  }
  EXPECT_EQ(3u, cache.open_tables());
  TableGet got;
  std::string value;
  ASSERT_TRUE(cache.Get(ReadBlockOptions(), 4, sizes_[4], IKey("t04-absent"), &got, &value).ok());
  EXPECT_EQ(TableGet::kAbsent, got);

  // Everything is cached now: readers and blocks alike.
  FailEveryOpen();
  const uint64_t hits = block_cache->GetStats().hits;
  for (uint64_t n : {3, 4, 5}) ExpectScan(&cache, n);
  EXPECT_GT(block_cache->GetStats().hits, hits);
}

TEST_F(TableCacheTest, WorksWithoutABlockCache) {
  TableCache cache(fs_, kDb, kDbId, nullptr, 10);
  BuildTable(1);
  for (int i = 0; i < kKeysPerTable; i += 3) ExpectGet(&cache, 1, i);
  ExpectScan(&cache, 1);
}

TEST_F(TableCacheTest, MoreTablesThanMaxOpenFilesAreReopened) {
  auto block_cache = NewLRUCache(8 << 10);
  TableCache cache(fs_, kDb, kDbId, block_cache.get(), 2);
  for (uint64_t n = 1; n <= 5; n++) BuildTable(n);
  Random rnd(17);
  for (int round = 0; round < 500; round++) {
    const uint64_t n = 1 + rnd.Uniform(5);
    ExpectGet(&cache, n, static_cast<int>(rnd.Uniform(kKeysPerTable)));
    ASSERT_LE(cache.open_tables(), 2u);
  }
  for (uint64_t n = 1; n <= 5; n++) ExpectScan(&cache, n);

  // A reader in use survives its eviction; the next find opens a new one.
  std::shared_ptr<const TableReader> held, reopened;
  ASSERT_TRUE(cache.FindTable(1, sizes_[1], &held).ok());
  for (uint64_t n = 2; n <= 4; n++) ExpectGet(&cache, n, 0);
  ASSERT_TRUE(cache.FindTable(1, sizes_[1], &reopened).ok());
  EXPECT_NE(held, reopened);
  TableGet got;
  std::string value;
  ASSERT_TRUE(held->Get(ReadBlockOptions(), IKey(UserKey(1, 9)), &got, &value).ok());
  EXPECT_EQ(Value(1, 9), value);

  // Open now: 4 and 1. With opens failing, those still answer and an
  // evicted table is an error: eviction really closed it.
  FailEveryOpen();
  ExpectGet(&cache, 4, 1);
  ExpectGet(&cache, 1, 1);
  EXPECT_TRUE(
      cache.Get(ReadBlockOptions(), 2, sizes_[2], IKey(UserKey(2, 0)), &got, &value).IsIOError());
}

TEST_F(TableCacheTest, EvictDropsTheReaderButNotItsUsers) {
  TableCache cache(fs_, kDb, kDbId, nullptr, 10);
  BuildTable(7);
  std::shared_ptr<const TableReader> reader;
  ASSERT_TRUE(cache.FindTable(7, sizes_[7], &reader).ok());
  auto it = cache.NewIterator(ReadBlockOptions(), 7, sizes_[7]);
  // Deleted but cached: still found (the engine evicts when it deletes).
  ASSERT_TRUE(fs_->RemoveFile(Path(7)).ok());
  ExpectGet(&cache, 7, 5);
  EXPECT_EQ(1u, cache.open_tables());

  cache.Evict(7);
  EXPECT_EQ(0u, cache.open_tables());
  TableGet got;
  std::string value;
  EXPECT_TRUE(
      cache.Get(ReadBlockOptions(), 7, sizes_[7], IKey(UserKey(7, 5)), &got, &value).IsNotFound());
  // Users from before the eviction keep working.
  ASSERT_TRUE(reader->Get(ReadBlockOptions(), IKey(UserKey(7, 5)), &got, &value).ok());
  EXPECT_EQ(Value(7, 5), value);
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(IKey(UserKey(7, kKeysPerTable - 1)), it->key());
  cache.Evict(7);  // evicting an absent table is a no-op
  cache.Evict(99);
}

TEST_F(TableCacheTest, ForeignOrRenamedTablesAreCorruptionAndNotCached) {
  TableCache cache(fs_, kDb, kDbId, nullptr, 10);
  BuildTable(8, "another-db");
  std::shared_ptr<const TableReader> reader;
  Status s = cache.FindTable(8, sizes_[8], &reader);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("another database")) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("000008.sst")) << s.ToString();
  EXPECT_EQ(nullptr, reader);

  // Table 9's bytes under the name of table 10.
  BuildTable(9, kDbId, Path(10));
  sizes_[10] = sizes_[9];
  s = cache.FindTable(10, sizes_[10], &reader);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(0u, cache.open_tables());

  // A failed open is retried: once the right file is in place, it is found.
  BuildTable(8);
  ASSERT_TRUE(cache.FindTable(8, sizes_[8], &reader).ok());
  ExpectGet(&cache, 8, 1);
}

TEST_F(TableCacheTest, MissingOrUnreadableFilesAreErrors) {
  TableCache cache(fs_, kDb, kDbId, nullptr, 10);
  std::shared_ptr<const TableReader> reader;
  Status s = cache.FindTable(42, 1000, &reader);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  auto it = cache.NewIterator(ReadBlockOptions(), 42, 1000);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsNotFound());
  it->Seek(IKey("a"));
  EXPECT_FALSE(it->Valid());
  TableGet got;
  std::string value;
  EXPECT_TRUE(cache.Get(ReadBlockOptions(), 42, 1000, IKey("a"), &got, &value).IsNotFound());

  // A transient read error on open is not remembered either.
  BuildTable(42);
  FaultInjectionFileSystem::FaultSpec spec;
  spec.op = FaultInjectionFileSystem::OpKind::kRead;
  spec.path_substring = "000042.sst";
  fs_->InjectFault(spec);
  EXPECT_TRUE(cache.FindTable(42, sizes_[42], &reader).IsIOError());
  ExpectGet(&cache, 42, 0);

  // A wrong size (say, a truncated file) is Corruption.
  BuildTable(43);
  EXPECT_TRUE(cache.FindTable(43, sizes_[43] - 1, &reader).IsCorruption());
}

// max_open_files < 0: a read given the table's slot fills it, and later
// reads go through the slot alone. They keep answering after the cache
// forgot the table and opens fail, while a read without the slot does not.
// Only the keep-all-open cache fills slots, and a copied slot starts empty.
TEST_F(TableCacheTest, KeepingEveryTableOpenFillsSlotsThatReadsUse) {
  for (uint64_t n = 1; n <= 3; n++) BuildTable(n);
  TableSlot slots[4];
  {
    TableCache limited(fs_, kDb, kDbId, nullptr, 10);
    std::shared_ptr<const TableReader> reader;
    ASSERT_TRUE(limited.FindTable(1, sizes_[1], &reader, &slots[1]).ok());
    EXPECT_EQ(nullptr, slots[1].get());
  }
  TableCache cache(fs_, kDb, kDbId, nullptr, -1);
  TableGet got;
  std::string value;
  for (uint64_t n = 1; n <= 3; n++) {
    EXPECT_EQ(nullptr, slots[n].get());
    ASSERT_TRUE(cache
                    .Get(ReadBlockOptions(), n, sizes_[n], IKey(UserKey(n, 4)), &got, &value,
                         nullptr, &slots[n])
                    .ok());
    EXPECT_EQ(Value(n, 4), value);
    std::shared_ptr<const TableReader> found;
    ASSERT_TRUE(cache.FindTable(n, sizes_[n], &found).ok());
    EXPECT_EQ(found.get(), slots[n].get());
  }
  EXPECT_EQ(nullptr, TableSlot(slots[1]).get());
  TableSlot assigned;
  assigned = slots[2];
  EXPECT_EQ(nullptr, assigned.get());

  FailEveryOpen();
  for (uint64_t n = 1; n <= 3; n++) cache.Evict(n);
  EXPECT_EQ(0u, cache.open_tables());
  for (uint64_t n = 1; n <= 3; n++) {
    for (int i = 0; i < kKeysPerTable; i += 11) {
      ASSERT_TRUE(cache
                      .Get(ReadBlockOptions(), n, sizes_[n], IKey(UserKey(n, i)), &got, &value,
                           nullptr, &slots[n])
                      .ok());
      EXPECT_EQ(Value(n, i), value);
    }
    auto it = cache.NewIterator(ReadBlockOptions(), n, sizes_[n], &slots[n]);
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid()) << it->status().ToString();
    EXPECT_EQ(IKey(UserKey(n, 0)), it->key());
  }
  EXPECT_TRUE(
      cache.Get(ReadBlockOptions(), 1, sizes_[1], IKey(UserKey(1, 0)), &got, &value).IsIOError());
}

// Threads racing to fill the same slots all read correctly, and each slot
// ends up holding one reader of its own table.
TEST_F(TableCacheTest, ConcurrentFirstReadsFillEachSlotOnce) {
  constexpr int kTables = 4;
  for (uint64_t n = 1; n <= kTables; n++) BuildTable(n);
  for (int round = 0; round < 20; round++) {
    TableCache cache(fs_, kDb, kDbId, nullptr, -1);
    TableSlot slots[kTables + 1];
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
      threads.emplace_back([&, t] {
        Random rnd(round * 10 + t);
        for (int op = 0; op < 50; op++) {
          const uint64_t n = 1 + rnd.Uniform(kTables);
          const int i = static_cast<int>(rnd.Uniform(kKeysPerTable));
          TableGet got;
          std::string value;
          Status s = cache.Get(ReadBlockOptions(), n, sizes_[n], IKey(UserKey(n, i)), &got, &value,
                               nullptr, &slots[n]);
          if (!s.ok() || got != TableGet::kValue || value != Value(n, i)) failures++;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(0, failures.load());
    for (uint64_t n = 1; n <= kTables; n++) {
      ASSERT_NE(nullptr, slots[n].get());
      EXPECT_EQ(n, slots[n].get()->properties().file_number);
    }
  }
}

TEST_F(TableCacheTest, ConcurrentFindsGetsAndScans) {
  constexpr int kTables = 6;
  for (uint64_t n = 1; n <= kTables; n++) BuildTable(n);
  auto block_cache = NewARCCache(32 << 10, 2);  // small: blocks are evicted too
  TableCache cache(fs_, kDb, kDbId, block_cache.get(), 3);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Random rnd(100 + t);
      for (int op = 0; op < 600; op++) {
        const uint64_t n = 1 + rnd.Uniform(kTables);
        const int i = static_cast<int>(rnd.Uniform(kKeysPerTable));
        switch (rnd.Uniform(3)) {
          case 0: {
            std::shared_ptr<const TableReader> reader;
            if (!cache.FindTable(n, sizes_[n], &reader).ok() ||
                reader->properties().file_number != n) {
              failures++;
            }
            break;
          }
          case 1: {
            TableGet got;
            std::string value;
            Status s =
                cache.Get(ReadBlockOptions(), n, sizes_[n], IKey(UserKey(n, i)), &got, &value);
            if (!s.ok() || got != TableGet::kValue || value != Value(n, i)) failures++;
            break;
          }
          default: {
            auto it = cache.NewIterator(ReadBlockOptions(), n, sizes_[n]);
            it->Seek(IKey(UserKey(n, i)));
            for (int j = i; j < i + 20 && j < kKeysPerTable; j++, it->Next()) {
              if (!it->Valid() || it->value() != Value(n, j)) {
                failures++;
                break;
              }
            }
            if (!it->status().ok()) failures++;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, failures.load());
  EXPECT_LE(cache.open_tables(), 3u);
  EXPECT_GT(block_cache->GetStats().evictions, 0u);
}

}  // namespace synapsed
