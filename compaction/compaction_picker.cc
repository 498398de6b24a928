#include "compaction/compaction_picker.h"

#include <algorithm>

#include "compaction/leveled_picker.h"
#include "compaction/universal_picker.h"
#include "util/internal_key.h"

namespace synapsed {

const char* CompactionReasonName(CompactionReason reason) {
  switch (reason) {
    case CompactionReason::kLevel0Files: return "level0-files";
    case CompactionReason::kLevelBytes: return "level-bytes";
    case CompactionReason::kManual: return "manual";
    case CompactionReason::kUniversalSpaceAmp: return "universal-space-amp";
    case CompactionReason::kUniversalSizeRatio: return "universal-size-ratio";
    case CompactionReason::kUniversalRunCount: return "universal-run-count";
  }
  return "unknown";
}

uint64_t TotalBytes(const Version::FileList& files) {
  uint64_t total = 0;
  for (const auto& f : files) total += f->file_size;
  return total;
}

Version::FileList OverlappingFiles(const Version& version, int level,
                                   std::string_view smallest_user_key,
                                   std::string_view largest_user_key) {
  Version::FileList result;
  for (const auto& f : version.files(level)) {
    if (ExtractUserKey(f->largest) < smallest_user_key ||
        ExtractUserKey(f->smallest) > largest_user_key) {
      continue;
    }
    result.push_back(f);
  }
  return result;
}

uint64_t CompactionSpec::InputBytes() const {
  uint64_t total = 0;
  for (const auto& in : inputs) total += TotalBytes(in.files);
  return total;
}

void CompactionSpec::InputRange(std::string_view* smallest, std::string_view* largest) const {
  bool first = true;
  for (const auto& in : inputs) {
    for (const auto& f : in.files) {
      const std::string_view s = ExtractUserKey(f->smallest);
      const std::string_view l = ExtractUserKey(f->largest);
      if (first || s < *smallest) *smallest = s;
      if (first || l > *largest) *largest = l;
      first = false;
    }
  }
}

void SetBottommost(const Version& version, CompactionSpec* spec) {
  std::string_view smallest, largest;
  spec->InputRange(&smallest, &largest);
  std::set<uint64_t> inputs;
  SequenceNumber oldest_input = kMaxSequenceNumber;
  for (const auto& in : spec->inputs) {
    for (const auto& f : in.files) {
      inputs.insert(f->number);
      oldest_input = std::min(oldest_input, f->smallest_seqno);
    }
  }
  spec->bottommost = true;
  for (int level = spec->output_level == 0 ? 0 : spec->output_level + 1; level < kNumLevels;
       level++) {
    for (const auto& f : OverlappingFiles(version, level, smallest, largest)) {
      if (inputs.count(f->number) != 0) continue;
      // A level-0 file newer than the inputs hides nothing of theirs.
      if (level == 0 && f->smallest_seqno > oldest_input) continue;
      spec->bottommost = false;
      return;
    }
  }
}

bool CompactionsInProgress::AnyBusy(const Version::FileList& list) const {
  return std::any_of(list.begin(), list.end(), [this](const auto& f) { return Busy(*f); });
}

bool CompactionsInProgress::OutputConflicts(int level, std::string_view smallest,
                                            std::string_view largest) const {
  if (level == 0) return false;  // level-0 files may overlap
  for (const OutputRange& o : outputs) {
    if (o.level == level && !(o.largest < smallest || o.smallest > largest)) return true;
  }
  return false;
}

void CompactionsInProgress::Add(const CompactionSpec& spec) {
  for (const auto& in : spec.inputs) {
    for (const auto& f : in.files) files.insert(f->number);
  }
  std::string_view smallest, largest;
  spec.InputRange(&smallest, &largest);
  outputs.push_back(OutputRange{spec.output_level, std::string(smallest), std::string(largest)});
}

void CompactionsInProgress::Remove(const CompactionSpec& spec) {
  for (const auto& in : spec.inputs) {
    for (const auto& f : in.files) files.erase(f->number);
  }
  std::string_view smallest, largest;
  spec.InputRange(&smallest, &largest);
  auto it = std::find_if(outputs.begin(), outputs.end(), [&](const OutputRange& o) {
    return o.level == spec.output_level && o.smallest == smallest && o.largest == largest;
  });
  if (it != outputs.end()) outputs.erase(it);
}

CompactionPicker::~CompactionPicker() = default;

std::unique_ptr<CompactionPicker> NewCompactionPicker(const Options& options) {
  if (options.compaction_style == CompactionStyle::kUniversal) {
    return std::make_unique<UniversalCompactionPicker>(UniversalPickerOptions::From(options));
  }
  return std::make_unique<LeveledCompactionPicker>(LeveledCompactionOptions::From(options));
}

}  // namespace synapsed
