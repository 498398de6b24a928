// DB open, creation, recovery, close and destruction.
//
// Durability of the directory itself (docs/design/recovery.md): every file
// that recovery relies on is synced, then its directory entry is synced,
// before the DB depends on it: IDENTITY at creation, each new log before the
// first write to it is acknowledged, each checkpoint before the logs it
// supersedes are removed.
#include <random>

#include "engine/db_impl.h"
#include "engine/filename.h"
#include "engine/wal_recovery.h"
#include "memtable/memtable.h"
#include "wal/log_writer.h"

namespace synapsed {

namespace {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_not_of('/');
  if (slash == std::string::npos) return "/";
  slash = path.rfind('/', slash);
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes data to path via a temporary file, fsync, rename, directory fsync.
Status WriteFileAtomically(FileSystem* fs, const std::string& dir, const std::string& path,
                           std::string_view data) {
  const std::string tmp = path + ".tmp";
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(tmp, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (s.ok()) s = fs->RenameFile(tmp, path);
  if (s.ok()) s = fs->SyncDir(dir);
  if (!s.ok()) fs->RemoveFile(tmp).PermitUncheckedError();  // best effort cleanup
  return s;
}

std::string NewIdentity() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%08x-%08x-%08x\n", rd(), rd(), rd(), rd());
  return buf;
}

}  // namespace

DB::~DB() = default;

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  db->reset();
  if (path.empty()) return Status::InvalidArgument("empty database path");
  if (options.max_write_batch_group_size_bytes == 0) {
    return Status::InvalidArgument("max_write_batch_group_size_bytes must be > 0");
  }
  auto impl = std::make_unique<DBImpl>(options, path);
  Status s = impl->OpenImpl();
  if (!s.ok()) return s;
  *db = std::move(impl);
  return Status::OK();
}

Status DBImpl::OpenImpl() {
  Status s;
  if (options_.create_if_missing) {
    bool existed = fs_->FileExists(dbname_).ok();
    s = fs_->CreateDirIfMissing(dbname_);
    if (!s.ok()) return s;
    // The database directory's own entry must survive a crash too.
    if (!existed) {
      s = fs_->SyncDir(ParentDir(dbname_));
      if (!s.ok()) return s;
    }
  } else if (!fs_->FileExists(dbname_).ok()) {
    return Status::InvalidArgument(dbname_, "does not exist (create_if_missing is false)");
  }
  s = fs_->LockFile(LockFileName(dbname_), &lock_);
  if (!s.ok()) return s;

  s = fs_->FileExists(IdentityFileName(dbname_));
  if (s.IsNotFound()) {
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_, "does not exist (create_if_missing is false)");
    }
    s = CreateNew();
  } else if (s.ok() && options_.error_if_exists) {
    return Status::InvalidArgument(dbname_, "exists (error_if_exists is true)");
  }
  if (!s.ok()) return s;
  return Recover();
}

Status DBImpl::CreateNew() {
  // A directory with logs but no IDENTITY is not one we created: refuse to
  // guess rather than overwrite someone's data.
  std::vector<std::string> children;
  Status s = fs_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) &&
        (type == FileType::kLog || type == FileType::kCheckpoint)) {
      return Status::Corruption(dbname_, "has log files but no IDENTITY file");
    }
  }
  return WriteFileAtomically(fs_.get(), dbname_, IdentityFileName(dbname_), NewIdentity());
}

