// WAL recovery: rebuilds a memtable from the WAL files that hold writes not
// yet in table files, applying the recovery mode's contract
// (docs/design/recovery.md).
//
// What is replayed: the logs the caller names (those numbered at or above
// the MANIFEST's log number), in number order. Every record is a write batch;
// its sequence must continue the previous one, starting right after the
// MANIFEST's last sequence (a gap means writes are missing: a lost log, say).
//
// Damage handling by mode (damage = anything the WAL reader reports, a
// malformed batch, or a sequence gap):
//   kAbsoluteConsistency          any damage fails with Corruption
//   kTolerateCorruptedTailRecords damage is dropped if no intact record
//                                 follows it in its file; otherwise Corruption
//   kPointInTimeRecovery          stop at the first damage: nothing after it,
//                                 in that file or later ones, is applied
//   kSkipAnyCorruptedRecords      damaged records are skipped, the rest applied
// Corruption messages name the file and the offset.
//
// Thread safety: runs during Open, before the DB is shared.
#ifndef SYNAPSED_ENGINE_WAL_RECOVERY_H_
#define SYNAPSED_ENGINE_WAL_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "synapsed/file_system.h"
#include "synapsed/options.h"
#include "util/internal_key.h"

namespace synapsed {

class MemTable;

struct WalRecoveryResult {
  SequenceNumber last_sequence = 0;
  // Logs whose every record was applied.
  std::vector<uint64_t> intact_logs;
  // Logs with damage or with records that were not applied (PIT stop).
  std::vector<uint64_t> damaged_logs;
  uint64_t records_applied = 0;
  uint64_t bytes_replayed = 0;
  // One line per damage found, "000007.log: checksum mismatch at offset 40 (25 bytes)".
  std::vector<std::string> damage;
};

// Replays `logs` (ascending numbers of files in dbname) into mem (owned by
// the caller). last_sequence is the newest sequence already in tables: the
// first record must carry the next one.
Status RecoverWal(FileSystem* fs, const std::string& dbname, WalRecoveryMode mode,
                  const std::vector<uint64_t>& logs, SequenceNumber last_sequence,
                  MemTable* mem, WalRecoveryResult* result);

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_WAL_RECOVERY_H_
