#include "engine/wal_recovery.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/filename.h"
#include "engine/write_batch_internal.h"
#include "memtable/memtable.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace synapsed {

namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Collects the reader's damage reports for the file being replayed.
class DamageCollector final : public wal::Reader::Reporter {
 public:
  struct Report {
    uint64_t offset;
    uint64_t bytes;
    std::string what;
  };
  void Damage(uint64_t offset, uint64_t bytes, wal::DamageKind kind) override {
    reports.push_back({offset, bytes, std::string(wal::DamageKindName(kind))});
  }
  std::vector<Report> reports;
};

// Replays the files of one recovery, in order, applying the mode's contract.
class Replayer {
 public:
  Replayer(FileSystem* fs, WalRecoveryMode mode, MemTable* mem, WalRecoveryResult* result)
      : fs_(fs), mode_(mode), mem_(mem), result_(result) {}

  // Replays one file. Sets *intact to whether every record in it was applied.
  // A checkpoint's first record may start at any sequence; everything else
  // must continue the sequence (from 1 when there is no checkpoint).
  Status ReplayFile(const std::string& path, uint64_t number, bool checkpoint, bool* intact);
  bool stopped() const { return stopped_; }

 private:
  // Handles damage at `offset` of `file` per mode. Returns non-OK to fail
  // Open. `tail` says no intact record follows the damage in its file.
  Status OnDamage(const std::string& file, uint64_t offset, uint64_t bytes,
                  const std::string& what, bool tail);
  // Checks and applies one record; damage found in it goes through OnDamage.
  Status ApplyRecord(const std::string& file, uint64_t offset, std::string_view record);

  FileSystem* const fs_;
  const WalRecoveryMode mode_;
  MemTable* const mem_;
  WalRecoveryResult* const result_;
  WriteBatch batch_;
  bool in_checkpoint_ = false;
  bool sequence_free_ = false;  // the next record may start any sequence
  bool stopped_ = false;      // point-in-time recovery reached damage
  bool file_damaged_ = false;  // damage seen in the current file
};

Status Replayer::OnDamage(const std::string& file, uint64_t offset, uint64_t bytes,
                          const std::string& what, bool tail) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s: %s at offset %" PRIu64 " (%" PRIu64 " bytes)",
                file.c_str(), what.c_str(), offset, bytes);
  file_damaged_ = true;
  // A checkpoint is ordered by key, not by time, and was synced before it was
  // renamed into place: no prefix of it is a point in time, and it cannot
  // have a torn tail. Only salvage mode goes on past damage in one.
  if (in_checkpoint_ && mode_ != WalRecoveryMode::kSkipAnyCorruptedRecords) {
    return Status::Corruption(buf, "damaged checkpoint");
  }
  switch (mode_) {
    case WalRecoveryMode::kAbsoluteConsistency:
      return Status::Corruption(buf);
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      if (!tail) return Status::Corruption(buf, "damage is followed by intact records");
      break;
    case WalRecoveryMode::kPointInTimeRecovery:
      stopped_ = true;
      break;
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      break;
  }
  result_->damage.push_back(buf);
  return Status::OK();
}

Status Replayer::ApplyRecord(const std::string& file, uint64_t offset, std::string_view record) {
  Status s = WriteBatchInternal::SetContents(&batch_, record);
  if (s.ok()) s = WriteBatchInternal::Validate(batch_);
  if (!s.ok()) return OnDamage(file, offset, record.size(), s.ToString(), false);

  const SequenceNumber seq = WriteBatchInternal::Sequence(batch_);
  const uint32_t count = WriteBatchInternal::Count(batch_);
  const SequenceNumber expected = result_->last_sequence + 1;
  if (seq == 0 || seq > kMaxSequenceNumber || (count > 0 && seq + count - 1 > kMaxSequenceNumber)) {
    return OnDamage(file, offset, record.size(), "sequence out of range", false);
  }
  if (!sequence_free_ && seq != expected) {
    char what[128];
    std::snprintf(what, sizeof(what), "sequence %" PRIu64 " where %" PRIu64 " was expected", seq,
                  expected);
    s = OnDamage(file, offset, record.size(), what, false);
    if (!s.ok() || stopped_) return s;
    // Skip mode: a gap is accepted, but a batch at or below what is already
    // applied would duplicate (key, sequence) pairs and is dropped.
    if (seq < expected) return Status::OK();
  }
  s = WriteBatchInternal::InsertInto(batch_, mem_);
  if (!s.ok()) return s;
  // An empty batch carries the sequence that follows it (see WriteCheckpoint).
  result_->last_sequence = count == 0 ? std::max(result_->last_sequence, seq - 1)
                                      : seq + count - 1;
  sequence_free_ = false;
  result_->records_applied++;
  if (!in_checkpoint_) result_->log_records_applied++;
  return Status::OK();
}