Status DBImpl::Recover() {
  WalRecoveryResult r;
  auto mem = std::make_shared<MemTable>();
  Status s = RecoverWal(fs_.get(), dbname_, options_.wal_recovery_mode, mem.get(), &r);
  if (!s.ok()) return s;
  mem_ = mem;
  last_sequence_.store(r.last_sequence, std::memory_order_release);
  uint64_t next = r.max_file_number + 1;

  // Rewrite the live data as a checkpoint when the logs no longer describe
  // the recovered state (something was dropped) or when they are mostly
  // overwritten garbage, so recovery time tracks live data.
  const bool compact = r.bytes_replayed > 2 * mem->ApproximateMemoryUsage() + (16u << 20);
  std::vector<uint64_t> kept = r.intact_logs;
  if (r.dropped_data() || compact || !r.superseded_logs.empty()) {
    const uint64_t checkpoint = next++;
    s = WriteCheckpoint(fs_.get(), dbname_, checkpoint, mem, r.last_sequence);
    if (!s.ok()) return s;
    // Now every log is obsolete. Keep the ones that held damage for salvage.
    for (uint64_t n : r.damaged_logs) {
      s = Quarantine(n);
      if (!s.ok()) return s;
    }
    for (uint64_t n : r.superseded_logs) {
      s = Quarantine(n);  // left by an interrupted cleanup: may be damaged ones
      if (!s.ok()) return s;
    }
    for (uint64_t n : r.intact_logs) {
      s = fs_->RemoveFile(LogFileName(dbname_, n));
      if (!s.ok()) return s;
    }
    if (r.checkpoint_number != 0) {
      s = fs_->RemoveFile(CheckpointFileName(dbname_, r.checkpoint_number));
      if (!s.ok()) return s;
    }
    s = fs_->SyncDir(dbname_);
    if (!s.ok()) return s;
    kept.clear();
  } else {
    s = SyncRecoveredLogs(kept);
    if (!s.ok()) return s;
  }
  {
    MutexLock l(&mu_);
    live_logs_ = kept;
    recovery_damage_ = r.damage;
    next_file_number_ = next;
  }
  return NewLog(next);
}

Status DBImpl::SyncRecoveredLogs(const std::vector<uint64_t>& logs) {
  for (uint64_t n : logs) {
    std::unique_ptr<WritableFile> file;
    Status s = fs_->ReopenWritableFile(LogFileName(dbname_, n), &file);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status DBImpl::Quarantine(uint64_t number) {
  const std::string lost = LostDirName(dbname_);
  Status s = fs_->CreateDirIfMissing(lost);
  if (!s.ok()) return s;
  std::string target = lost + LogFileName("", number);
  // Never overwrite an earlier quarantined file of the same name.
  for (int i = 1; fs_->FileExists(target).ok(); i++) {
    target = lost + LogFileName("", number) + "." + std::to_string(i);
  }
  s = fs_->RenameFile(LogFileName(dbname_, number), target);
  if (s.ok()) s = fs_->SyncDir(lost);
  return s;
}

Status DBImpl::NewLog(uint64_t number) {
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(LogFileName(dbname_, number), &file);
  if (!s.ok()) return s;
  // The log's directory entry must be durable before a synced write in it is
  // acknowledged, or a crash could lose the whole file.
  s = fs_->SyncDir(dbname_);
  if (!s.ok()) return s;
  log_ = std::make_unique<wal::Writer>(std::move(file), number);
  MutexLock l(&mu_);
  live_logs_.push_back(number);
  next_file_number_ = number + 1;
  return Status::OK();
}

Status DestroyDB(const std::string& path, const Options& options) {
  std::shared_ptr<FileSystem> fs = options.file_system ? options.file_system
                                                       : FileSystem::Default();
  if (fs->FileExists(path).IsNotFound()) return Status::OK();
  std::unique_ptr<FileLock> lock;
  Status s = fs->LockFile(LockFileName(path), &lock);
  if (!s.ok()) return s;
  std::vector<std::string> children;
  s = fs->GetChildren(path, &children);
  if (!s.ok()) return s;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (name == "IDENTITY.tmp" || (ParseFileName(name, &number, &type) && type != FileType::kLock)) {
      s = fs->RemoveFile(path + "/" + name);
      if (!s.ok()) return s;
    }
  }
  const std::string lost = LostDirName(path);
  if (fs->FileExists(lost).ok()) {
    std::vector<std::string> lost_files;
    s = fs->GetChildren(lost, &lost_files);
    for (size_t i = 0; s.ok() && i < lost_files.size(); i++) {
      s = fs->RemoveFile(lost + "/" + lost_files[i]);
    }
    if (s.ok()) s = fs->RemoveDir(lost);
    if (!s.ok()) return s;
  }
  lock.reset();
  s = fs->RemoveFile(LockFileName(path));
  if (!s.ok() && !s.IsNotFound()) return s;
  // Leave the directory if it holds files that are not ours.
  fs->RemoveDir(path).PermitUncheckedError();
  return Status::OK();
}

}  // namespace synapsed
