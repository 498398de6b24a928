// The level iterator over real tables on the in-memory file system, against a
// model (every entry of the level, in order): random levels with gaps, empty
// tables, single-entry tables and a user key's versions split across tables,
// walked in both directions; FindFile against brute force; lazy opening; and
// a missing or unreadable table stopping the iteration exactly where it is
// reached.
#include "engine/level_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/fault_injection_fs.h"
#include "sstable/table_builder.h"
#include "synapsed/cache.h"
#include "testutil/internal_iterator_walk.h"
#include "testutil/forwarding_file_system.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {
namespace {

constexpr char kDb[] = "/db";
constexpr char kDbId[] = "level-iterator-test";

using test::IKey;
std::string UserKey(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "u%05llu", static_cast<unsigned long long>(i));
  return buf;
}
// Independent of the code under test on purpose: the engine's naming.
std::string Path(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06llu.sst", static_cast<unsigned long long>(number));
  return kDb + std::string(buf);
}

using Entry = test::WalkEntry;
using Entries = std::vector<Entry>;

// A level as the iterator sees it (files) and as the model sees it.
struct Level {
  Version::FileList files;
  std::vector<Entries> per_file;  // each file's entries, in order
  Entries all;                    // every entry of the level, in order
  uint64_t max_user_key = 0;      // seek targets range over UserKey(0..max_user_key)
};

// Forwards to a base file system, counting the random-access files alive at
// once: each open table holds one, so the peak bounds the tables pinned.
class CountingFileSystem final : public test::ForwardingFileSystem {
 public:
  explicit CountingFileSystem(std::shared_ptr<FileSystem> base)
      : ForwardingFileSystem(std::move(base)) {}

  int peak_open() const { return peak_; }
  void ResetPeak() { peak_ = open_; }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    std::unique_ptr<RandomAccessFile> file;
    Status s = base()->NewRandomAccessFile(path, &file);
    if (s.ok()) *result = std::make_unique<Counted>(std::move(file), this);
    return s;
  }

 private:
  class Counted final : public RandomAccessFile {
   public:
    Counted(std::unique_ptr<RandomAccessFile> file, CountingFileSystem* fs)
        : file_(std::move(file)), fs_(fs) {
      fs_->peak_ = std::max(fs_->peak_, ++fs_->open_);
    }
    ~Counted() override { fs_->open_--; }
    Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
      return file_->Read(offset, n, result, scratch);
    }

   private:
    const std::unique_ptr<RandomAccessFile> file_;
    CountingFileSystem* const fs_;
  };

  int open_ = 0;
  int peak_ = 0;
};

