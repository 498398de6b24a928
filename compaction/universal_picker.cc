#include "compaction/universal_picker.h"

#include <algorithm>

#include "util/internal_key.h"

namespace synapsed {

namespace {

bool RunBusy(const SortedRun& run, const CompactionsInProgress& running) {
  return running.AnyBusy(run.files);
}

}  // namespace

UniversalPickerOptions UniversalPickerOptions::From(const Options& o) {
  UniversalPickerOptions u;
  u.level0_file_num_compaction_trigger = o.level0_file_num_compaction_trigger;
  u.universal = o.compaction_options_universal;
  u.target_file_size_base = o.target_file_size_base;
  return u;
}

std::vector<SortedRun> SortedRuns(const Version& version) {
  std::vector<SortedRun> runs;
  for (const auto& f : version.files(0)) {  // newest first
    runs.push_back(SortedRun{0, {f}, f->file_size});
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (version.files(level).empty()) continue;
    runs.push_back(SortedRun{level, version.files(level), TotalBytes(version.files(level))});
  }
  return runs;
}

CompactionSpec UniversalCompactionPicker::Merge(const Version& version,
                                                const std::vector<SortedRun>& runs, size_t first,
                                                size_t last, CompactionReason reason) const {
  CompactionSpec spec;
  spec.reason = reason;
  for (size_t i = first; i < last; i++) {
    if (!spec.inputs.empty() && spec.inputs.back().level == runs[i].level) {
      // Consecutive level-0 runs share one input entry (newest first).
      spec.inputs.back().files.push_back(runs[i].files[0]);
    } else {
      spec.inputs.push_back(CompactionInput{runs[i].level, runs[i].files});
    }
  }
  if (last == runs.size()) {
    spec.output_level = kNumLevels - 1;
  } else {
    spec.output_level = runs[last].level == 0 ? 0 : runs[last].level - 1;
  }
  // A level-0 output is one run, so one file; a level is cut into files.
  spec.max_output_file_size = spec.output_level == 0 ? UINT64_MAX : options_.target_file_size_base;
  SetBottommost(version, &spec);
  return spec;
}

std::optional<CompactionSpec> UniversalCompactionPicker::Pick(
    const Version& version, const CompactionsInProgress& running) const {
  const std::vector<SortedRun> runs = SortedRuns(version);
  const size_t n = runs.size();
  const size_t trigger = static_cast<size_t>(std::max(2, options_.level0_file_num_compaction_trigger));
  if (n < trigger) return std::nullopt;
  const UniversalCompactionOptions& u = options_.universal;
  auto accept = [&](CompactionSpec spec) -> std::optional<CompactionSpec> {
    std::string_view smallest, largest;
    spec.InputRange(&smallest, &largest);
    if (running.OutputConflicts(spec.output_level, smallest, largest)) return std::nullopt;
    spec.score = static_cast<double>(n) / static_cast<double>(trigger);
    return spec;
  };

  // 1. Space amplification: everything into one run.
  bool any_busy = false;
  uint64_t newer_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    any_busy = any_busy || RunBusy(runs[i], running);
    if (i + 1 < n) newer_bytes += runs[i].bytes;
  }
  if (!any_busy && static_cast<double>(newer_bytes) * 100 >
                       static_cast<double>(u.max_size_amplification_percent) *
                           static_cast<double>(runs[n - 1].bytes)) {
    return accept(Merge(version, runs, 0, n, CompactionReason::kUniversalSpaceAmp));
  }

  // 2. Size ratio.
  const size_t min_width = std::max<size_t>(2, u.min_merge_width);
  const size_t max_width = std::max<size_t>(min_width, u.max_merge_width);
  for (size_t first = 0; first < n; first++) {
    if (RunBusy(runs[first], running)) continue;
    double picked = static_cast<double>(runs[first].bytes);
    size_t last = first + 1;
    while (last < n && last - first < max_width && !RunBusy(runs[last], running) &&
           picked * (100.0 + u.size_ratio) / 100.0 >= static_cast<double>(runs[last].bytes)) {
      picked += static_cast<double>(runs[last].bytes);
      last++;
    }
    if (last - first >= min_width) {
      std::optional<CompactionSpec> spec =
          accept(Merge(version, runs, first, last, CompactionReason::kUniversalSizeRatio));
      if (spec) return spec;
    }
  }

  // 3. Run count: merge the newest runs until the count is the trigger's.
  if (n > trigger) {
    const size_t want = std::min(max_width, std::max<size_t>(2, n - trigger + 1));
    size_t first = 0;
    while (first < n && RunBusy(runs[first], running)) first++;
    size_t last = first;
    while (last < n && last - first < want && !RunBusy(runs[last], running)) last++;
    if (last - first >= 2) {
      return accept(Merge(version, runs, first, last, CompactionReason::kUniversalRunCount));
    }
  }
  return std::nullopt;
}

bool UniversalCompactionPicker::NeedsCompaction(const Version& version) const {
  return Pick(version, CompactionsInProgress()).has_value();
}

std::optional<CompactionSpec> UniversalCompactionPicker::PickManual(
    const Version& version, int from_level, const std::string_view* begin,
    const std::string_view* end, int* next_level) const {
  *next_level = kNumLevels;  // one step does it all
  if (from_level > 0) return std::nullopt;
  const std::vector<SortedRun> runs = SortedRuns(version);
  if (runs.empty()) return std::nullopt;
  if (runs.size() == 1 && runs[0].level == kNumLevels - 1) return std::nullopt;
  bool meets = false;
  for (int level = 0; level < kNumLevels && !meets; level++) {
    for (const auto& f : version.files(level)) {
      if ((end == nullptr || ExtractUserKey(f->smallest) <= *end) &&
          (begin == nullptr || ExtractUserKey(f->largest) >= *begin)) {
        meets = true;
        break;
      }
    }
  }
  if (!meets) return std::nullopt;
  return Merge(version, runs, 0, runs.size(), CompactionReason::kManual);
}

uint64_t UniversalCompactionPicker::EstimatePendingBytes(const Version& version) const {
  if (!NeedsCompaction(version)) return 0;
  const std::vector<SortedRun> runs = SortedRuns(version);
  uint64_t newer = 0;
  for (size_t i = 0; i + 1 < runs.size(); i++) newer += runs[i].bytes;
  const uint64_t oldest = runs.back().bytes;
  const bool space_amp_due = static_cast<double>(newer) * 100 >
                             static_cast<double>(options_.universal.max_size_amplification_percent) *
                                 static_cast<double>(oldest);
  return space_amp_due ? newer + oldest : newer;
}

double UniversalCompactionPicker::LevelScore(const Version& version, int level) const {
  if (level > 0 && version.files(level).empty()) return 0;
  if (level == 0 && version.files(0).empty()) return 0;
  const double trigger = std::max(2, options_.level0_file_num_compaction_trigger);
  return static_cast<double>(SortedRuns(version).size()) / trigger;
}

}  // namespace synapsed
