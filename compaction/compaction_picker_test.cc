// The leveled picker from tables of inputs: versions built by hand, the
// compaction it must choose.
#include "compaction/compaction_picker.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace synapsed {

namespace {

struct F {
  int level;
  uint64_t number;
  const char* smallest;
  const char* largest;
  uint64_t size;
};

std::shared_ptr<const Version> Build(const std::vector<F>& files) {
  VersionEdit edit;
  SequenceNumber seq = 1;
  for (const F& f : files) {
    FileMetaData m;
    m.number = f.number;
    m.file_size = f.size;
    m.smallest = test::IKey(f.smallest, seq + 1, ValueType::kValue);
    m.largest = test::IKey(f.largest, seq, ValueType::kValue);
    m.smallest_seqno = seq;
    m.largest_seqno = seq + 1;
    seq += 2;
    edit.AddFile(f.level, m);
  }
  VersionBuilder builder{Version()};
  EXPECT_TRUE(builder.Apply(edit).ok());
  return builder.Finish();
}

std::vector<uint64_t> Numbers(const Version::FileList& files) {
  std::vector<uint64_t> n;
  for (const auto& f : files) n.push_back(f->number);
  std::sort(n.begin(), n.end());
  return n;
}

LeveledCompactionOptions Opts() {
  LeveledCompactionOptions o;
  o.level0_file_num_compaction_trigger = 2;
  o.max_bytes_for_level_base = 1000;
  o.max_bytes_for_level_multiplier = 10;
  return o;
}

}  // namespace

TEST(CompactionPickerTest, LevelTargetsAndScores) {
  const auto o = Opts();
  EXPECT_EQ(1000u, MaxBytesForLevel(1, o));
  EXPECT_EQ(10000u, MaxBytesForLevel(2, o));
  EXPECT_EQ(100000u, MaxBytesForLevel(3, o));
  EXPECT_EQ(UINT64_MAX, MaxBytesForLevel(kNumLevels - 1, o));
  auto v = Build({{0, 1, "a", "b", 10}, {1, 2, "a", "c", 500}, {6, 3, "a", "z", 1 << 30}});
  EXPECT_DOUBLE_EQ(0.5, LevelScore(*v, 0, o));
  EXPECT_DOUBLE_EQ(0.5, LevelScore(*v, 1, o));
  EXPECT_DOUBLE_EQ(0, LevelScore(*v, kNumLevels - 1, o));  // never compacted down
  EXPECT_FALSE(PickLeveledCompaction(*v, o).has_value());
  EXPECT_FALSE(PickLeveledCompaction(Version(), o).has_value());
}

TEST(CompactionPickerTest, Level0TakesEveryFileAndTheOverlapBelow) {
  auto v = Build({{0, 10, "c", "f", 10},
                  {0, 11, "e", "k", 10},
                  {1, 1, "a", "b", 100},
                  {1, 2, "d", "g", 100},
                  {1, 3, "j", "m", 100},
                  {1, 4, "n", "p", 100}});
  auto spec = PickLeveledCompaction(*v, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(0, spec->level);
  EXPECT_EQ(1, spec->output_level);
  EXPECT_DOUBLE_EQ(1.0, spec->score);
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), Numbers(spec->inputs[0]));
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), Numbers(spec->inputs[1]));  // [c, k] meets d..g, j..m
  EXPECT_FALSE(spec->trivial_move);
}

TEST(CompactionPickerTest, HighestScoreWinsAndLeastOverlapIsChosen) {
  // Level 1 at 1.5x its target, level 2 at 1.2x; level 0 below its trigger.
  auto v = Build({{0, 20, "a", "z", 10},
                  {1, 1, "a", "c", 500},   // overlaps 2000 bytes below: ratio 4
                  {1, 2, "m", "o", 1000},  // overlaps 500 bytes below: ratio 0.5
                  {2, 3, "a", "b", 1000},
                  {2, 4, "b1", "c", 1000},
                  {2, 5, "n", "n", 500},
                  {2, 6, "x", "y", 9500}});
  auto spec = PickLeveledCompaction(*v, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(1, spec->level);
  EXPECT_DOUBLE_EQ(1.5, spec->score);
  EXPECT_EQ((std::vector<uint64_t>{2}), Numbers(spec->inputs[0]));
  EXPECT_EQ((std::vector<uint64_t>{5}), Numbers(spec->inputs[1]));
}

TEST(CompactionPickerTest, AFileThatOverlapsNothingBelowIsMoved) {
  auto v = Build({{1, 1, "a", "c", 1500}, {2, 2, "m", "o", 100}});
  auto spec = PickLeveledCompaction(*v, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->trivial_move);
  EXPECT_EQ((std::vector<uint64_t>{1}), Numbers(spec->inputs[0]));
  EXPECT_TRUE(spec->inputs[1].empty());
  // Two level-0 files are never moved, even when nothing lies below.
  auto l0 = Build({{0, 1, "a", "b", 10}, {0, 2, "x", "y", 10}});
  spec = PickLeveledCompaction(*l0, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_FALSE(spec->trivial_move);
}

TEST(CompactionPickerTest, NeighboursSharingABoundaryUserKeyAreTakenTogether) {
  // Files 1 and 2 both hold versions of "k" (1's largest, 2's smallest).
  // (2 is listed first so its versions of "k" are the older ones.)
  auto v = Build({{1, 2, "k", "p", 1500}, {1, 1, "a", "k", 100}, {1, 3, "q", "z", 100}});
  auto spec = PickLeveledCompaction(*v, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{1, 2}), Numbers(spec->inputs[0]));
  EXPECT_FALSE(spec->trivial_move);
}

TEST(CompactionPickerTest, RangeCompactionTakesTheRangeAndWholeLevel0) {
  auto v = Build({{0, 10, "c", "d", 10},
                  {0, 11, "x", "y", 10},
                  {1, 1, "a", "b", 100},
                  {1, 2, "d", "g", 100},
                  {1, 3, "j", "m", 100},
                  {2, 4, "k", "z", 100}});
  const std::string_view e("e"), k("k");
  // Neither level-0 file meets [e, k]: c..d ends before it, x..y starts after it.
  EXPECT_FALSE(PickRangeCompaction(*v, 0, &e, &k).has_value());
  const std::string_view c("c");
  auto spec = PickRangeCompaction(*v, 0, &c, &k);  // meets c..d: every L0 file goes
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), Numbers(spec->inputs[0]));
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), Numbers(spec->inputs[1]));  // c..y meets d..g, j..m
  spec = PickRangeCompaction(*v, 1, &e, &k);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), Numbers(spec->inputs[0]));
  EXPECT_EQ((std::vector<uint64_t>{4}), Numbers(spec->inputs[1]));
  spec = PickRangeCompaction(*v, 1, nullptr, nullptr);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{1, 2, 3}), Numbers(spec->inputs[0]));
  EXPECT_FALSE(PickRangeCompaction(*v, kNumLevels - 1, nullptr, nullptr).has_value());
}

}  // namespace synapsed
