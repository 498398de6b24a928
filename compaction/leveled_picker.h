// Leveled compaction, as in LevelDB and RocksDB:
//   - Level 0 holds flushed tables, which may overlap; its score is
//     files / level0_file_num_compaction_trigger. It compacts, every file at
//     once (a subset could leave an older version of a key above a newer
//     one), into the base level.
//   - Levels base..last-1 are sorted and disjoint, with byte targets growing
//     by max_bytes_for_level_multiplier per level; a level's score is
//     bytes / target. The last level has no target and is never picked.
//     Static sizing: the base level is 1 with target max_bytes_for_level_base.
//     Dynamic sizing (RocksDB's level_compaction_dynamic_level_bytes): the
//     targets are derived upwards from the largest level's size, dividing by
//     the multiplier until a target fits max_bytes_for_level_base; that
//     level is the base level and the ones above it stay empty, so about
//     90% of the data is in the last level whatever the database's size.
//     A level above the base level that still holds data (the database
//     shrank) scores >= 1 and drains into the next level.
//   - The highest score >= 1 is compacted. From a level >= 1, the one file
//     whose overlap with the next level is the smallest relative to its
//     size (RocksDB's kMinOverlappingRatio: least rewriting per byte moved
//     down), widened over neighbours sharing a boundary user key (not over
//     one that a range tombstone sentinel ends just below that key).
//   - A single input file that overlaps nothing at the output level is a
//     trivial move.
//   - Outputs are cut at target_file_size_base and before one overlaps more
//     than max_compaction_bytes of the level below the output level.
//   - Level 0 never compacts past a level that holds data in its range (so
//     newer data never lands below older data while the base level moves).
#ifndef SYNAPSED_COMPACTION_LEVELED_PICKER_H_
#define SYNAPSED_COMPACTION_LEVELED_PICKER_H_

#include <array>

#include "compaction/compaction_picker.h"

namespace synapsed {

struct LeveledCompactionOptions {
  int level0_file_num_compaction_trigger = 4;
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double max_bytes_for_level_multiplier = 10;
  bool dynamic_level_bytes = false;
  uint64_t target_file_size_base = 64ull << 20;
  uint64_t max_compaction_bytes = 0;  // 0: 25 * target_file_size_base

  static LeveledCompactionOptions From(const Options& options);
};

// The base level and each level's byte target (UINT64_MAX for the last
// level; 0 for levels above the base level, which should be empty).
struct LevelTargets {
  int base_level = 1;
  std::array<uint64_t, kNumLevels> target{};
};
LevelTargets ComputeLevelTargets(const Version& version, const LeveledCompactionOptions& options);

// The level's compaction score (see above); 0 for the last level.
double LevelScore(const Version& version, int level, const LeveledCompactionOptions& options);

// Where level 0 compacts to: the base level, or the first level above it
// that holds data in level 0's range.
int Level0OutputLevel(const Version& version, const LeveledCompactionOptions& options);

// The compaction of `level` into the level below it that a manual
// compaction of the user-key range [*begin, *end] runs (a null bound is
// open): the files of `level` holding keys in the range -- from level 0
// every file or none -- and what overlaps them below. nullopt if `level`
// holds none, or is the last level.
std::optional<CompactionSpec> PickRangeCompaction(const Version& version, int level,
                                                  const std::string_view* begin,
                                                  const std::string_view* end,
                                                  const LeveledCompactionOptions& options);

// The next compaction around `running`, or nullopt when no level's score
// reaches 1 (or every candidate conflicts with a running compaction).
std::optional<CompactionSpec> PickLeveledCompaction(const Version& version,
                                                    const LeveledCompactionOptions& options,
                                                    const CompactionsInProgress& running = {});

// RocksDB's estimate of the bytes compaction must still rewrite: for each
// level over its target (level 0: at its trigger), the excess, times one
// plus the ratio of the next level's size to it.
uint64_t EstimateLeveledPendingBytes(const Version& version,
                                     const LeveledCompactionOptions& options);

class LeveledCompactionPicker final : public CompactionPicker {
 public:
  explicit LeveledCompactionPicker(const LeveledCompactionOptions& options) : options_(options) {}
  std::optional<CompactionSpec> Pick(const Version& version,
                                     const CompactionsInProgress& running) const override;
  bool NeedsCompaction(const Version& version) const override;
  std::optional<CompactionSpec> PickManual(const Version& version, int from_level,
                                           const std::string_view* begin,
                                           const std::string_view* end,
                                           int* next_level) const override;
  uint64_t EstimatePendingBytes(const Version& version) const override;
  double LevelScore(const Version& version, int level) const override;

 private:
  const LeveledCompactionOptions options_;
};

}  // namespace synapsed

#endif  // SYNAPSED_COMPACTION_LEVELED_PICKER_H_
