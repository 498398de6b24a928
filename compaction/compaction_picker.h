// Compaction pickers: which table files to merge next. Each policy is a pure
// function of the current version and its options, so it is tested from
// tables of inputs (compaction_picker_test.cc) without a database.
//
// Leveled (this file's PickLeveledCompaction), as in LevelDB and RocksDB:
//   - Level 0 holds flushed tables, which may overlap. Its score is
//     files / level0_file_num_compaction_trigger.
//   - Level n >= 1 is sorted and disjoint, with a byte target of
//     max_bytes_for_level_base * multiplier^(n-1); its score is
//     bytes / target. The last level has no target and is never picked.
//   - The level with the highest score >= 1 is compacted into the next one.
//     From level 0 every file is taken (a subset could leave an older
//     version of a key above a newer one); from level n >= 1 the one file
//     whose overlap with level n+1 is the smallest relative to its size
//     (RocksDB's kMinOverlappingRatio: least rewriting per byte moved down).
//   - A single input file that overlaps nothing below is a trivial move:
//     the MANIFEST moves it down a level, no bytes are rewritten.
//
// Invariant relied on (and kept by the compaction job, which cuts output
// files only between user keys): no user key spans two files of one level
// >= 1. The picker still widens a level-n input over neighbours that share a
// boundary user key, so a version that broke it would not lose data.
//
// Thread safety: pure functions; the Version is immutable.
#ifndef SYNAPSED_COMPACTION_COMPACTION_PICKER_H_
#define SYNAPSED_COMPACTION_COMPACTION_PICKER_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/version_set.h"

namespace synapsed {

struct LeveledCompactionOptions {
  int level0_file_num_compaction_trigger = 4;
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double max_bytes_for_level_multiplier = 10;
};

// What to merge: inputs[0] from `level`, inputs[1] from `output_level`
// (level + 1), written to output_level.
struct CompactionSpec {
  int level = 0;
  int output_level = 1;
  double score = 0;
  Version::FileList inputs[2];
  // inputs[0] is one file and inputs[1] is empty: move it, rewrite nothing.
  bool trivial_move = false;
};

// The byte target of level >= 1 (the last level's is unbounded).
uint64_t MaxBytesForLevel(int level, const LeveledCompactionOptions& options);

// The level's compaction score (see above); 0 for the last level.
double LevelScore(const Version& version, int level, const LeveledCompactionOptions& options);

// The files of `level` whose user-key range meets [smallest, largest]
// (user keys, inclusive), in the level's order.
Version::FileList OverlappingFiles(const Version& version, int level,
                                   std::string_view smallest_user_key,
                                   std::string_view largest_user_key);

// The compaction of `level` into level + 1 that a manual compaction of the
// user-key range [*begin, *end] runs (a null bound is open): the files of
// `level` holding keys in the range -- from level 0 every file or none, as
// above -- and what overlaps them below. nullopt if `level` holds none, or
// is the last level.
std::optional<CompactionSpec> PickRangeCompaction(const Version& version, int level,
                                                  const std::string_view* begin,
                                                  const std::string_view* end);

// The next compaction, or nullopt when no level's score reaches 1.
std::optional<CompactionSpec> PickLeveledCompaction(const Version& version,
                                                    const LeveledCompactionOptions& options);

}  // namespace synapsed

#endif  // SYNAPSED_COMPACTION_COMPACTION_PICKER_H_
