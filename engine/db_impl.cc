// DBImpl: construction, the read path, snapshots and properties. Open and
// recovery are in db_open.cc, the write path in db_write.cc.
#include "engine/db_impl.h"

#include <cinttypes>
#include <cstdio>

#include "engine/db_iter.h"
#include "engine/filename.h"
#include "memtable/memtable.h"
#include "wal/log_writer.h"

namespace synapsed {

Snapshot::~Snapshot() = default;

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : seq_(seq) {}
  uint64_t sequence() const override { return seq_; }

 private:
  const SequenceNumber seq_;
};

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options),
      fs_(options.file_system ? options.file_system : FileSystem::Default()),
      dbname_(std::move(dbname)) {}

DBImpl::~DBImpl() {
  // Destruction without Close: close anyway; nobody is left to hear an error.
  Close().PermitUncheckedError();
}

Status DBImpl::CheckOpen() const {
  return closed_.load(std::memory_order_acquire) ? Status::Aborted("database is closed")
                                                 : Status::OK();
}

SequenceNumber DBImpl::ReadSequence(const ReadOptions& options) const {
  return options.snapshot != nullptr ? options.snapshot->sequence()
                                     : last_sequence_.load(std::memory_order_acquire);
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  bool found_value = false;
  if (mem_->Get(LookupKey(key, ReadSequence(options)), value, &found_value) && found_value) {
    return Status::OK();
  }
  return Status::NotFound(std::string_view());
}

std::vector<Status> DBImpl::MultiGet(const ReadOptions& options,
                                     const std::vector<std::string_view>& keys,
                                     std::vector<std::string>* values) {
  values->resize(keys.size());
  std::vector<Status> result(keys.size());
  Status s = CheckOpen();
  if (!s.ok()) {
    for (auto& r : result) r = s;
    return result;
  }
  // One sequence for every key: a consistent view even while writes go on.
  const SequenceNumber seq = ReadSequence(options);
  for (size_t i = 0; i < keys.size(); i++) {
    bool found_value = false;
    if (mem_->Get(LookupKey(keys[i], seq), &(*values)[i], &found_value) && found_value) {
      result[i] = Status::OK();
    } else {
      (*values)[i].clear();
      result[i] = Status::NotFound(std::string_view());
    }
  }
  return result;
}

namespace {
// The iterator handed out after Close: always invalid, status Aborted.
class ErrorIterator final : public Iterator {
 public:
  explicit ErrorIterator(Status s) : status_(std::move(s)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override {}
  void Prev() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  Status status_;
};
}  // namespace

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  Status s = CheckOpen();
  if (!s.ok()) return std::make_unique<ErrorIterator>(s);
  return NewDBIterator(MemTable::NewIterator(mem_), ReadSequence(options),
                       options.iterate_lower_bound, options.iterate_upper_bound);
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock l(&mu_);
  auto snap = std::make_unique<SnapshotImpl>(last_sequence_.load(std::memory_order_acquire));
  const Snapshot* handle = snap.get();
  snapshots_.emplace(handle, std::move(snap));
  return handle;
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  MutexLock l(&mu_);
  snapshots_.erase(snapshot);
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  constexpr std::string_view kPrefix = "synapsed.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  name.remove_prefix(kPrefix.size());
  if (name == "num-entries-active-mem-table") {
    *value = std::to_string(mem_->num_entries());
  } else if (name == "num-deletes-active-mem-table") {
    *value = std::to_string(mem_->num_deletes());
  } else if (name == "cur-size-active-mem-table") {
    *value = std::to_string(mem_->ApproximateMemoryUsage());
  } else if (name == "last-sequence") {
    *value = std::to_string(last_sequence_.load(std::memory_order_acquire));
  } else if (name == "num-snapshots") {
    MutexLock l(&mu_);
    *value = std::to_string(snapshots_.size());
  } else if (name == "wal-files") {
    MutexLock l(&mu_);
    for (uint64_t n : live_logs_) {
      if (!value->empty()) value->push_back(' ');
      value->append(LogFileName("", n).substr(1));
    }
  } else if (name == "stats") {
    const uint64_t groups = stat_write_groups_.load(std::memory_order_relaxed);
    const uint64_t batches = stat_batches_.load(std::memory_order_relaxed);
    char buf[1024];
    std::snprintf(buf, sizeof(buf),
                  "** DB Stats **\n"
                  "Last sequence: %" PRIu64 "\n"
                  "Memtable: %" PRIu64 " entries (%" PRIu64 " deletes), %zu bytes\n"
                  "Writes: %" PRIu64 " batches in %" PRIu64 " groups (%.2f batches/group)\n"
                  "WAL: %" PRIu64 " bytes written, %" PRIu64 " syncs\n",
                  last_sequence_.load(std::memory_order_acquire), mem_->num_entries(),
                  mem_->num_deletes(), mem_->ApproximateMemoryUsage(), batches, groups,
                  groups == 0 ? 0.0 : static_cast<double>(batches) / groups,
                  stat_wal_bytes_.load(std::memory_order_relaxed),
                  stat_wal_syncs_.load(std::memory_order_relaxed));
    value->assign(buf);
    MutexLock l(&mu_);
    value->append("Snapshots: " + std::to_string(snapshots_.size()) + "\n");
    value->append("Live WAL files: " + std::to_string(live_logs_.size()) + "\n");
    value->append("Recovery: " + std::to_string(recovery_damage_.size()) + " damaged regions\n");
    for (const auto& d : recovery_damage_) value->append("  " + d + "\n");
    value->append(bg_error_.ok() ? "Background error: none\n"
                                 : "Background error: " + bg_error_.ToString() + "\n");
  } else {
    return false;
  }
  return true;
}

}  // namespace synapsed
