// Universal compaction (RocksDB's "tiered" style): the database is a list of
// sorted runs, newest first -- each level-0 file is one run, then each
// non-empty level >= 1 is one run. Nothing is due while there are fewer runs
// than level0_file_num_compaction_trigger; then, in this order:
//   1. Space amplification: when the runs above the oldest hold more than
//      max_size_amplification_percent of the oldest run's bytes, every run
//      is merged into one.
//   2. Size ratio: from the newest run not being compacted, runs are added
//      while the next older one is at most (100 + size_ratio)% of the bytes
//      picked so far; at least min_merge_width and at most max_merge_width
//      runs are merged.
//   3. Run count: with more runs than the trigger, the newest ones are
//      merged until the count is back at the trigger.
// A merge of consecutive runs writes to the level just above the next older
// run (level 0 if that run is a level-0 file: one output file), or to the
// last level when it takes the oldest run, so runs stay ordered by age.
// Runs in a running compaction are skipped, and a merge never spans one.
#ifndef SYNAPSED_COMPACTION_UNIVERSAL_PICKER_H_
#define SYNAPSED_COMPACTION_UNIVERSAL_PICKER_H_

#include "compaction/compaction_picker.h"

namespace synapsed {

struct UniversalPickerOptions {
  int level0_file_num_compaction_trigger = 4;
  UniversalCompactionOptions universal;
  uint64_t target_file_size_base = 64ull << 20;

  static UniversalPickerOptions From(const Options& options);
};

// One sorted run: a level-0 file, or a whole level >= 1.
struct SortedRun {
  int level = 0;
  Version::FileList files;
  uint64_t bytes = 0;
};
// The version's sorted runs, newest first.
std::vector<SortedRun> SortedRuns(const Version& version);

class UniversalCompactionPicker final : public CompactionPicker {
 public:
  explicit UniversalCompactionPicker(const UniversalPickerOptions& options) : options_(options) {}
  std::optional<CompactionSpec> Pick(const Version& version,
                                     const CompactionsInProgress& running) const override;
  bool NeedsCompaction(const Version& version) const override;
  // Every run merged into the last level, if any file meets the range (and
  // there is more than one run, or the one run is not yet in the last level).
  std::optional<CompactionSpec> PickManual(const Version& version, int from_level,
                                           const std::string_view* begin,
                                           const std::string_view* end,
                                           int* next_level) const override;
  // When a merge is due: the bytes of every run but the oldest (what the
  // next merges read), plus the oldest run's when the space-amplification
  // merge is due; else 0.
  uint64_t EstimatePendingBytes(const Version& version) const override;
  // Level 0: runs / trigger; every other level: the same when it is a run.
  double LevelScore(const Version& version, int level) const override;

 private:
  // The merge of runs [first, last) into a spec.
  CompactionSpec Merge(const Version& version, const std::vector<SortedRun>& runs, size_t first,
                       size_t last, CompactionReason reason) const;

  const UniversalPickerOptions options_;
};

}  // namespace synapsed

#endif  // SYNAPSED_COMPACTION_UNIVERSAL_PICKER_H_
