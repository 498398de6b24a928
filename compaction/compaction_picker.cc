#include "compaction/compaction_picker.h"

#include <cmath>
#include <limits>

#include "util/internal_key.h"

namespace synapsed {

namespace {

uint64_t TotalBytes(const Version::FileList& files) {
  uint64_t total = 0;
  for (const auto& f : files) total += f->file_size;
  return total;
}

std::string_view SmallestUserKey(const FileMetaData& f) { return ExtractUserKey(f.smallest); }
std::string_view LargestUserKey(const FileMetaData& f) { return ExtractUserKey(f.largest); }

// The user-key range covered by files.
void RangeOf(const Version::FileList& files, std::string_view* smallest,
             std::string_view* largest) {
  for (size_t i = 0; i < files.size(); i++) {
    const std::string_view s = SmallestUserKey(*files[i]);
    const std::string_view l = LargestUserKey(*files[i]);
    if (i == 0 || s < *smallest) *smallest = s;
    if (i == 0 || l > *largest) *largest = l;
  }
}

}  // namespace

uint64_t MaxBytesForLevel(int level, const LeveledCompactionOptions& options) {
  if (level >= kNumLevels - 1) return std::numeric_limits<uint64_t>::max();
  double bytes = static_cast<double>(options.max_bytes_for_level_base);
  for (int l = 1; l < level; l++) bytes *= options.max_bytes_for_level_multiplier;
  return bytes >= 1.8e19 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(bytes);
}

double LevelScore(const Version& version, int level, const LeveledCompactionOptions& options) {
  if (level >= kNumLevels - 1) return 0;
  if (level == 0) {
    return static_cast<double>(version.NumFiles(0)) /
           std::max(1, options.level0_file_num_compaction_trigger);
  }
  return static_cast<double>(TotalBytes(version.files(level))) /
         static_cast<double>(std::max<uint64_t>(1, MaxBytesForLevel(level, options)));
}

Version::FileList OverlappingFiles(const Version& version, int level,
                                   std::string_view smallest_user_key,
                                   std::string_view largest_user_key) {
  Version::FileList result;
  for (const auto& f : version.files(level)) {
    if (LargestUserKey(*f) < smallest_user_key || SmallestUserKey(*f) > largest_user_key) continue;
    result.push_back(f);
  }
  return result;
}

std::optional<CompactionSpec> PickRangeCompaction(const Version& version, int level,
                                                  const std::string_view* begin,
                                                  const std::string_view* end) {
  if (level >= kNumLevels - 1) return std::nullopt;
  auto in_range = [&](const FileMetaData& f) {
    return (end == nullptr || SmallestUserKey(f) <= *end) &&
           (begin == nullptr || LargestUserKey(f) >= *begin);
  };
  CompactionSpec spec;
  spec.level = level;
  spec.output_level = level + 1;
  for (const auto& f : version.files(level)) {
    if (in_range(*f)) spec.inputs[0].push_back(f);
  }
  if (spec.inputs[0].empty()) return std::nullopt;
  if (level == 0) spec.inputs[0] = version.files(0);
  std::string_view smallest, largest;
  RangeOf(spec.inputs[0], &smallest, &largest);
  spec.inputs[1] = OverlappingFiles(version, spec.output_level, smallest, largest);
  spec.trivial_move = spec.inputs[0].size() == 1 && spec.inputs[1].empty();
  return spec;
}

std::optional<CompactionSpec> PickLeveledCompaction(const Version& version,
                                                    const LeveledCompactionOptions& options) {
  int best_level = -1;
  double best_score = 0;
  for (int level = 0; level < kNumLevels - 1; level++) {
    const double score = LevelScore(version, level, options);
    if (score >= 1 && score > best_score) {
      best_score = score;
      best_level = level;
    }
  }
  if (best_level < 0) return std::nullopt;

  CompactionSpec spec;
  spec.level = best_level;
  spec.output_level = best_level + 1;
  spec.score = best_score;
  const Version::FileList& files = version.files(best_level);
  if (best_level == 0) {
    spec.inputs[0] = files;
  } else {
    // The file that moves the most bytes down per byte rewritten below.
    size_t best = 0;
    double best_ratio = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < files.size(); i++) {
      const uint64_t overlap = TotalBytes(OverlappingFiles(
          version, spec.output_level, SmallestUserKey(*files[i]), LargestUserKey(*files[i])));
      const double ratio =
          static_cast<double>(overlap) / static_cast<double>(std::max<uint64_t>(1, files[i]->file_size));
      if (ratio < best_ratio) {
        best_ratio = ratio;
        best = i;
      }
    }
    // Widen over neighbours that share a boundary user key.
    size_t first = best, last = best;
    while (first > 0 && LargestUserKey(*files[first - 1]) == SmallestUserKey(*files[first])) first--;
    while (last + 1 < files.size() &&
           SmallestUserKey(*files[last + 1]) == LargestUserKey(*files[last])) {
      last++;
    }
    spec.inputs[0].assign(files.begin() + static_cast<std::ptrdiff_t>(first),
                          files.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  }
  std::string_view smallest, largest;
  RangeOf(spec.inputs[0], &smallest, &largest);
  spec.inputs[1] = OverlappingFiles(version, spec.output_level, smallest, largest);
  spec.trivial_move = spec.inputs[0].size() == 1 && spec.inputs[1].empty();
  return spec;
}

}  // namespace synapsed
