// DB open, creation, recovery and destruction.
//
// Creation: IDENTITY (written atomically), the first WAL, then the first
// MANIFEST and CURRENT (docs/format/manifest.md, "Creation").
// Recovery: the MANIFEST names the tables and the oldest WAL still needed;
// those WALs are replayed into a memtable, which is flushed to a level-0
// table; a new MANIFEST records that table and a new, empty WAL; only once
// that switch is durable are the replayed WALs and any other obsolete file
// removed (damaged WALs, and tables an unreadable last edit may have named,
// go to lost/). So every Open leaves no WAL written by an earlier process:
// its unsynced pages, or pages a failed fsync marked clean, are never
// trusted to be on disk (docs/design/recovery.md).
#include <algorithm>
#include <set>

#include "cache/table_cache.h"
#include "engine/db_impl.h"
#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/version_set.h"
#include "engine/wal_recovery.h"
#include "memtable/memtable.h"
#include "util/random.h"
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
  const uint64_t a = RandomUnique64(), b = RandomUnique64();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%08x-%08x-%08x\n", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a), static_cast<unsigned>(b >> 32), static_cast<unsigned>(b));
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
  if (options.write_buffer_size == 0)
    return Status::InvalidArgument("write_buffer_size must be > 0");
  if (options.max_write_buffer_number < 2) {
    return Status::InvalidArgument("max_write_buffer_number must be >= 2");
  }
  if (options.block_size == 0) return Status::InvalidArgument("block_size must be > 0");
  if (options.level0_file_num_compaction_trigger < 1 ||
      options.level0_slowdown_writes_trigger < options.level0_file_num_compaction_trigger ||
      options.level0_stop_writes_trigger < options.level0_slowdown_writes_trigger) {
    return Status::InvalidArgument(
        "level-0 triggers must satisfy 1 <= compaction <= slowdown <= stop");
  }
  if (options.max_bytes_for_level_base == 0 || options.max_bytes_for_level_multiplier < 1 ||
      options.target_file_size_base == 0) {
    return Status::InvalidArgument(
        "max_bytes_for_level_base and target_file_size_base must be > 0, the multiplier >= 1");
  }
  if (options.compaction_style != CompactionStyle::kLeveled &&
      options.compaction_style != CompactionStyle::kUniversal) {
    return Status::InvalidArgument("unknown compaction style");
  }
  if (options.max_background_jobs < 2) {
    return Status::InvalidArgument("max_background_jobs must be >= 2 (one flush, one compaction)");
  }
  if (options.compaction_options_universal.min_merge_width < 2 ||
      options.compaction_options_universal.max_merge_width <
          options.compaction_options_universal.min_merge_width) {
    return Status::InvalidArgument(
        "universal compaction needs 2 <= min_merge_width <= max_merge_width");
  }
  if (options.soft_pending_compaction_bytes_limit != 0 &&
      options.hard_pending_compaction_bytes_limit != 0 &&
      options.soft_pending_compaction_bytes_limit > options.hard_pending_compaction_bytes_limit) {
    return Status::InvalidArgument(
        "soft_pending_compaction_bytes_limit must not exceed the hard limit");
  }
  if (options.bloom_bits_per_key < 0) {
    return Status::InvalidArgument("bloom_bits_per_key must be >= 0");
  }
  if (options.zstd_level < 1 || options.zstd_level > 22) {
    return Status::InvalidArgument("zstd_level must be in 1..22");
  }
  auto known = [](CompressionType c) {
    return c == CompressionType::kNone || c == CompressionType::kLZ4 || c == CompressionType::kZstd;
  };
  if (!known(options.compression) ||
      (options.bottommost_compression && !known(*options.bottommost_compression))) {
    return Status::InvalidArgument("unknown compression type");
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
  s = CheckDirectIo();
  if (!s.ok()) return s;
  info_log_ = InfoLog::Open(fs_.get(), dbname_);
  info_log_->Log("synapsed opening %s", dbname_.c_str());
  info_log_->Log("%s; direct reads %s, direct flush/compaction writes %s", io_engine_note_.c_str(),
                 options_.use_direct_reads ? "on" : "off",
                 options_.use_direct_io_for_flush_and_compaction ? "on" : "off");

  if (options_.block_cache != nullptr) {
    block_cache_ = options_.block_cache;
  } else if (!options_.no_block_cache) {
    block_cache_ = NewARCCache(8 << 20);
  }
  s = fs_->FileExists(IdentityFileName(dbname_));
  if (s.IsNotFound()) {
    std::vector<std::string> children;
    s = DatabaseFilesWithoutIdentity(&children);
    if (!s.ok()) return s;
    if (!options_.create_if_missing) {
      return Status::InvalidArgument(dbname_, "does not exist (create_if_missing is false)");
    }
    s = CreateNew(children);
  } else if (s.ok() && options_.error_if_exists) {
    return Status::InvalidArgument(dbname_, "exists (error_if_exists is true)");
  } else if (s.ok()) {
    s = Recover();
  }
  if (!s.ok()) return s;
  // No thread starts here: recovery left no frozen memtable, and the
  // compaction threads start now only if the recovered tables need one.
  MutexLock l(&mu_);
  CompactionMayBeDue();
  return Status::OK();
}

