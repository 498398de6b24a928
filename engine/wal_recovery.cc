#include "engine/wal_recovery.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/filename.h"
#include "engine/write_batch_internal.h"
#include "memtable/memtable.h"
#include "wal/log_reader.h"

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
  Status ReplayFile(const std::string& path, uint64_t number, bool* intact);
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
  bool stopped_ = false;      // point-in-time recovery reached damage
  bool file_damaged_ = false;  // damage seen in the current file
};

Status Replayer::OnDamage(const std::string& file, uint64_t offset, uint64_t bytes,
                          const std::string& what, bool tail) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s: %s at offset %" PRIu64 " (%" PRIu64 " bytes)",
                file.c_str(), what.c_str(), offset, bytes);
  file_damaged_ = true;
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
  if (seq != expected) {
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
  // The engine never logs an empty batch; one would claim no sequence.
  result_->last_sequence = count == 0 ? std::max(result_->last_sequence, seq - 1)
                                      : seq + count - 1;
  result_->records_applied++;
  return Status::OK();
}

Status Replayer::ReplayFile(const std::string& path, uint64_t number, bool* intact) {
  const std::string name = BaseName(path);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  DamageCollector damage;
  wal::Reader reader(std::move(file), name, number, &damage);
  file_damaged_ = false;
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
                  const std::vector<uint64_t>& logs, SequenceNumber last_sequence,
                  MemTable* mem, WalRecoveryResult* result) {
  result->last_sequence = last_sequence;
  Replayer replayer(fs, mode, mem, result);
  for (uint64_t number : logs) {
    if (replayer.stopped()) {  // point-in-time recovery stopped earlier
      result->damaged_logs.push_back(number);
      continue;
    }
    bool intact = false;
    Status s = replayer.ReplayFile(LogFileName(dbname, number), number, &intact);
    if (!s.ok()) return s;
    (intact ? result->intact_logs : result->damaged_logs).push_back(number);
  }
  return Status::OK();
}

}  // namespace synapsed
