// The universal picker from tables of inputs. Level-0 files are listed
// oldest first (test::Build gives later files larger sequences), so the
// newest run is the last level-0 file listed.
#include "compaction/universal_picker.h"

#include <gtest/gtest.h>

#include "compaction/picker_test_util.h"

namespace synapsed {

namespace {

using test::At;
using test::Build;
using test::Numbers;

UniversalPickerOptions Opts() {
  UniversalPickerOptions o;
  o.level0_file_num_compaction_trigger = 4;
  o.target_file_size_base = 1000;
  return o;
}

std::vector<uint64_t> RunBytes(const Version& v) {
  std::vector<uint64_t> bytes;
  for (const SortedRun& r : SortedRuns(v)) bytes.push_back(r.bytes);
  return bytes;
}

}  // namespace

TEST(UniversalPickerTest, SortedRunsAreLevel0FilesNewestFirstThenLevels) {
  auto v = Build({{6, 1, "a", "m", 500}, {6, 2, "n", "z", 500}, {3, 3, "a", "z", 70},
                  {0, 10, "a", "z", 30}, {0, 11, "a", "z", 20}});
  EXPECT_EQ((std::vector<uint64_t>{20, 30, 70, 1000}), RunBytes(*v));
  EXPECT_EQ(3, SortedRuns(*v)[2].level);
}

TEST(UniversalPickerTest, NothingBelowTheTrigger) {
  UniversalCompactionPicker picker(Opts());
  auto v = Build({{6, 1, "a", "z", 1}, {0, 10, "a", "z", 100}, {0, 11, "a", "z", 100}});
  EXPECT_FALSE(picker.Pick(*v, {}).has_value());
  EXPECT_FALSE(picker.NeedsCompaction(*v));
  EXPECT_EQ(0u, picker.EstimatePendingBytes(*v));
}

TEST(UniversalPickerTest, SpaceAmplificationMergesEverything) {
  UniversalCompactionPicker picker(Opts());
  // 300 bytes above a 100-byte oldest run: 300% > 200%.
  auto v = Build({{6, 1, "a", "z", 100}, {0, 10, "a", "z", 100}, {0, 11, "a", "z", 100},
                  {0, 12, "a", "z", 100}});
  auto spec = picker.Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(CompactionReason::kUniversalSpaceAmp, spec->reason);
  EXPECT_EQ(kNumLevels - 1, spec->output_level);
  EXPECT_EQ((std::vector<uint64_t>{10, 11, 12}), At(*spec, 0));
  EXPECT_EQ((std::vector<uint64_t>{1}), At(*spec, 6));
  EXPECT_TRUE(spec->bottommost);
  EXPECT_EQ(1000u, spec->max_output_file_size);
  EXPECT_EQ(400u, picker.EstimatePendingBytes(*v));
}

TEST(UniversalPickerTest, SizeRatioMergesSimilarRunsIntoLevel0) {
  UniversalCompactionPicker picker(Opts());
  // Newest first: 10, 10, 10, 100, then 10,000 in level 6.
  auto v = Build({{6, 1, "a", "z", 10000}, {0, 10, "a", "z", 100}, {0, 11, "a", "z", 10},
                  {0, 12, "a", "z", 10}, {0, 13, "a", "z", 10}});
  auto spec = picker.Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(CompactionReason::kUniversalSizeRatio, spec->reason);
  EXPECT_EQ((std::vector<uint64_t>{11, 12, 13}), At(*spec, 0));  // 100 > 1.01 * 30
  EXPECT_EQ(0, spec->output_level);  // the next older run is a level-0 file
  EXPECT_EQ(UINT64_MAX, spec->max_output_file_size);  // one run, one file
  EXPECT_FALSE(spec->bottommost);
  EXPECT_EQ(130u, picker.EstimatePendingBytes(*v));
  // A wider ratio takes the 100 too, and the merge then ends above level 6.
  auto wide = Opts();
  wide.universal.size_ratio = 300;
  spec = UniversalCompactionPicker(wide).Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{10, 11, 12, 13}), At(*spec, 0));
  EXPECT_EQ(kNumLevels - 2, spec->output_level);
  // max_merge_width bounds the merge.
  auto narrow = Opts();
  narrow.universal.max_merge_width = 2;
  spec = UniversalCompactionPicker(narrow).Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{12, 13}), At(*spec, 0));
}

