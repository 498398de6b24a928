// WAL recovery: rebuilds the memtable from the checkpoint and the logs after
// it, applying the recovery mode's contract (docs/design/recovery.md).
//
// What is replayed: the newest NNNNNN.ckpt (if any), then every NNNNNN.log
// with a larger number, in number order. Every record is a write batch; its
// sequence must continue the previous one, from 1 when there is no checkpoint
// (a gap means writes are missing: a lost log, say).
//
// Damage handling by mode (damage = anything the WAL reader reports, a
// malformed batch, or a sequence gap):
//   kAbsoluteConsistency          any damage fails with Corruption
//   kTolerateCorruptedTailRecords damage is dropped if no intact record
//                                 follows it in its file; otherwise Corruption
//   kPointInTimeRecovery          stop at the first damage: nothing after it,
//                                 in that file or later ones, is applied
//   kSkipAnyCorruptedRecords      damaged records are skipped, the rest applied
// Damage in a checkpoint fails with Corruption in every mode but the last:
// a checkpoint is ordered by key, so no part of it is a point in time.
// Corruption messages name the file and the offset.
//
// Thread safety: runs during Open, before the DB is shared.
#ifndef SYNAPSED_ENGINE_WAL_RECOVERY_H_
#define SYNAPSED_ENGINE_WAL_RECOVERY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synapsed/file_system.h"
#include "synapsed/options.h"
#include "util/internal_key.h"

namespace synapsed {

class MemTable;

struct WalRecoveryResult {
  SequenceNumber last_sequence = 0;
  // The largest file number seen in the directory (logs, checkpoints, temps).
  uint64_t max_file_number = 0;
  uint64_t checkpoint_number = 0;  // 0: none
  bool checkpoint_damaged = false;   // only possible in kSkipAnyCorruptedRecords
  // Logs after the checkpoint whose every record was applied.
  std::vector<uint64_t> intact_logs;
  // Logs with damage or with records that were not applied (PIT stop).
  std::vector<uint64_t> damaged_logs;
  // Logs numbered below the checkpoint: left over from an interrupted cleanup.
  std::vector<uint64_t> superseded_logs;
  uint64_t records_applied = 0;
  uint64_t log_records_applied = 0;  // from logs, not the checkpoint
  uint64_t bytes_replayed = 0;
  // One line per damage found, "000007.log: checksum mismatch at offset 40 (25 bytes)".
  std::vector<std::string> damage;
  // True when something was dropped: the on-disk logs no longer describe the
  // recovered state, so the caller must write a checkpoint before new writes.
  bool dropped_data() const {
    return !damage.empty() || !damaged_logs.empty() || checkpoint_damaged;
  }
};

// Replays into mem (empty, owned by the caller). Temporary files left by an
// interrupted checkpoint are removed.
Status RecoverWal(FileSystem* fs, const std::string& dbname, WalRecoveryMode mode,
                  MemTable* mem, WalRecoveryResult* result);

// Writes the live contents of mem as checkpoint number `number`: a WAL-format
// file of write batches whose sequences end at last_sequence, written to a
// temporary name, synced, renamed into place, and the directory synced. Once
// this returns OK every log numbered below `number` is obsolete.
Status WriteCheckpoint(FileSystem* fs, const std::string& dbname, uint64_t number,
                       const std::shared_ptr<const MemTable>& mem,
                       SequenceNumber last_sequence);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_WAL_RECOVERY_H_