Status DBImpl::CheckDirectIo() {
  if (!options_.use_direct_reads && !options_.use_direct_io_for_flush_and_compaction) {
    return Status::OK();
  }
  // A scratch file (number 0 is never a real file's; a leftover is removed
  // as a temporary file at the next open) opened the ways tables will be.
  const std::string probe = TempFileName(dbname_, 0);
  FileOptions direct;
  direct.use_direct_io = true;
  std::unique_ptr<WritableFile> w;
  Status s = fs_->NewWritableFileWithOptions(
      probe, options_.use_direct_io_for_flush_and_compaction ? direct : FileOptions(), &w);
  if (s.ok()) s = w->Append("direct I/O probe");
  if (s.ok()) s = w->Close();
  std::unique_ptr<RandomAccessFile> r;
  if (s.ok() && options_.use_direct_reads) {
    s = fs_->NewRandomAccessFileWithOptions(probe, direct, &r);
  }
  r.reset();
  w.reset();
  fs_->RemoveFile(probe).PermitUncheckedError();
  if (s.IsNotSupported()) {
    return Status::NotSupported(dbname_,
                                "direct I/O was asked for and the file system refuses "
                                "it (" +
                                    s.ToString() + ")");
  }
  return s;
}

Status DBImpl::ReadIdentity() {
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(IdentityFileName(dbname_), &file);
  if (!s.ok()) return s;
  char buf[128];
  std::string_view id;
  s = file->Read(sizeof(buf), &id, buf);
  if (!s.ok()) return s;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.remove_suffix(1);
  if (id.empty()) return Status::Corruption(IdentityFileName(dbname_), "is empty");
  db_id_.assign(id);
  FileOptions table_files;
  table_files.use_direct_io = options_.use_direct_reads;
  table_cache_ = std::make_unique<TableCache>(fs_, dbname_, db_id_, block_cache_.get(),
                                              options_.max_open_files, table_files);
  return Status::OK();
}

Status DBImpl::DatabaseFilesWithoutIdentity(std::vector<std::string>* children) {
  // A directory with database files but no IDENTITY is a database whose
  // IDENTITY was lost, or not one we created: refuse to guess rather than
  // overwrite someone's data, whether or not create_if_missing is set.
  Status s = fs_->GetChildren(dbname_, children);
  if (!s.ok()) return s;
  for (const auto& name : *children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) &&
        (type == FileType::kLog || type == FileType::kTable || type == FileType::kManifest ||
         type == FileType::kCurrent)) {
      return Status::Corruption(dbname_, "has database files but no IDENTITY file");
    }
  }
  return Status::OK();
}

Status DBImpl::CreateNew(const std::vector<std::string>& children) {
  // The directory's own entry must be durable before anything in it counts.
  // Synced here, not only when this Open made the directory: an earlier Open
  // may have made it and died before syncing its parent.
  Status s = fs_->SyncDir(ParentDir(dbname_));
  if (!s.ok()) return s;
  s = WriteFileAtomically(fs_.get(), dbname_, IdentityFileName(dbname_), NewIdentity());
  if (!s.ok()) return s;
  return FinishCrashedCreation(children);
}

