#include "compaction/leveled_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/internal_key.h"

namespace synapsed {

namespace {

constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

uint64_t ToBytes(double bytes) {
  return bytes >= 1.8e19 ? kUnbounded : static_cast<uint64_t>(bytes);
}

// True if a version of one user key may be in both files (left before right
// in a level). A largest key that is a range tombstone sentinel ends just
// below its user key, so such a left file shares nothing with a right file
// starting there -- and compaction outputs cut inside a tombstone are such
// pairs, which must not chain a whole level into one compaction.
bool SharesBoundary(const FileMetaData& left, const FileMetaData& right) {
  return !IsRangeTombstoneSentinel(left.largest) &&
         ExtractUserKey(left.largest) == ExtractUserKey(right.smallest);
}

void RangeOf(const Version::FileList& files, std::string_view* smallest,
             std::string_view* largest) {
  for (size_t i = 0; i < files.size(); i++) {
    const std::string_view s = ExtractUserKey(files[i]->smallest);
    const std::string_view l = ExtractUserKey(files[i]->largest);
    if (i == 0 || s < *smallest) *smallest = s;
    if (i == 0 || l > *largest) *largest = l;
  }
}

// Fills in what follows from the inputs: the output level's overlap (the
// caller checked it), trivial move, output cuts, bottommost.
CompactionSpec Finish(const Version& version, const LeveledCompactionOptions& options,
                      int level, Version::FileList level_files, int output_level,
                      Version::FileList output_files) {
  CompactionSpec spec;
  spec.output_level = output_level;
  spec.trivial_move = level_files.size() == 1 && output_files.empty();
  spec.inputs.push_back(CompactionInput{level, std::move(level_files)});
  if (!output_files.empty()) {
    spec.inputs.push_back(CompactionInput{output_level, std::move(output_files)});
  }
  spec.max_output_file_size = options.target_file_size_base;
  if (output_level + 1 < kNumLevels) {
    std::string_view smallest, largest;
    spec.InputRange(&smallest, &largest);
    spec.grandparents = OverlappingFiles(version, output_level + 1, smallest, largest);
    spec.max_grandparent_overlap_bytes = options.max_compaction_bytes != 0
                                             ? options.max_compaction_bytes
                                             : 25 * options.target_file_size_base;
  }
  SetBottommost(version, &spec);
  return spec;
}

std::optional<CompactionSpec> PickLevel0(const Version& version,
                                         const LeveledCompactionOptions& options,
                                         const CompactionsInProgress& running) {
  const Version::FileList& files = version.files(0);
  if (files.empty() || running.AnyBusy(files)) return std::nullopt;
  const int output_level = Level0OutputLevel(version, options);
  std::string_view smallest, largest;
  RangeOf(files, &smallest, &largest);
  Version::FileList below = OverlappingFiles(version, output_level, smallest, largest);
  if (running.AnyBusy(below)) return std::nullopt;
  CompactionSpec spec = Finish(version, options, 0, files, output_level, std::move(below));
  spec.InputRange(&smallest, &largest);
  if (running.OutputConflicts(output_level, smallest, largest)) return std::nullopt;
  spec.reason = CompactionReason::kLevel0Files;
  return spec;
}

std::optional<CompactionSpec> PickFromLevel(const Version& version, int level,
                                            const LeveledCompactionOptions& options,
                                            const CompactionsInProgress& running) {
  const Version::FileList& files = version.files(level);
  const int output_level = level + 1;
  // Candidates by the bytes rewritten below per byte moved down, least first.
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < files.size(); i++) {
    if (running.Busy(*files[i])) continue;
    const uint64_t overlap =
        TotalBytes(OverlappingFiles(version, output_level, ExtractUserKey(files[i]->smallest),
                                    ExtractUserKey(files[i]->largest)));
    order.emplace_back(static_cast<double>(overlap) /
                           static_cast<double>(std::max<uint64_t>(1, files[i]->file_size)),
                       i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [ratio, index] : order) {
    // Widen over neighbours that share a boundary user key.
    size_t first = index, last = index;
    while (first > 0 && SharesBoundary(*files[first - 1], *files[first])) first--;
    while (last + 1 < files.size() && SharesBoundary(*files[last], *files[last + 1])) last++;
    Version::FileList inputs(files.begin() + static_cast<std::ptrdiff_t>(first),
                             files.begin() + static_cast<std::ptrdiff_t>(last) + 1);
    if (running.AnyBusy(inputs)) continue;
    std::string_view smallest, largest;
    RangeOf(inputs, &smallest, &largest);
    Version::FileList below = OverlappingFiles(version, output_level, smallest, largest);
    if (running.AnyBusy(below)) continue;
    CompactionSpec spec =
        Finish(version, options, level, std::move(inputs), output_level, std::move(below));
    spec.InputRange(&smallest, &largest);
    if (running.OutputConflicts(output_level, smallest, largest)) continue;
    spec.reason = CompactionReason::kLevelBytes;
    return spec;
  }
  return std::nullopt;
}

}  // namespace

LeveledCompactionOptions LeveledCompactionOptions::From(const Options& o) {
  LeveledCompactionOptions l;
  l.level0_file_num_compaction_trigger = o.level0_file_num_compaction_trigger;
  l.max_bytes_for_level_base = o.max_bytes_for_level_base;
  l.max_bytes_for_level_multiplier = o.max_bytes_for_level_multiplier;
  l.dynamic_level_bytes = o.level_compaction_dynamic_level_bytes;
  l.target_file_size_base = o.target_file_size_base;
  l.max_compaction_bytes = o.max_compaction_bytes;
  return l;
}

LevelTargets ComputeLevelTargets(const Version& version, const LeveledCompactionOptions& options) {
  LevelTargets t;
  const int last = kNumLevels - 1;
  const double multiplier = std::max(1.0, options.max_bytes_for_level_multiplier);
  t.target[last] = kUnbounded;
  if (!options.dynamic_level_bytes) {
    double bytes = static_cast<double>(options.max_bytes_for_level_base);
    for (int level = 1; level < last; level++) {
      t.target[level] = ToBytes(bytes);
      bytes *= multiplier;
    }
    return t;
  }
  uint64_t largest_level = 0;
  for (int level = 1; level <= last; level++) {
    largest_level = std::max(largest_level, TotalBytes(version.files(level)));
  }
  // Walk up from the last level: each level above holds a multiplier less,
  // until that fits the base level's budget.
  double bytes = static_cast<double>(largest_level);
  int base = last;
  while (base > 1 && bytes > static_cast<double>(options.max_bytes_for_level_base)) {
    bytes /= multiplier;
    base--;
  }
  t.base_level = base;
  // A tiny base level would only make level 0 rewrite it twice.
  bytes = std::max(bytes, static_cast<double>(options.max_bytes_for_level_base) / multiplier);
  for (int level = base; level < last; level++) {
    t.target[level] = ToBytes(bytes);
    bytes *= multiplier;
  }
  return t;
}

namespace {

// LevelScore with the targets already computed.
double Score(const Version& version, int level, const LeveledCompactionOptions& options,
             const LevelTargets& t) {
  if (level >= kNumLevels - 1) return 0;
  if (level == 0) {
    return static_cast<double>(version.NumFiles(0)) /
           std::max(1, options.level0_file_num_compaction_trigger);
  }
  const uint64_t bytes = TotalBytes(version.files(level));
  if (level < t.base_level) {
    // Above the base level: should be empty; drain what is there.
    return bytes == 0 ? 0
                      : 1 + static_cast<double>(bytes) /
                                static_cast<double>(std::max<uint64_t>(
                                    1, options.max_bytes_for_level_base));
  }
  return static_cast<double>(bytes) /
         static_cast<double>(std::max<uint64_t>(1, t.target[level]));
}

}  // namespace

double LevelScore(const Version& version, int level, const LeveledCompactionOptions& options) {
  return Score(version, level, options, ComputeLevelTargets(version, options));
}

int Level0OutputLevel(const Version& version, const LeveledCompactionOptions& options) {
  const int base = ComputeLevelTargets(version, options).base_level;
  const Version::FileList& files = version.files(0);
  if (files.empty()) return base;
  std::string_view smallest, largest;
  RangeOf(files, &smallest, &largest);
  for (int level = 1; level < base; level++) {
    if (!OverlappingFiles(version, level, smallest, largest).empty()) return level;
  }
  return base;
}

std::optional<CompactionSpec> PickRangeCompaction(const Version& version, int level,
                                                  const std::string_view* begin,
                                                  const std::string_view* end,
                                                  const LeveledCompactionOptions& options) {
  if (level >= kNumLevels - 1) return std::nullopt;
  auto in_range = [&](const FileMetaData& f) {
    return (end == nullptr || ExtractUserKey(f.smallest) <= *end) &&
           (begin == nullptr || ExtractUserKey(f.largest) >= *begin);
  };
  Version::FileList inputs;
  for (const auto& f : version.files(level)) {
    if (in_range(*f)) inputs.push_back(f);
  }
  if (inputs.empty()) return std::nullopt;
  if (level == 0) inputs = version.files(0);
  const int output_level = level == 0 ? Level0OutputLevel(version, options) : level + 1;
  std::string_view smallest, largest;
  RangeOf(inputs, &smallest, &largest);
  Version::FileList below = OverlappingFiles(version, output_level, smallest, largest);
  CompactionSpec spec =
      Finish(version, options, level, std::move(inputs), output_level, std::move(below));
  spec.reason = CompactionReason::kManual;
  return spec;
}

std::optional<CompactionSpec> PickLeveledCompaction(const Version& version,
                                                    const LeveledCompactionOptions& options,
                                                    const CompactionsInProgress& running) {
  std::vector<std::pair<double, int>> due;
  const LevelTargets targets = ComputeLevelTargets(version, options);
  for (int level = 0; level < kNumLevels - 1; level++) {
    const double score = Score(version, level, options, targets);
    if (score >= 1) due.emplace_back(score, level);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [score, level] : due) {
    std::optional<CompactionSpec> spec = level == 0
                                             ? PickLevel0(version, options, running)
                                             : PickFromLevel(version, level, options, running);
    if (spec) {
      spec->score = score;
      return spec;
    }
  }
  return std::nullopt;
}

uint64_t EstimateLeveledPendingBytes(const Version& version,
                                     const LeveledCompactionOptions& options) {
  const LevelTargets t = ComputeLevelTargets(version, options);
  const uint64_t level0_bytes = TotalBytes(version.files(0));
  const bool level0_due =
      version.NumFiles(0) >= std::max(1, options.level0_file_num_compaction_trigger);
  double estimate = level0_due ? static_cast<double>(level0_bytes) : 0;
  // Bytes the level above pushes into this one.
  uint64_t incoming = level0_due ? level0_bytes : 0;
  for (int level = t.base_level; level < kNumLevels - 1; level++) {
    const uint64_t own = TotalBytes(version.files(level));
    // Level 0's compaction also rewrites the base level.
    if (level == t.base_level && level0_due) estimate += static_cast<double>(own);
    const uint64_t size = own + incoming;
    incoming = 0;
    if (size <= t.target[level]) continue;
    incoming = size - t.target[level];
    // Moving the excess down rewrites it and its share of the next level.
    const uint64_t next = TotalBytes(version.files(level + 1));
    estimate += static_cast<double>(incoming) *
                (1 + static_cast<double>(next) / static_cast<double>(std::max<uint64_t>(1, size)));
  }
  return ToBytes(estimate);
}

std::optional<CompactionSpec> LeveledCompactionPicker::Pick(
    const Version& version, const CompactionsInProgress& running) const {
  return PickLeveledCompaction(version, options_, running);
}

bool LeveledCompactionPicker::NeedsCompaction(const Version& version) const {
  const LevelTargets targets = ComputeLevelTargets(version, options_);
  for (int level = 0; level < kNumLevels - 1; level++) {
    if (Score(version, level, options_, targets) >= 1) return true;
  }
  return false;
}

std::optional<CompactionSpec> LeveledCompactionPicker::PickManual(const Version& version,
                                                                  int from_level,
                                                                  const std::string_view* begin,
                                                                  const std::string_view* end,
                                                                  int* next_level) const {
  // Level by level, everything in the range moves down, so it all ends in
  // the last level (where tombstones can go).
  for (int level = from_level; level < kNumLevels - 1; level++) {
    std::optional<CompactionSpec> spec = PickRangeCompaction(version, level, begin, end, options_);
    if (spec) {
      *next_level = level + 1;
      return spec;
    }
  }
  *next_level = kNumLevels;
  return std::nullopt;
}

uint64_t LeveledCompactionPicker::EstimatePendingBytes(const Version& version) const {
  return EstimateLeveledPendingBytes(version, options_);
}

double LeveledCompactionPicker::LevelScore(const Version& version, int level) const {
  return synapsed::LevelScore(version, level, options_);
}

}  // namespace synapsed
