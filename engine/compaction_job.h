// CompactionJob: merges a compaction's input tables into new tables at the
// output level (compaction/compaction_picker.h says which inputs).
//
// What is dropped, for each user key (entries arrive newest first):
//   - a version hidden by a newer one of the same key that every snapshot
//     sees (the newer one's sequence <= smallest_snapshot): no read can reach
//     it any more;
//   - a version covered by an input's range tombstone in the same snapshot
//     stripe (no reader's sequence lies between the version and the
//     tombstone): every reader that sees the version sees the tombstone;
//   - a deletion tombstone every snapshot sees, when no file outside the
//     inputs with older data (a level below the output level, or an older
//     level-0 file) may hold the key: it has nothing left to hide.
// Everything else is copied.
//
// Range tombstones: the inputs' are merged (fragmented). Of each fragment's
// sequences only the newest of each snapshot stripe is kept (an older one
// in the same stripe hides nothing the newer one does not, from any
// reader); a fragment's sequence every reader sees is dropped when no file
// with older data may hold a key of the fragment. What is kept is written
// to the outputs clipped to each output's share of the key space (up to the
// first user key of the next output; the first and last outputs are open
// below and above), so a tombstone spanning a cut is split, and each
// output's key range covers its part (TableBuilder: the sentinel largest
// key ends it just below the next output's first key). If every entry was
// dropped but tombstones remain, they get an output of their own. Output files are cut once they
// reach the spec's max_output_file_size, or before one overlaps more than
// max_grandparent_overlap_bytes of the grandparent files -- but only between
// user keys, so no user key spans two files of a level.
//
// Durability: every output is synced and then the directory, before the
// caller may name the outputs in a MANIFEST edit (manifest.md, rule 1). On
// failure every output written is removed (nothing names them) and the error
// returned.
//
// Thread safety: runs on the background thread without the DB mutex; the
// version and the inputs are immutable; new_file_number is the caller's
// (locked) counter.
#ifndef SYNAPSED_ENGINE_COMPACTION_JOB_H_
#define SYNAPSED_ENGINE_COMPACTION_JOB_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "cache/table_cache.h"
#include "compaction/compaction_picker.h"
#include "engine/version_edit.h"
#include "io/read_queue_pool.h"
#include "sstable/table_builder.h"
#include "synapsed/file_system.h"

namespace synapsed {

struct CompactionJobOptions {
  FileSystem* fs = nullptr;
  std::string dbname;
  TableCache* table_cache = nullptr;
  // Block size, compression, filter and db id for the outputs; file_number
  // is set per output.
  TableBuilderOptions table_options;
  SequenceNumber smallest_snapshot = 0;  // the oldest sequence a reader may use
  // Every sequence a reader may use, ascending: each snapshot held and the
  // last sequence (reads without a snapshot use it or a later one). The
  // snapshot stripes of range tombstones are the intervals between them.
  // Empty: only smallest_snapshot is known, and every sequence above it is
  // treated as a stripe of its own.
  std::vector<SequenceNumber> snapshots;
  std::function<uint64_t()> new_file_number;
  // When it becomes true the job stops, removes its outputs and returns
  // Aborted (Close does not wait for a long merge).
  const std::atomic<bool>* cancel = nullptr;
  // How outputs are opened (direct I/O, write-behind).
  FileOptions output_file_options;
  // Inputs are read ahead through queues from here (not owned); null: each
  // block is read when the merge reaches it.
  ReadQueuePool* read_queues = nullptr;
};

struct CompactionJobStats {
  uint64_t input_entries = 0;
  uint64_t output_entries = 0;
  uint64_t dropped_entries = 0;
  // Range tombstone (fragment, sequence) entries, as in the tables' blocks.
  uint64_t input_range_deletions = 0;
  uint64_t output_range_deletions = 0;
  uint64_t bytes_read = 0;     // input table bytes
  uint64_t bytes_written = 0;  // output table bytes
};

// Runs the compaction `spec` of `version` and fills *outputs (possibly
// empty: every entry may be dropped).
Status RunCompactionJob(const CompactionJobOptions& options, const Version& version,
                        const CompactionSpec& spec, std::vector<FileMetaData>* outputs,
                        CompactionJobStats* stats);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_COMPACTION_JOB_H_