// Creation's second half, also the way to finish a creation that crashed
// between IDENTITY and CURRENT (manifest.md): only empty logs, temporary
// files and MANIFESTs that CURRENT never named can be left then.
Status DBImpl::FinishCrashedCreation(const std::vector<std::string>& children) {
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    const std::string path = dbname_ + "/" + name;
    uint64_t size = 0;
    if (type == FileType::kTable ||
        (type == FileType::kLog && (!fs_->GetFileSize(path, &size).ok() || size != 0))) {
      return Status::Corruption(
          dbname_, "has no CURRENT file but holds " + name + " (a lost CURRENT is not guessed)");
    }
  }
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) &&
        (type == FileType::kLog || type == FileType::kManifest || type == FileType::kTemp)) {
      Status s = fs_->RemoveFile(dbname_ + "/" + name);
      if (!s.ok()) return s;
    }
  }
  Status s = ReadIdentity();
  if (!s.ok()) return s;
  MutexLock l(&mu_);
  const uint64_t log_number = versions_->NewFileNumber();
  s = CreateLog(log_number, &log_);
  if (!s.ok()) return s;
  VersionEdit edit;
  edit.SetLogNumber(log_number);
  s = versions_->LogAndApply(&edit);  // MANIFEST and CURRENT, durably
  if (!s.ok()) return s;
  log_number_ = log_number;
  live_logs_ = {log_number};
  mem_ = NewMemTable();
  InstallView();
  return Status::OK();
}

Status DBImpl::Recover() {
  Status s = ReadIdentity();
  if (!s.ok()) return s;
  std::vector<std::string> children;
  s = fs_->GetChildren(dbname_, &children);
  if (!s.ok()) return s;
  // Open runs alone; mu_ is held for the version set's contract.
  MutexLock l(&mu_);
  bool torn_tail = false;
  s = versions_->Recover(&torn_tail);
  if (s.IsNotFound() && !fs_->FileExists(CurrentFileName(dbname_)).ok()) {
    mu_.Unlock();
    s = FinishCrashedCreation(children);
    mu_.Lock();
    return s;
  }
  if (!s.ok()) return s;
  const uint64_t min_log = versions_->log_number();
  const std::string manifest = ManifestFileName("", versions_->manifest_number()).substr(1);

  std::vector<uint64_t> logs, obsolete_logs, tables, manifests, temps;
  for (const auto& name : children) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    versions_->MarkFileNumberUsed(number);
    switch (type) {
      case FileType::kLog:
        (number >= min_log ? logs : obsolete_logs).push_back(number);
        break;
      case FileType::kTable:
        tables.push_back(number);
        break;
      case FileType::kManifest:
        manifests.push_back(number);
        break;
      case FileType::kTemp:
        temps.push_back(number);
        break;
      default:
        break;
    }
  }
  std::sort(logs.begin(), logs.end());
  // Recovery step 5: a torn last edit was never acted on, and acting on a
  // flush deletes the WAL named by the old log number, so that WAL must be
  // here; if it is not, the "torn" edit was durable and is lost to damage.
  if (torn_tail && !std::binary_search(logs.begin(), logs.end(), min_log)) {
    return Status::Corruption(
        manifest, "its damaged last edit (" + versions_->torn_tail_damage() +
                      ") was acted on: " + LogFileName("", min_log).substr(1) + " is missing");
  }

  std::set<uint64_t> live;
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : versions_->current()->files(level)) live.insert(f->number);
  }
  std::vector<uint64_t> orphans;
  for (uint64_t n : tables) {
    if (live.count(n) == 0) orphans.push_back(n);
  }
  if (torn_tail) {
    // Tables no version names, when the unreadable last edit may have named
    // one: kept in lost/. Moved now, before the new MANIFEST: no MANIFEST
    // names them, so nothing needs them here, and a crash after the switch
    // could not tell them from ordinary orphans any more.
    for (uint64_t n : orphans) {
      s = Quarantine(TableFileName(dbname_, n), /*copy=*/false);
      if (!s.ok()) return s;
    }
    orphans.clear();
  }

  auto recovered = std::make_shared<MemTable>();
  WalRecoveryResult r;
  s = RecoverWal(fs_.get(), dbname_, options_.wal_recovery_mode, logs, versions_->last_sequence(),
                 recovered.get(), &r);
  if (!s.ok()) return s;
  // Damaged logs (and logs a point-in-time stop left unapplied) are copied to
  // lost/ before the switch: until it is durable the originals are still
  // needed (their intact prefix is replayed again if this Open dies), and
  // after it the next Open would see them only as obsolete logs.
  for (uint64_t n : r.damaged_logs) {
    s = Quarantine(LogFileName(dbname_, n), /*copy=*/true);
    if (!s.ok()) return s;
  }

  // The replayed writes go to a table, then a new MANIFEST names it and a
  // new WAL: after that, no file written by an earlier process is needed.
  VersionEdit edit;
  if (recovered->num_entries() > 0) {
    FileMetaData meta;
    meta.number = versions_->NewFileNumber();
    auto iter = MemTable::NewIterator(recovered);
    const auto tombstones = recovered->RangeTombstones();
    s = WriteLevel0Table(fs_.get(), dbname_, TableOptions(meta.number), iter.get(),
                         tombstones.get(), &meta, TableWriteOptions());
    if (!s.ok()) return s;
    edit.AddFile(0, meta);
    stat_flushes_.fetch_add(1, std::memory_order_relaxed);
    stat_flush_bytes_.fetch_add(meta.file_size, std::memory_order_relaxed);
  }
  const uint64_t log_number = versions_->NewFileNumber();
  s = CreateLog(log_number, &log_);
  if (!s.ok()) return s;
  edit.SetLogNumber(log_number);
  versions_->set_last_sequence(std::max(versions_->last_sequence(), r.last_sequence));
  s = versions_->LogAndApply(&edit);
  if (!s.ok()) return s;

  // The switch is durable: everything older is obsolete (manifest.md,
  // Recovery step 7). Deletions are best effort: a file left behind is
  // obsolete by the same rules at the next Open, so a failed delete must not
  // fail this one (or every later one).
  std::vector<std::string> remove;
  for (uint64_t n : r.intact_logs) remove.push_back(LogFileName(dbname_, n));
  for (uint64_t n : r.damaged_logs) remove.push_back(LogFileName(dbname_, n));  // copied
  for (uint64_t n : obsolete_logs) remove.push_back(LogFileName(dbname_, n));
  for (uint64_t n : orphans) remove.push_back(TableFileName(dbname_, n));
  for (uint64_t n : manifests) {
    if (n != versions_->manifest_number()) remove.push_back(ManifestFileName(dbname_, n));
  }
  for (uint64_t n : temps) remove.push_back(TempFileName(dbname_, n));
  for (const auto& path : remove) RemoveObsoleteFile(path);

  log_number_ = log_number;
  live_logs_ = {log_number};
  mem_ = NewMemTable();
  last_sequence_.store(versions_->last_sequence(), std::memory_order_release);
  recovery_damage_ = r.damage;
  InstallView();
  return Status::OK();
}

