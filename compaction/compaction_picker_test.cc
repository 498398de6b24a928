// The leveled picker from tables of inputs: versions built by hand, the
// compaction it must choose.
#include "compaction/leveled_picker.h"

#include <gtest/gtest.h>

#include "compaction/picker_test_util.h"

namespace synapsed {

namespace {

using test::At;
using test::Build;
using test::Numbers;

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
  const LevelTargets t = ComputeLevelTargets(Version(), o);
  EXPECT_EQ(1, t.base_level);
  EXPECT_EQ(1000u, t.target[1]);
  EXPECT_EQ(10000u, t.target[2]);
  EXPECT_EQ(100000u, t.target[3]);
  EXPECT_EQ(UINT64_MAX, t.target[kNumLevels - 1]);
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
  EXPECT_EQ(0, spec->inputs[0].level);
  EXPECT_EQ(1, spec->output_level);
  EXPECT_EQ(CompactionReason::kLevel0Files, spec->reason);
  EXPECT_DOUBLE_EQ(1.0, spec->score);
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), At(*spec, 0));
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), At(*spec, 1));  // [c, k] meets d..g, j..m
  EXPECT_FALSE(spec->trivial_move);
  EXPECT_TRUE(spec->bottommost);
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
  EXPECT_EQ(1, spec->inputs[0].level);
  EXPECT_DOUBLE_EQ(1.5, spec->score);
  EXPECT_EQ((std::vector<uint64_t>{2}), At(*spec, 1));
  EXPECT_EQ((std::vector<uint64_t>{5}), At(*spec, 2));
}

TEST(CompactionPickerTest, AFileThatOverlapsNothingBelowIsMoved) {
  auto v = Build({{1, 1, "a", "c", 1500}, {2, 2, "m", "o", 100}});
  auto spec = PickLeveledCompaction(*v, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->trivial_move);
  EXPECT_EQ((std::vector<uint64_t>{1}), At(*spec, 1));
  EXPECT_EQ(1u, spec->inputs.size());
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
  EXPECT_EQ((std::vector<uint64_t>{1, 2}), At(*spec, 1));
  EXPECT_FALSE(spec->trivial_move);
}

// A file whose largest key is a range tombstone sentinel at "k" ends just
// below "k": it shares no key with a neighbour starting at "k" (as the
// outputs of a compaction cut inside a tombstone do), so it is not widened
// over it.
TEST(CompactionPickerTest, ASentinelBoundaryIsNotShared) {
  auto v = Build({{1, 2, "k", "p", 1500}, {1, 1, "a", "k", 100}, {1, 3, "q", "z", 100}});
  VersionEdit edit;
  FileMetaData one = *v->files(1)[0];
  ASSERT_EQ(1u, one.number);
  one.largest.clear();
  AppendRangeTombstoneSentinel(&one.largest, "k");
  edit.DeleteFile(1, 1);
  edit.AddFile(1, one);
  VersionBuilder builder(*v);
  ASSERT_TRUE(builder.Apply(edit).ok());
  auto w = builder.Finish();
  auto spec = PickLeveledCompaction(*w, Opts());
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{1}), At(*spec, 1));
  EXPECT_TRUE(spec->trivial_move);
}

TEST(CompactionPickerTest, RangeCompactionTakesTheRangeAndWholeLevel0) {
  auto v = Build({{0, 10, "c", "d", 10},
                  {0, 11, "x", "y", 10},
                  {1, 1, "a", "b", 100},
                  {1, 2, "d", "g", 100},
                  {1, 3, "j", "m", 100},
                  {2, 4, "k", "z", 100}});
  const auto o = Opts();
  const std::string_view e("e"), k("k");
  // Neither level-0 file meets [e, k]: c..d ends before it, x..y starts after it.
  EXPECT_FALSE(PickRangeCompaction(*v, 0, &e, &k, o).has_value());
  const std::string_view c("c");
  auto spec = PickRangeCompaction(*v, 0, &c, &k, o);  // meets c..d: every L0 file goes
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(CompactionReason::kManual, spec->reason);
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), At(*spec, 0));
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), At(*spec, 1));  // c..y meets d..g, j..m
  spec = PickRangeCompaction(*v, 1, &e, &k, o);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{2, 3}), At(*spec, 1));
  EXPECT_EQ((std::vector<uint64_t>{4}), At(*spec, 2));
  spec = PickRangeCompaction(*v, 1, nullptr, nullptr, o);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{1, 2, 3}), At(*spec, 1));
  EXPECT_FALSE(PickRangeCompaction(*v, kNumLevels - 1, nullptr, nullptr, o).has_value());
}

TEST(CompactionPickerTest, DynamicTargetsGrowUpFromTheLargestLevel) {
  auto o = Opts();
  o.dynamic_level_bytes = true;
  // Empty: level 0 goes straight to the last level.
  EXPECT_EQ(kNumLevels - 1, ComputeLevelTargets(Version(), o).base_level);
  // 500 bytes fit the base budget (1000): still the last level.
  EXPECT_EQ(kNumLevels - 1, ComputeLevelTargets(*Build({{6, 1, "a", "z", 500}}), o).base_level);
  // 50,000 bytes: 5,000 above it (too big), 500 above that (fits).
  const LevelTargets t = ComputeLevelTargets(*Build({{6, 1, "a", "z", 50000}}), o);
  EXPECT_EQ(4, t.base_level);
  EXPECT_EQ(500u, t.target[4]);
  EXPECT_EQ(5000u, t.target[5]);
  EXPECT_EQ(UINT64_MAX, t.target[6]);
  EXPECT_EQ(0u, t.target[1]);
  // A base target below a tenth of the budget is raised to it.
  EXPECT_EQ(100u, ComputeLevelTargets(*Build({{6, 1, "a", "z", 1001}}), o).target[5]);
}