TEST(UniversalPickerTest, AMergeEndsJustAboveTheNextOlderRun) {
  UniversalCompactionPicker picker(Opts());
  auto v = Build({{6, 1, "a", "z", 1000}, {3, 2, "a", "z", 20}, {0, 10, "a", "z", 10},
                  {0, 11, "a", "z", 10}});
  auto spec = picker.Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), At(*spec, 0));
  EXPECT_EQ((std::vector<uint64_t>{2}), At(*spec, 3));
  EXPECT_EQ(5, spec->output_level);
}

TEST(UniversalPickerTest, RunCountIsBroughtBackToTheTrigger) {
  UniversalCompactionPicker picker(Opts());
  // Newest first 1, 100, 10,000, then 10^6 in level 5 and 10^8 in level 6:
  // no ratio fits, space amplification is low, but 5 runs > 4.
  auto v = Build({{6, 1, "a", "z", 100000000}, {5, 2, "a", "z", 1000000},
                  {0, 10, "a", "z", 10000}, {0, 11, "a", "z", 100}, {0, 12, "a", "z", 1}});
  auto spec = picker.Pick(*v, {});
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(CompactionReason::kUniversalRunCount, spec->reason);
  EXPECT_EQ((std::vector<uint64_t>{11, 12}), At(*spec, 0));
  EXPECT_EQ(0, spec->output_level);
}

TEST(UniversalPickerTest, BusyRunsAreSkippedAndNeverSpanned) {
  UniversalCompactionPicker picker(Opts());
  auto v = Build({{6, 1, "a", "z", 10000}, {0, 10, "a", "z", 10}, {0, 11, "a", "z", 10},
                  {0, 12, "a", "z", 10}, {0, 13, "a", "z", 10}});
  CompactionsInProgress running;
  running.files.insert(12);  // the second newest run
  auto spec = picker.Pick(*v, running);
  ASSERT_TRUE(spec.has_value());
  // Run 0 alone is too narrow; from run 2 on: 11 and 10.
  EXPECT_EQ((std::vector<uint64_t>{10, 11}), At(*spec, 0));
  EXPECT_EQ(kNumLevels - 2, spec->output_level);
  running.files.insert(10);
  EXPECT_FALSE(picker.Pick(*v, running).has_value());
}

TEST(UniversalPickerTest, ManualCompactionMergesEveryRunIntoTheLastLevel) {
  UniversalCompactionPicker picker(Opts());
  auto v = Build({{6, 1, "a", "k", 100}, {0, 10, "m", "z", 10}});
  int next = 0;
  auto spec = picker.PickManual(*v, 0, nullptr, nullptr, &next);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(CompactionReason::kManual, spec->reason);
  EXPECT_EQ(kNumLevels - 1, spec->output_level);
  EXPECT_EQ((std::vector<uint64_t>{10}), At(*spec, 0));
  EXPECT_EQ((std::vector<uint64_t>{1}), At(*spec, 6));
  EXPECT_FALSE(picker.PickManual(*v, next, nullptr, nullptr, &next).has_value());
  const std::string_view b("b0"), c("c");
  EXPECT_TRUE(picker.PickManual(*v, 0, &b, &c, &next).has_value());
  const std::string_view k0("k0"), l("l");
  EXPECT_FALSE(picker.PickManual(*v, 0, &k0, &l, &next).has_value());  // between the files
  // One run already in the last level: nothing to do.
  EXPECT_FALSE(picker.PickManual(*Build({{6, 1, "a", "k", 100}}), 0, nullptr, nullptr, &next)
                   .has_value());
  // One level-0 run goes down (its tombstones can then be dropped).
  EXPECT_TRUE(picker.PickManual(*Build({{0, 1, "a", "k", 100}}), 0, nullptr, nullptr, &next)
                  .has_value());
}

}  // namespace synapsed