class LevelIteratorTest : public testing::Test {
 protected:
  LevelIteratorTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
  }

  // Writes table `number` holding entries (in order) and describes it with
  // the given key range (which, for an empty table, no entry backs).
  std::shared_ptr<const FileMetaData> BuildTable(uint64_t number, const Entries& entries,
                                                 std::string smallest, std::string largest) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs_->NewWritableFile(Path(number), &file).ok());
    TableBuilderOptions options;
    options.block_size = 128;  // several blocks per table: block boundaries inside files too
    options.block_restart_interval = 4;
    options.file_number = number;
    options.db_id = kDbId;
    TableBuilder builder(options, file.get());
    for (const Entry& e : entries) builder.Add(e.key, e.value);
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(file->Close().ok());
    auto f = std::make_shared<FileMetaData>();
    f->number = number;
    f->file_size = builder.file_size();
    f->smallest = std::move(smallest);
    f->largest = std::move(largest);
    for (size_t i = 0; i < entries.size(); i++) {
      const SequenceNumber seq = ExtractTag(entries[i].key) >> 8;
      f->smallest_seqno = i == 0 ? seq : std::min(f->smallest_seqno, seq);
      f->largest_seqno = std::max(f->largest_seqno, seq);
    }
    return f;
  }

  // A random level of num_tables tables. User keys advance with random gaps;
  // a user key has 1..3 versions, and a table may start with the remaining
  // versions of the previous table's last key (ranges stay disjoint as
  // internal keys). One table in 8 is empty, with a range of its own.
  Level RandomLevel(Random* rnd, size_t num_tables) {
    Level level;
    uint64_t user = 0;
    uint64_t versions_left = 0;  // further versions of `user` still to emit
    SequenceNumber seq = 0;
    auto next_key = [&] {
      if (versions_left == 0) {
        user += 1 + rnd->Skewed(3);  // skipped user keys are gaps a seek can land in
        versions_left = rnd->Uniform(3);
        seq = 20 + rnd->Uniform(80);
      } else {
        versions_left--;
        seq -= 1 + rnd->Uniform(5);
      }
      return IKey(UserKey(user), seq, rnd->OneIn(3) ? ValueType::kDeletion : ValueType::kValue);
    };
    for (size_t t = 0; t < num_tables; t++) {
      const uint64_t number = next_number_++;
      Entries entries;
      if (rnd->OneIn(8)) {
        versions_left = 0;
        user++;
        level.files.push_back(
            BuildTable(number, {}, IKey(UserKey(user), 9), IKey(UserKey(user), 1)));
      } else {
        if (rnd->OneIn(2)) versions_left = 0;  // else: continue the last key's versions
        const uint64_t count = rnd->OneIn(4) ? 1 : 1 + rnd->Skewed(6);
        for (uint64_t i = 0; i < count; i++) {
          std::string value = "t" + std::to_string(number) + "#" + std::to_string(i);
          value.append(rnd->Uniform(40), 'v');
          entries.push_back({next_key(), std::move(value)});
        }
        level.files.push_back(BuildTable(number, entries, entries.front().key, entries.back().key));
      }
      level.all.insert(level.all.end(), entries.begin(), entries.end());
      level.per_file.push_back(std::move(entries));
    }
    level.max_user_key = user + 2;
    return level;
  }

  // n tables of k entries each (one version per user key), no gaps to skip.
  Level FixedLevel(uint64_t n, uint64_t k) {
    Level level;
    for (uint64_t t = 0; t < n; t++) {
      Entries entries;
      for (uint64_t i = 0; i < k; i++) {
        entries.push_back({IKey(UserKey(t * k + i), 5), "value" + std::to_string(t * k + i)});
      }
      level.files.push_back(
          BuildTable(next_number_++, entries, entries.front().key, entries.back().key));
      level.all.insert(level.all.end(), entries.begin(), entries.end());
      level.per_file.push_back(std::move(entries));
    }
    level.max_user_key = n * k + 2;
    return level;
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  uint64_t next_number_ = 1;
};

// A seek target: mostly anywhere in (and just around) the level's key
// space, sometimes exactly an entry or a file boundary.
std::string RandomTarget(Random* rnd, const Level& level) {
  if (!level.all.empty() && rnd->OneIn(5)) return level.all[rnd->Uniform(level.all.size())].key;
  if (!level.files.empty() && rnd->OneIn(5)) {
    const FileMetaData& f = *level.files[rnd->Uniform(level.files.size())];
    return rnd->OneIn(2) ? f.smallest : f.largest;
  }
  return IKey(UserKey(rnd->Uniform(level.max_user_key + 1)), rnd->Uniform(110),
              rnd->OneIn(2) ? ValueType::kDeletion : ValueType::kValue);
}

// Drives `it` and the model through the same random moves, checking after
// each, then scans both ways.
void CheckWalk(InternalIterator* it, const Level& level, Random* rnd, int steps,
               const std::string& context) {
  test::CheckInternalIteratorWalk(
      it, level.all, rnd, [&] { return RandomTarget(rnd, level); }, steps, context);
}

TEST_F(LevelIteratorTest, EmptyLevel) {
  TableCache cache(fs_, kDb, kDbId, nullptr);
  auto it = NewLevelIterator(&cache, ReadBlockOptions(), {});
  const std::string t = IKey("a", 1);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek(t);
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(t);
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(0, FindFile({}, t));
}

