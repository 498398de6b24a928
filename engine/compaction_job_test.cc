// The compaction job with range tombstones, on tables built by hand: covered
// entries dropped within a snapshot stripe and kept across one, tombstones
// written clipped to each output (split at cuts, key ranges covering them,
// outputs never overlapping), obsolete sequences dropped within a stripe,
// tombstones dropped at the bottom and kept above older data, and an output
// of tombstones alone when every entry goes.
#include "engine/compaction_job.h"

#include <gtest/gtest.h>

#include <map>

#include "engine/filename.h"
#include "io/fault_injection_fs.h"
#include "testutil/testutil.h"

namespace synapsed {

namespace {

constexpr char kDb[] = "/db";
using test::IKey;

struct Point {
  std::string key;
  SequenceNumber seq;
  ValueType type = ValueType::kValue;
};

class CompactionJobTest : public ::testing::Test {
 protected:
  CompactionJobTest()
      : fs_(std::make_shared<FaultInjectionFileSystem>()), tables_(fs_, kDb, "db", nullptr, 100) {
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
  }

  // Writes table `number` holding points (any order) and tombstones.
  std::shared_ptr<const FileMetaData> Table(uint64_t number, std::vector<Point> points,
                                            const std::vector<RangeTombstone>& tombstones) {
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
      return CompareInternalKeys(IKey(a.key, a.seq, a.type), IKey(b.key, b.seq, b.type)) < 0;
    });
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs_->NewWritableFile(TableFileName(kDb, number), &file).ok());
    TableBuilderOptions o;
    o.file_number = number;
    o.db_id = "db";
    TableBuilder builder(o, file.get());
    for (const auto& p : points) {
      builder.Add(IKey(p.key, p.seq, p.type), p.type == ValueType::kValue ? "v" : "");
    }
    for (const auto& t : tombstones) builder.AddRangeTombstone(t.start, t.end, t.seq);
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(file->Close().ok());
    auto meta = std::make_shared<FileMetaData>();
    meta->number = number;
    meta->file_size = builder.file_size();
    meta->smallest = builder.properties().smallest_key;
    meta->largest = builder.properties().largest_key;
    meta->smallest_seqno = builder.properties().smallest_seqno;
    meta->largest_seqno = builder.properties().largest_seqno;
    return meta;
  }

  // Runs a compaction of `inputs` (one level) into output_level of a version
  // that also holds `others` (level, file).
  Status Run(int level, Version::FileList inputs, int output_level,
             std::vector<std::pair<int, std::shared_ptr<const FileMetaData>>> others,
             std::vector<SequenceNumber> snapshots, uint64_t max_output_file_size = UINT64_MAX) {
    VersionEdit edit;
    for (const auto& f : inputs) edit.AddFile(level, *f);
    for (const auto& [l, f] : others) edit.AddFile(l, *f);
    VersionBuilder builder{Version()};
    EXPECT_TRUE(builder.Apply(edit).ok());
    version_ = builder.Finish();
    CompactionSpec spec;
    spec.inputs.push_back({level, version_->files(level)});
    spec.output_level = output_level;
    spec.max_output_file_size = max_output_file_size;
    SetBottommost(*version_, &spec);
    CompactionJobOptions job;
    job.fs = fs_.get();
    job.dbname = kDb;
    job.table_cache = &tables_;
    job.table_options.db_id = "db";
    job.table_options.block_size = 32;  // file sizes grow entry by entry: outputs can be cut
    job.snapshots = snapshots;
    job.smallest_snapshot = snapshots.front();
    job.new_file_number = [this] { return next_file_++; };
    return RunCompactionJob(job, *version_, spec, &outputs_, &stats_);
  }

  // Every output's points as "key@seq" and its fragments "[start,end)@seq".
  std::string Describe() {
    std::string out;
    for (const auto& m : outputs_) {
      std::shared_ptr<const TableReader> reader;
      EXPECT_TRUE(tables_.FindTable(m.number, m.file_size, &reader).ok());
      out += "{";
      auto it = reader->NewIterator(ReadBlockOptions());
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ParsedInternalKey p;
        EXPECT_TRUE(ParseInternalKey(it->key(), &p));
        out += std::string(p.user_key) + "@" + std::to_string(p.sequence) + " ";
      }
      if (const auto& list = reader->range_tombstones()) {
        for (size_t i = 0; i < list->num_fragments(); i++) {
          const auto f = list->fragment(i);
          for (SequenceNumber seq : f.seqs) {
            out += "[" + std::string(f.start) + "," + std::string(f.end) + ")@" +
                   std::to_string(seq) + " ";
          }
        }
        // The output's key range covers its tombstones.
        EXPECT_LE(CompareInternalKeys(m.smallest, list->SmallestKey()), 0);
        EXPECT_GE(CompareInternalKeys(m.largest, list->LargestKey()), 0);
      }
      out += "}";
    }
    return out;
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  TableCache tables_;
  std::shared_ptr<const Version> version_;
  uint64_t next_file_ = 100;
  std::vector<FileMetaData> outputs_;
  CompactionJobStats stats_;
};

}  // namespace