Status Replayer::ReplayFile(const std::string& path, uint64_t number, bool checkpoint,
                            bool* intact) {
  const std::string name = BaseName(path);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  DamageCollector damage;
  wal::Reader reader(std::move(file), name, number, &damage);
  file_damaged_ = false;
  in_checkpoint_ = checkpoint;
  sequence_free_ = checkpoint;
  size_t handled = 0;  // damage reports already passed to OnDamage
  std::string scratch;
  std::string_view record;
  while (!stopped_ && reader.ReadRecord(&record, &scratch)) {
    // Damage reported before this intact record is not at the file's tail.
    for (; handled < damage.reports.size() && !stopped_; handled++) {
      const auto& d = damage.reports[handled];
      s = OnDamage(name, d.offset, d.bytes, d.what, false);
      if (!s.ok()) return s;
    }
    if (stopped_) break;
    s = ApplyRecord(name, reader.last_record_offset(), record);
    if (!s.ok()) return s;
  }
  if (!reader.status().ok()) return reader.status();
  if (!stopped_) {
    for (; handled < damage.reports.size() && !stopped_; handled++) {
      const auto& d = damage.reports[handled];
      s = OnDamage(name, d.offset, d.bytes, d.what, true);
      if (!s.ok()) return s;
    }
  }
  uint64_t size = 0;
  if (fs_->GetFileSize(path, &size).ok()) result_->bytes_replayed += size;
  *intact = !file_damaged_ && !stopped_;
  return Status::OK();
}

}  // namespace

Status RecoverWal(FileSystem* fs, const std::string& dbname, WalRecoveryMode mode,
                  MemTable* mem, WalRecoveryResult* result) {
  std::vector<std::string> children;
  Status s = fs->GetChildren(dbname, &children);
  if (!s.ok()) return s;
  std::vector<uint64_t> logs, checkpoints;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    result->max_file_number = std::max(result->max_file_number, number);
    switch (type) {
      case FileType::kLog: logs.push_back(number); break;
      case FileType::kCheckpoint: checkpoints.push_back(number); break;
      case FileType::kTemp:
        // Never renamed into place, so nothing depends on it.
        s = fs->RemoveFile(dbname + "/" + name);
        if (!s.ok()) return s;
        break;
      default: break;
    }
  }
  std::sort(logs.begin(), logs.end());
  if (!checkpoints.empty()) {
    result->checkpoint_number = *std::max_element(checkpoints.begin(), checkpoints.end());
  }

  Replayer replayer(fs, mode, mem, result);
  if (result->checkpoint_number != 0) {
    bool intact;
    s = replayer.ReplayFile(CheckpointFileName(dbname, result->checkpoint_number),
                            result->checkpoint_number, true, &intact);
    if (!s.ok()) return s;
    result->checkpoint_damaged = !intact;
  }
  for (uint64_t number : logs) {
    if (number < result->checkpoint_number) {
      result->superseded_logs.push_back(number);
      continue;
    }
    if (replayer.stopped()) {  // point-in-time recovery stopped earlier
      result->damaged_logs.push_back(number);
      continue;
    }
    bool intact;
    s = replayer.ReplayFile(LogFileName(dbname, number), number, false, &intact);
    if (!s.ok()) return s;
    (intact ? result->intact_logs : result->damaged_logs).push_back(number);
  }
  return Status::OK();
}

Status WriteCheckpoint(FileSystem* fs, const std::string& dbname, uint64_t number,
                       const std::shared_ptr<const MemTable>& mem,
                       SequenceNumber last_sequence) {
  // Pass 1: count live keys, so their new sequences can end at last_sequence.
  uint64_t live = 0;
  auto iter = MemTable::NewIterator(mem);
  std::string prev_key;
  bool have_prev = false;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey ikey;
    if (!ParseInternalKey(iter->key(), &ikey)) return Status::Corruption("memtable", "bad key");
    if (have_prev && ikey.user_key == prev_key) continue;  // an older version
    prev_key.assign(ikey.user_key);
    have_prev = true;
    if (ikey.type == ValueType::kValue) live++;
  }

  const std::string tmp = TempFileName(dbname, number);
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(tmp, &file);
  if (!s.ok()) return s;
  wal::Writer writer(std::move(file), number);
  constexpr size_t kBatchBytes = 1 << 20;
  WriteBatch batch;
  SequenceNumber next = last_sequence - live + 1;
  auto emit = [&]() -> Status {
    WriteBatchInternal::SetSequence(&batch, next);
    next += batch.Count();
    Status st = writer.AddRecord(WriteBatchInternal::Contents(batch));
    batch.Clear();
    return st;
  };
  if (live == 0) {
    s = emit();  // an empty batch records that the next sequence is last+1
  }
  have_prev = false;
  for (iter->SeekToFirst(); s.ok() && iter->Valid(); iter->Next()) {
    ParsedInternalKey ikey;
    if (!ParseInternalKey(iter->key(), &ikey)) return Status::Corruption("memtable", "bad key");
    if (have_prev && ikey.user_key == prev_key) continue;
    prev_key.assign(ikey.user_key);
    have_prev = true;
    if (ikey.type != ValueType::kValue) continue;
    batch.Put(ikey.user_key, iter->value());
    if (batch.ApproximateSize() >= kBatchBytes) s = emit();
  }
  if (s.ok() && batch.Count() > 0) s = emit();
  if (s.ok()) s = writer.Sync();
  if (s.ok()) s = writer.Close();
  if (s.ok()) s = fs->RenameFile(tmp, CheckpointFileName(dbname, number));
  if (s.ok()) s = fs->SyncDir(dbname);
  if (!s.ok()) fs->RemoveFile(tmp).PermitUncheckedError();  // best effort; Open removes it too
  return s;
}

}  // namespace synapsed
