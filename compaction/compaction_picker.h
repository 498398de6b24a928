// Compaction pickers: which table files to merge next, and where the result
// goes. One policy per file (leveled_picker.h, universal_picker.h); each is a
// pure function of the current version, the options and the compactions
// already running, so it is tested from tables of inputs
// (compaction_picker_test.cc) without a database.
//
// Rules every policy keeps (docs/design/compaction.md):
//   - For any user key, a shallower level's entries are newer than a deeper
//     level's, and of two level-0 files the one with the larger sequences is
//     newer. A compaction takes whole sorted runs or key ranges such that no
//     version of a key is left between its inputs and its output level, and
//     never writes to a level above data newer than its inputs.
//   - A file in a running compaction is not picked again, and a compaction
//     whose output range meets a running one's at the same level is not
//     started (two outputs would overlap in one level).
//   - No user key spans two files of one level >= 1 (the compaction job cuts
//     outputs only between user keys).
//
// Thread safety: pure functions and immutable objects; a picker may be used
// from any thread. The Version is immutable.
#ifndef SYNAPSED_COMPACTION_COMPACTION_PICKER_H_
#define SYNAPSED_COMPACTION_COMPACTION_PICKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/version_set.h"
#include "synapsed/options.h"

namespace synapsed {

enum class CompactionReason : uint8_t {
  kLevel0Files,          // leveled: level 0 reached its file trigger
  kLevelBytes,           // leveled: a level passed its byte target
  kManual,               // DB::CompactRange
  kUniversalSpaceAmp,    // universal: space amplification over the limit
  kUniversalSizeRatio,   // universal: runs of similar size
  kUniversalRunCount,    // universal: too many sorted runs
};
const char* CompactionReasonName(CompactionReason reason);

// The files of one level that a compaction reads (level 0: newest first).
struct CompactionInput {
  int level = 0;
  Version::FileList files;
};

struct CompactionSpec {
  CompactionReason reason = CompactionReason::kLevelBytes;
  double score = 0;
  // Levels ascending, each with at least one file.
  std::vector<CompactionInput> inputs;
  int output_level = 1;
  // One input file and nothing at the output level meets it: the MANIFEST
  // moves the file, no byte is rewritten.
  bool trivial_move = false;
  // Outputs are cut at about this size; UINT64_MAX: one output file (a
  // level-0 output must be one file, it is one sorted run).
  uint64_t max_output_file_size = UINT64_MAX;
  // Files of output_level + 1 that meet the inputs' range, and how many of
  // their bytes one output file may overlap before it is cut (0: no limit).
  Version::FileList grandparents;
  uint64_t max_grandparent_overlap_bytes = 0;
  // No file outside the inputs that is older than them (a deeper level, or
  // an older level-0 file) meets their key range: the output is the
  // bottommost data for its keys (bottommost compression applies).
  bool bottommost = false;

  uint64_t InputBytes() const;
  // The inputs' user-key range.
  void InputRange(std::string_view* smallest, std::string_view* largest) const;
};

// What running compactions hold, so a picker chooses around them.
struct CompactionsInProgress {
  struct OutputRange {
    int level;
    std::string smallest, largest;  // user keys, inclusive
  };
  std::set<uint64_t> files;  // input file numbers
  std::vector<OutputRange> outputs;

  bool Busy(const FileMetaData& f) const { return files.count(f.number) != 0; }
  bool AnyBusy(const Version::FileList& list) const;
  // A running compaction writes to `level` within [smallest, largest].
  bool OutputConflicts(int level, std::string_view smallest, std::string_view largest) const;
  void Add(const CompactionSpec& spec);
  void Remove(const CompactionSpec& spec);
};

class CompactionPicker {
 public:
  virtual ~CompactionPicker();

  // The next compaction, choosing around `running`; nullopt if none is due
  // (or every due one conflicts with a running one).
  virtual std::optional<CompactionSpec> Pick(const Version& version,
                                             const CompactionsInProgress& running) const = 0;
  // Whether some compaction is due (ignoring what is running).
  virtual bool NeedsCompaction(const Version& version) const = 0;
  // A manual compaction of user keys [*begin, *end] (null: open) as a
  // sequence of steps: the step that starts at level >= from_level, with
  // *next_level set to where the following step starts; nullopt when no
  // step is left. REQUIRES: no compaction running.
  virtual std::optional<CompactionSpec> PickManual(const Version& version, int from_level,
                                                   const std::string_view* begin,
                                                   const std::string_view* end,
                                                   int* next_level) const = 0;
  // Bytes compaction is expected to rewrite before nothing is due
  // (synapsed.estimate-pending-compaction-bytes; drives the pending-bytes
  // write stalls).
  virtual uint64_t EstimatePendingBytes(const Version& version) const = 0;
  // A level's urgency for synapsed.stats (>= 1: due).
  virtual double LevelScore(const Version& version, int level) const = 0;
};

// The picker for options.compaction_style.
std::unique_ptr<CompactionPicker> NewCompactionPicker(const Options& options);

// Helpers shared by the policies.
uint64_t TotalBytes(const Version::FileList& files);
// The files of `level` whose user-key range meets [smallest, largest]
// (user keys, inclusive), in the level's order.
Version::FileList OverlappingFiles(const Version& version, int level,
                                   std::string_view smallest_user_key,
                                   std::string_view largest_user_key);
// Sets spec->bottommost: no file of `version` outside the inputs, at a level
// below the output level or an older level-0 file, meets the inputs' range.
void SetBottommost(const Version& version, CompactionSpec* spec);

}  // namespace synapsed

#endif  // SYNAPSED_COMPACTION_COMPACTION_PICKER_H_
