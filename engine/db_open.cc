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
    s = fs_->CreateDirIfMissing(dbname_);
    if (!s.ok()) return s;
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
  // The directory's own entry must be durable before anything in it counts.
  // Synced here, not only when this Open made the directory: an earlier Open
  // may have made it and died before syncing its parent.
  s = fs_->SyncDir(ParentDir(dbname_));
  if (!s.ok()) return s;
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

  // Whenever logs exist, the recovered state is rewritten as a new checkpoint
  // and the logs are retired. Old logs are never trusted to be durable: a
  // process killed earlier may have left their tails only in the page cache,
  // and after a failed fsync Linux marks the unwritten pages clean, so a
  // second fsync "succeeds" without writing them. Either way a later machine
  // crash would drop them while newer, synced logs survive: a hole. Nor are
  // logs with damage kept: a later recovery would stop at the same damage and
  // ignore every write made after this Open. (Flushing to SSTables will take
  // this role.) The cost is writing the live data once per Open.
  const bool have_logs =
      !r.intact_logs.empty() || !r.damaged_logs.empty() || !r.superseded_logs.empty();
  if (have_logs || r.checkpoint_damaged) {
    const uint64_t checkpoint = next++;
    s = WriteCheckpoint(fs_.get(), dbname_, checkpoint, mem, r.last_sequence);
    if (!s.ok()) return s;
    // Every older file is obsolete now. Keep the ones that held damage (or
    // records that were not applied) for salvage; left-over superseded logs
    // may be such ones from an interrupted cleanup.
    for (const auto* list : {&r.damaged_logs, &r.superseded_logs}) {
      for (uint64_t n : *list) {
        s = Quarantine(LogFileName(dbname_, n));
        if (!s.ok()) return s;
      }
    }
    for (uint64_t n : r.intact_logs) {
      s = fs_->RemoveFile(LogFileName(dbname_, n));
      if (!s.ok()) return s;
    }
    if (r.checkpoint_number != 0) {
      const std::string old = CheckpointFileName(dbname_, r.checkpoint_number);
      s = r.checkpoint_damaged ? Quarantine(old) : fs_->RemoveFile(old);
      if (!s.ok()) return s;
    }
    s = fs_->SyncDir(dbname_);
    if (!s.ok()) return s;
  }
  {
    MutexLock l(&mu_);
    recovery_damage_ = r.damage;
  }
  return NewLog(next);
}

Status DBImpl::Quarantine(const std::string& path) {
  const std::string lost = LostDirName(dbname_);
  Status s = fs_->CreateDirIfMissing(lost);
  if (!s.ok()) return s;
  const std::string name = path.substr(path.rfind('/'));
  std::string target = lost + name;
  // Never overwrite an earlier quarantined file of the same name.
  for (int i = 1; fs_->FileExists(target).ok(); i++) {
    target = lost + name + "." + std::to_string(i);
  }
  s = fs_->RenameFile(path, target);
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
  // IDENTITY goes last: a crash part-way must not leave logs without it,
  // which Open refuses as "not a database we created".
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (name == "IDENTITY.tmp" ||
        (ParseFileName(name, &number, &type) && type != FileType::kLock &&
         type != FileType::kIdentity)) {
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
  s = fs->RemoveFile(IdentityFileName(path));
  if (!s.ok() && !s.IsNotFound()) return s;
  lock.reset();
  s = fs->RemoveFile(LockFileName(path));
  if (!s.ok() && !s.IsNotFound()) return s;
  // Leave the directory if it holds files that are not ours.
  fs->RemoveDir(path).PermitUncheckedError();
  return Status::OK();
}

}  // namespace synapsed