TEST_F(CompactionJobTest, CoveredEntriesGoWithinAStripeAndStayAcrossOne) {
  // b@3 and d@5 under [a, e)@10; f@4 outside it. Older data below keeps the
  // tombstone itself.
  auto in = Table(1, {{"b", 3}, {"d", 5}, {"f", 4}}, {{"a", "e", 10}});
  auto below = Table(2, {{"c", 1}}, {});
  // Readers at 20 only: one stripe holds everything.
  ASSERT_TRUE(Run(1, {in}, 2, {{3, below}}, {20}).ok());
  EXPECT_EQ("{f@4 [a,e)@10 }", Describe());
  // A snapshot at 4 sees b@3 but not the tombstone: b@3 stays, d@5 (in the
  // stripe (4, 20]) goes.
  ASSERT_TRUE(Run(1, {in}, 2, {{3, below}}, {4, 20}).ok());
  EXPECT_EQ("{b@3 f@4 [a,e)@10 }", Describe());
  EXPECT_EQ(1u, stats_.input_range_deletions);
  EXPECT_EQ(1u, stats_.output_range_deletions);
}

TEST_F(CompactionJobTest, TombstonesGoAtTheBottomWhenEveryReaderSeesThem) {
  auto in = Table(1, {{"b", 3}, {"m", 4}}, {{"a", "e", 10}, {"k", "p", 30}});
  // Bottommost, readers at 20: [a,e)@10 hides nothing left; [k,p)@30 is not
  // yet seen by every reader and stays (m@4 goes: same stripe as 30? No:
  // 20 lies between), so m@4 stays too.
  ASSERT_TRUE(Run(1, {in}, 6, {}, {20, 40}).ok());
  EXPECT_EQ("{m@4 [k,p)@30 }", Describe());
  // With every reader past 30, everything goes and no table is written.
  ASSERT_TRUE(Run(1, {in}, 6, {}, {40}).ok());
  EXPECT_EQ("", Describe());
  EXPECT_TRUE(outputs_.empty());
}

TEST_F(CompactionJobTest, OlderSequencesOfAFragmentGoWithinAStripe) {
  auto in = Table(1, {{"z", 1}}, {{"a", "c", 5}, {"a", "c", 7}, {"a", "c", 12}, {"b", "d", 9}});
  auto below = Table(2, {{"a", 1}, {"c", 1}}, {});
  // Stripes: (..8], (8..20]. In [a,b): 12 and 7 (7 <= 8 < 12: distinct), 5
  // shares 7's stripe. In [b,c): 12 and 7 stay, 9 shares 12's, 5 goes. In
  // [c,d): 9 alone.
  ASSERT_TRUE(Run(1, {in}, 2, {{3, below}}, {8, 20}).ok());
  EXPECT_EQ("{z@1 [a,b)@12 [a,b)@7 [b,c)@12 [b,c)@7 [c,d)@9 }", Describe());
}

TEST_F(CompactionJobTest, TombstonesAreSplitAtOutputCutsAndOutputsDoNotOverlap) {
  std::vector<Point> points;
  for (char c = 'a'; c <= 'z'; c++) points.push_back({std::string(1, c) + "k", 50});
  auto in = Table(1, points, {{"", "zz", 60}, {"fk", "g", 70}});
  auto below = Table(2, {{"m", 1}}, {});
  // Tiny outputs: a cut every key or so.
  ASSERT_TRUE(Run(1, {in}, 2, {{3, below}}, {55}, 100).ok());
  ASSERT_GE(outputs_.size(), 3u);
  // The outputs fit in one level (disjoint, sorted), each covers its own
  // tombstones, and together they hold every point and the tombstones whole.
  VersionEdit edit;
  for (const auto& m : outputs_) edit.AddFile(2, m);
  VersionBuilder builder{Version()};
  ASSERT_TRUE(builder.Apply(edit).ok());
  const std::string all = Describe();
  std::map<std::string, int> covered;  // user key -> outputs whose tombstones cover it
  std::vector<RangeTombstone> merged;
  for (const auto& m : outputs_) {
    std::shared_ptr<const TableReader> reader;
    ASSERT_TRUE(tables_.FindTable(m.number, m.file_size, &reader).ok());
    ASSERT_NE(nullptr, reader->range_tombstones()) << all;
    const auto& list = *reader->range_tombstones();
    for (size_t i = 0; i < list.num_fragments(); i++) {
      const auto f = list.fragment(i);
      for (SequenceNumber seq : f.seqs)
        merged.push_back({std::string(f.start), std::string(f.end), seq});
    }
  }
  const FragmentedRangeTombstoneList whole(merged);
  for (std::string k : {"", "a", "ak", "f", "fk", "fz", "g", "m", "zk", "zy"}) {
    EXPECT_EQ(60u, whole.MaxCoveringSequence(k, 65)) << k;
  }
  EXPECT_EQ(70u, whole.MaxCoveringSequence("fz", 100));
  EXPECT_EQ(0u, whole.MaxCoveringSequence("zz", 100));
  // No fragment is written twice: each key is covered by one output.
  size_t entries = 0;
  for (size_t i = 0; i < whole.num_fragments(); i++) entries += whole.fragment(i).seqs.size();
  EXPECT_EQ(merged.size(), entries) << all;
  EXPECT_EQ(26u, stats_.output_entries);
}

TEST_F(CompactionJobTest, TombstonesOutliveTheirEntriesInATableOfTheirOwn) {
  auto in = Table(1, {{"b", 3}, {"c", 4}}, {{"a", "e", 10}});
  auto below = Table(2, {{"d", 1}}, {});
  ASSERT_TRUE(Run(1, {in}, 2, {{3, below}}, {20}).ok());
  EXPECT_EQ("{[a,e)@10 }", Describe());
  ASSERT_EQ(1u, outputs_.size());
  EXPECT_EQ(IKey("a", 10, ValueType::kRangeDeletion), outputs_[0].smallest);
  EXPECT_TRUE(IsRangeTombstoneSentinel(outputs_[0].largest));
  EXPECT_EQ(2u, stats_.dropped_entries);
}

}  // namespace synapsed