TEST(CompactionPickerTest, DynamicLevel0GoesToTheBaseLevelUnlessDataSitsAbove) {
  auto o = Opts();
  o.dynamic_level_bytes = true;
  auto v = Build({{0, 10, "a", "c", 10}, {0, 11, "b", "d", 10}, {6, 1, "a", "z", 50000}});
  auto spec = PickLeveledCompaction(*v, o);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(4, spec->output_level);  // the base level; nothing there yet
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), At(*spec, 0));
  EXPECT_FALSE(spec->bottommost);  // level 6 holds the range
  // Level 2 (above the base level) still holds data in range: level 0
  // must not pass it, and level 2 drains downwards first.
  v = Build({{0, 10, "a", "c", 10}, {0, 11, "b", "d", 10}, {2, 2, "c", "e", 10},
             {6, 1, "a", "z", 50000}});
  EXPECT_EQ(2, Level0OutputLevel(*v, o));
  EXPECT_GE(LevelScore(*v, 2, o), 1.0);
  // Data above the base level but outside level 0's range does not matter.
  v = Build({{0, 10, "a", "c", 10}, {2, 2, "x", "y", 10}, {6, 1, "a", "z", 50000}});
  EXPECT_EQ(4, Level0OutputLevel(*v, o));
}

TEST(CompactionPickerTest, RunningCompactionsAreChosenAround) {
  auto o = Opts();
  auto v = Build({{0, 10, "a", "c", 10},
                  {0, 11, "b", "d", 10},
                  {1, 1, "a", "b", 600},
                  {1, 2, "m", "n", 900},
                  {2, 3, "m", "m", 100}});
  CompactionsInProgress running;
  auto first = PickLeveledCompaction(*v, o, running);  // level 1 scores 1.5, level 0 1.0
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((std::vector<uint64_t>{1}), At(*first, 1));  // overlaps nothing: ratio 0
  running.Add(*first);
  // File 1 is busy: level 1's other file (its overlap is free) comes next.
  auto second = PickLeveledCompaction(*v, o, running);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((std::vector<uint64_t>{2}), At(*second, 1));
  EXPECT_EQ((std::vector<uint64_t>{3}), At(*second, 2));
  running.Add(*second);
  // Level 0 would need file 1 below it: nothing else can start.
  EXPECT_FALSE(PickLeveledCompaction(*v, o, running).has_value());
  running.Remove(*second);
  auto third = PickLeveledCompaction(*v, o, running);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ((std::vector<uint64_t>{2}), At(*third, 1));
  running.Remove(*first);
  EXPECT_TRUE(running.files.empty());
  EXPECT_TRUE(running.outputs.empty());
  // An output range a running compaction writes to is not written twice.
  running.outputs.push_back({1, "a", "z"});
  EXPECT_TRUE(running.OutputConflicts(1, "c", "d"));
  EXPECT_FALSE(running.OutputConflicts(2, "c", "d"));
  EXPECT_FALSE(running.OutputConflicts(0, "c", "d"));
}

TEST(CompactionPickerTest, GrandparentsAndBottommost) {
  auto o = Opts();
  o.target_file_size_base = 300;
  auto v = Build({{1, 1, "c", "h", 1500},
                  {2, 2, "a", "d", 100},
                  {3, 3, "a", "b", 100},
                  {3, 4, "e", "f", 100},
                  {3, 5, "x", "y", 100}});
  auto spec = PickLeveledCompaction(*v, o);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(2, spec->output_level);
  EXPECT_EQ((std::vector<uint64_t>{3, 4}), Numbers(spec->grandparents));  // a..h meets a..b, e..f
  EXPECT_EQ(25 * 300u, spec->max_grandparent_overlap_bytes);
  EXPECT_EQ(300u, spec->max_output_file_size);
  EXPECT_FALSE(spec->bottommost);
  o.max_compaction_bytes = 1234;
  EXPECT_EQ(1234u, PickLeveledCompaction(*v, o)->max_grandparent_overlap_bytes);
}

TEST(CompactionPickerTest, PendingBytesFollowRocksDBsEstimate) {
  auto o = Opts();
  EXPECT_EQ(0u, EstimateLeveledPendingBytes(Version(), o));
  // Level 1 at 1500 of 1000: 500 bytes go down into a level 2 of 2000
  // (ratio 2000/1500), so 500 * (1 + 4/3) = 1166.
  auto v = Build({{1, 1, "a", "c", 1500}, {2, 2, "a", "z", 2000}});
  EXPECT_EQ(1166u, EstimateLeveledPendingBytes(*v, o));
  // Level 0 at its trigger adds its bytes and level 1's, and pushes its
  // bytes into level 1: 20 + 1500 + (1520 - 1000) * (1 + 2000/1520) = 2724.
  v = Build({{0, 10, "a", "b", 10}, {0, 11, "a", "b", 10}, {1, 1, "a", "c", 1500},
             {2, 2, "a", "z", 2000}});
  EXPECT_EQ(2724u, EstimateLeveledPendingBytes(*v, o));
}

}  // namespace synapsed