TEST_F(LevelIteratorTest, RandomLevelsMatchModel) {
  for (uint64_t seed = 1; seed <= 300; seed++) {
    Random rnd(seed);
    const Level level = RandomLevel(&rnd, rnd.Uniform(9));
    // Declared first: the block cache must outlive the table cache.
    std::shared_ptr<Cache> block_cache = rnd.OneIn(2) ? NewLRUCache(1 << 16) : nullptr;
    TableCache cache(fs_, kDb, kDbId, block_cache.get(), 1 + static_cast<int>(rnd.Uniform(4)));
    ReadBlockOptions options;
    options.fill_cache = rnd.OneIn(2);
    auto it = NewLevelIterator(&cache, options, level.files);
    CheckWalk(it.get(), level, &rnd, 400,
              "seed " + std::to_string(seed) + " tables " + std::to_string(level.files.size()));
    if (HasFatalFailure()) return;
  }
}

TEST_F(LevelIteratorTest, FindFileMatchesBruteForce) {
  for (uint64_t seed = 1; seed <= 100; seed++) {
    Random rnd(seed);
    const Level level = RandomLevel(&rnd, rnd.Uniform(9));
    for (int i = 0; i < 200; i++) {
      const std::string t = RandomTarget(&rnd, level);
      size_t want = 0;
      while (want < level.files.size() && CompareInternalKeys(level.files[want]->largest, t) < 0) {
        want++;
      }
      ASSERT_EQ(static_cast<int>(want), FindFile(level.files, t)) << "seed " << seed;
    }
  }
}

// The iterator owns its copy of the file list: the caller's may go away.
TEST_F(LevelIteratorTest, KeepsFileListAlive) {
  Level level = FixedLevel(4, 10);
  TableCache cache(fs_, kDb, kDbId, nullptr);
  auto it = NewLevelIterator(&cache, ReadBlockOptions(), std::move(level.files));
  level.files.clear();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(level.all[n++].key, it->key());
  EXPECT_EQ(level.all.size(), n);
  it->SeekForPrev(level.all[15].key);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(level.all[15].value, it->value());
  EXPECT_TRUE(it->status().ok());
}

// Tables are opened only when the iteration reaches them, and a scan does not
// keep the tables it has left open.
TEST_F(LevelIteratorTest, OpensTablesOnlyWhenReached) {
  const Level level = FixedLevel(8, 20);
  auto counting = std::make_shared<CountingFileSystem>(fs_);
  {
    TableCache cache(counting, kDb, kDbId, nullptr);
    auto it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
    EXPECT_EQ(0u, cache.open_tables());
    it->Seek(level.per_file[5][3].key);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(level.per_file[5][3].value, it->value());
    EXPECT_EQ(1u, cache.open_tables());
    it->SeekForPrev(level.per_file[5][10].key);  // the same table
    it->Next();
    EXPECT_EQ(1u, cache.open_tables());
    it->SeekForPrev(level.per_file[2][0].key);
    it->Prev();  // into table 1
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(level.per_file[1][19].value, it->value());
    EXPECT_EQ(3u, cache.open_tables());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    EXPECT_TRUE(it->status().ok());
    EXPECT_EQ(8u, cache.open_tables());
  }
  // With room for one reader in the table cache, every other open file is
  // one an iterator pins. A table is open at most twice over -- the cache's
  // and the iterator's differ only while the iterator moves between tables --
  // so more than two would mean the scan keeps tables it has left.
  TableCache cache(counting, kDb, kDbId, nullptr, 1);
  auto it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
  counting->ResetPeak();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  for (it->SeekToLast(); it->Valid(); it->Prev()) n++;
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(2 * level.all.size(), n);
  EXPECT_LE(counting->peak_open(), 2);
}

size_t CountEntries(const std::vector<Entries>& per_file, size_t begin, size_t end) {
  size_t n = 0;
  for (size_t i = begin; i < end; i++) n += per_file[i].size();
  return n;
}