Status DBImpl::Quarantine(const std::string& path, bool copy) {
  const std::string lost = LostDirName(dbname_);
  Status s = fs_->CreateDirIfMissing(lost);
  if (s.ok()) s = fs_->SyncDir(dbname_);  // lost/'s own entry
  if (!s.ok()) return s;
  const std::string name = path.substr(path.rfind('/'));
  std::string target = lost + name;
  // Never overwrite an earlier quarantined file of the same name.
  for (int i = 1; fs_->FileExists(target).ok(); i++) {
    target = lost + name + "." + std::to_string(i);
  }
  s = copy ? CopyFile(path, target) : fs_->RenameFile(path, target);
  if (s.ok()) s = fs_->SyncDir(lost);
  return s;
}

Status DBImpl::CopyFile(const std::string& from, const std::string& to) {
  std::unique_ptr<SequentialFile> in;
  Status s = fs_->NewSequentialFile(from, &in);
  if (!s.ok()) return s;
  std::unique_ptr<WritableFile> out;
  s = fs_->NewWritableFile(to, &out);
  if (!s.ok()) return s;
  std::string buf(1 << 20, '\0');
  while (s.ok()) {
    std::string_view chunk;
    s = in->Read(buf.size(), &chunk, buf.data());
    if (!s.ok() || chunk.empty()) break;
    s = out->Append(chunk);
  }
  if (s.ok()) s = out->Sync();
  if (s.ok()) s = out->Close();
  return s;
}

Status DBImpl::CreateLog(uint64_t number, std::unique_ptr<wal::Writer>* writer) {
  const std::string path = LogFileName(dbname_, number);
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  // The log's directory entry must be durable before a synced write in it is
  // acknowledged, or a crash could lose the whole file.
  s = fs_->SyncDir(dbname_);
  if (!s.ok()) {
    file.reset();
    fs_->RemoveFile(path).PermitUncheckedError();  // never named, never written
    return s;
  }
  *writer = std::make_unique<wal::Writer>(std::move(file), number);
  return Status::OK();
}

Status DestroyDB(const std::string& path, const Options& options) {
  std::shared_ptr<FileSystem> fs =
      options.file_system ? options.file_system : FileSystem::Default();
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
    if (name == "IDENTITY.tmp" || (ParseFileName(name, &number, &type) && type != FileType::kLock &&
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