// A table file that is gone is an error when the iteration reaches it (from
// either side), never a silently skipped range; seeks that stay clear of it
// work, because it is never opened.
TEST_F(LevelIteratorTest, MissingTableStopsIterationThere) {
  for (uint64_t seed = 1; seed <= 100; seed++) {
    Random rnd(seed);
    const Level level = RandomLevel(&rnd, 2 + rnd.Uniform(7));
    const size_t bad = rnd.Uniform(level.files.size());
    ASSERT_TRUE(fs_->RemoveFile(Path(level.files[bad]->number)).ok());
    const size_t before = CountEntries(level.per_file, 0, bad);
    const size_t after = CountEntries(level.per_file, bad + 1, level.files.size());
    const std::string context = "seed " + std::to_string(seed) + " bad " + std::to_string(bad);
    TableCache cache(fs_, kDb, kDbId, nullptr);

    auto it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(level.all[n++].key, it->key());
    EXPECT_EQ(before, n) << context;
    const Status error = it->status();
    EXPECT_TRUE(error.IsNotFound()) << context << " " << error.ToString();
    // The error is sticky.
    it->SeekToLast();
    EXPECT_FALSE(it->Valid()) << context;
    EXPECT_EQ(error.ToString(), it->status().ToString()) << context;

    it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
    n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      ASSERT_EQ(level.all[level.all.size() - 1 - n++].key, it->key());
    }
    EXPECT_EQ(after, n) << context;
    EXPECT_TRUE(it->status().IsNotFound()) << context << " " << it->status().ToString();

    if (bad + 1 < level.files.size()) {
      it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
      n = 0;
      for (it->Seek(level.files[bad + 1]->smallest); it->Valid(); it->Next()) n++;
      EXPECT_EQ(after, n) << context;
      EXPECT_TRUE(it->status().ok()) << context << " " << it->status().ToString();
    }
    if (bad > 0) {
      it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
      n = 0;
      for (it->SeekForPrev(level.files[bad - 1]->largest); it->Valid(); it->Prev()) n++;
      EXPECT_EQ(before, n) << context;
      EXPECT_TRUE(it->status().ok()) << context << " " << it->status().ToString();
    }
    if (HasFailure()) return;
  }
}

// A table that opens but then fails to read a data block stops the iteration
// at that table with the read error.
TEST_F(LevelIteratorTest, ReadErrorStopsIterationThere) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 100; seed++) {
    Random rnd(seed);
    const Level level = RandomLevel(&rnd, 2 + rnd.Uniform(7));
    const size_t bad = rnd.Uniform(level.files.size());
    if (level.per_file[bad].empty()) continue;
    const FileMetaData& f = *level.files[bad];
    const std::string context = "seed " + std::to_string(seed) + " bad " + std::to_string(bad);
    TableCache cache(fs_, kDb, kDbId, nullptr);
    // Opened before the fault, so the failure hits a data block, not the open.
    std::shared_ptr<const TableReader> reader;
    ASSERT_TRUE(cache.FindTable(f.number, f.file_size, &reader).ok());
    fs_->InjectFault({.op = FaultInjectionFileSystem::OpKind::kRead,
                      .path_substring = Path(f.number),
                      .count = -1});

    auto it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(level.all[n++].key, it->key());
    EXPECT_EQ(CountEntries(level.per_file, 0, bad), n) << context;
    EXPECT_TRUE(it->status().IsIOError()) << context << " " << it->status().ToString();

    it = NewLevelIterator(&cache, ReadBlockOptions(), level.files);
    n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) n++;
    EXPECT_EQ(CountEntries(level.per_file, bad + 1, level.files.size()), n) << context;
    EXPECT_TRUE(it->status().IsIOError()) << context << " " << it->status().ToString();

    fs_->ClearFaults();
    checked++;
    if (HasFailure()) return;
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace synapsed
