#include "io/fault_injection_fs.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

namespace synapsed {

// An inode. Guarded by the owning file system's mu_ (not annotated: the
// analysis cannot name another object's mutex from a member).
struct FaultInjectionFileSystem::FileNode {
  std::string current;
  std::string durable;
};

// A directory entry: exactly one of file and dir is set. Equality is identity
// of the inode, which is what "the entry changed" means.
struct FaultInjectionFileSystem::Entry {
  std::shared_ptr<FileNode> file;
  DirNode* dir = nullptr;
  bool operator==(const Entry& other) const = default;
};

// Guarded by the owning file system's mu_.
struct FaultInjectionFileSystem::DirNode {
  std::map<std::string, Entry, std::less<>> current;
  std::map<std::string, Entry, std::less<>> durable;
};

namespace {

using OpKind = FaultInjectionFileSystem::OpKind;

Status Crashed(std::string_view op, const std::string& path) {
  return Status::IOError(std::string(op) + " " + path, "file system crashed");
}

Status Closed(std::string_view op, const std::string& path) {
  return Status::IOError(std::string(op) + " " + path, "file is closed");
}

// Copies up to n bytes of data from offset into scratch.
std::string_view CopyOut(const std::string& data, uint64_t offset, size_t n, char* scratch) {
  if (offset >= data.size()) return std::string_view(scratch, 0);
  size_t len = std::min<uint64_t>(n, data.size() - offset);
  std::memcpy(scratch, data.data() + offset, len);
  return std::string_view(scratch, len);
}

}  // namespace

// ---- observing ----------------------------------------------------------------

template <typename Call>
Status FaultInjectionFileSystem::Observed(OpKind kind, const std::string& path,
                                          const std::string& target, bool is_dir, Call&& call) {
  std::shared_ptr<const OperationObserver> observer;
  {
    MutexLock l(&mu_);
    observer = observer_;
  }
  Operation op;
  if (observer != nullptr) {
    op.kind = kind;
    op.is_dir = is_dir;
    op.path = path;
    op.target = target;
    (*observer)(op);
  }
  Status s = call();
  if (observer != nullptr) {
    op.phase = Operation::Phase::kAfter;
    op.status = s;
    (*observer)(op);
  }
  return s;
}

void FaultInjectionFileSystem::SetOperationObserver(OperationObserver observer) {
  MutexLock l(&mu_);
  observer_ = observer ? std::make_shared<const OperationObserver>(std::move(observer)) : nullptr;
}

// ---- handles ------------------------------------------------------------------
// Each handle holds its inode, so it keeps working on a file that was renamed
// or removed after it was opened, as a posix descriptor does.

class FaultInjectionFileSystem::SequentialHandle final : public SequentialFile {
 public:
  SequentialHandle(FaultInjectionFileSystem* fs, std::string path, std::shared_ptr<FileNode> file,
                   uint64_t generation)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), generation_(generation) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    MutexLock l(&fs_->mu_);
    *result = std::string_view();
    Status s = fs_->CheckAlive("read", path_, generation_);
    if (s.ok()) s = fs_->MaybeInject(OpKind::kRead, "read", path_);
    if (!s.ok()) return s;
    *result = CopyOut(file_->current, offset_, n, scratch);
    offset_ += result->size();
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    MutexLock l(&fs_->mu_);
    Status s = fs_->CheckAlive("skip", path_, generation_);
    if (!s.ok()) return s;
    // Clamp at the end without overflowing offset_ + n.
    const uint64_t end = std::max<uint64_t>(offset_, file_->current.size());
    offset_ = n > end - offset_ ? end : offset_ + n;
    return Status::OK();
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<FileNode> file_;
  const uint64_t generation_;
  uint64_t offset_ = 0;  // used by one thread at a time (FileSystem contract)
};

class FaultInjectionFileSystem::RandomAccessHandle final : public RandomAccessFile {
 public:
  RandomAccessHandle(FaultInjectionFileSystem* fs, std::string path, std::shared_ptr<FileNode> file,
                     uint64_t generation)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), generation_(generation) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    MutexLock l(&fs_->mu_);
    *result = std::string_view();
    Status s = fs_->CheckAlive("read", path_, generation_);
    if (s.ok()) s = fs_->MaybeInject(OpKind::kRead, "read", path_);
    if (!s.ok()) return s;
    *result = CopyOut(file_->current, offset, n, scratch);
    return Status::OK();
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<FileNode> file_;
  const uint64_t generation_;
};

class FaultInjectionFileSystem::WritableHandle final : public WritableFile {
 public:
  WritableHandle(FaultInjectionFileSystem* fs, std::string path, std::shared_ptr<FileNode> file,
                 uint64_t generation)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)), generation_(generation) {}

  // Nothing to do: appended bytes are in the file already, and a destructor
  // must not count as a mutating call (an armed crash firing from a
  // destructor would be hard to reason about).
  ~WritableHandle() override = default;

  Status Append(std::string_view data) override {
    return fs_->Observed(OpKind::kAppend, path_, std::string(), false, [&] {
      if (closed_) return Closed("append", path_);
      MutexLock l(&fs_->mu_);
      Status s = fs_->CheckAlive("append", path_, generation_);
      if (s.ok()) s = fs_->BeginMutation(OpKind::kAppend, "append", path_);
      if (!s.ok()) return s;
      file_->current.append(data);
      size_ += data.size();
      return Status::OK();
    });
  }

  Status Flush() override {
    return fs_->Observed(OpKind::kFlush, path_, std::string(), false, [&] {
      if (closed_) return Closed("flush", path_);
      MutexLock l(&fs_->mu_);
      Status s = fs_->CheckAlive("flush", path_, generation_);
      if (s.ok()) s = fs_->BeginMutation(OpKind::kFlush, "flush", path_);
      return s;
    });
  }

  Status Sync() override {
    return fs_->Observed(OpKind::kSync, path_, std::string(), false, [&] {
      if (closed_) return Closed("sync", path_);
      MutexLock l(&fs_->mu_);
      Status s = fs_->CheckAlive("sync", path_, generation_);
      if (s.ok()) s = fs_->BeginMutation(OpKind::kSync, "sync", path_);
      if (!s.ok()) return s;
      file_->durable = file_->current;
      fs_->sync_count_++;
      return Status::OK();
    });
  }

  Status Close() override {
    return fs_->Observed(OpKind::kFlush, path_, std::string(), false, [&] {
      if (closed_) return Closed("close", path_);
      closed_ = true;  // even if the flush fails, as close(2) releases the fd
      MutexLock l(&fs_->mu_);
      Status s = fs_->CheckAlive("close", path_, generation_);
      if (s.ok()) s = fs_->BeginMutation(OpKind::kFlush, "close", path_);
      return s;
    });
  }

  uint64_t Size() const override { return size_; }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<FileNode> file_;
  const uint64_t generation_;
  // Used by one thread at a time (FileSystem contract).
  bool closed_ = false;
  uint64_t size_ = 0;
};

class FaultInjectionFileSystem::LockHandle final : public FileLock {
 public:
  LockHandle(FaultInjectionFileSystem* fs, std::string path, uint64_t generation)
      : fs_(fs), path_(std::move(path)), generation_(generation) {}

  ~LockHandle() override {
    MutexLock l(&fs_->mu_);
    // A crash already released this lock; the path may be locked again by
    // someone else since, and that lock is not ours to drop.
    if (fs_->generation_ == generation_) fs_->locked_.erase(path_);
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::string path_;  // normalized
  const uint64_t generation_;
};

// Requests wait in submitted_ until Reap completes one picked at random;
// only then is it read, so its bytes (and any injected fault or crash) are
// those of the moment it completes, as on a real queue where the read
// happens some time after Submit.
class FaultInjectionFileSystem::ShuffledReadQueue final : public ReadQueue {
 public:
  ShuffledReadQueue(size_t depth, uint64_t seed) : depth_(depth), rnd_(seed) {}

  size_t depth() const override { return depth_; }
  size_t pending() const override { return added_.size() + submitted_.size(); }

  void Add(ReadRequest* req) override {
    assert(pending() < depth_);
    req->result = std::string_view();
    req->status = Status::OK();
    added_.push_back(req);
  }

  void Submit() override {
    submitted_.insert(submitted_.end(), added_.begin(), added_.end());
    added_.clear();
  }

  ReadRequest* Reap(bool wait) override {
    Submit();
    if (submitted_.empty()) return nullptr;
    // "Nothing has finished yet": a caller that reaps without waiting must
    // come back later, whatever it has submitted.
    if (!wait && rnd_.OneIn(kNotDoneOneIn)) return nullptr;
    const size_t i = static_cast<size_t>(rnd_.Uniform(submitted_.size()));
    ReadRequest* req = submitted_[i];
    submitted_[i] = submitted_.back();
    submitted_.pop_back();
    req->status = req->file->Read(req->offset, req->size, &req->result, req->scratch);
    return req;
  }

 private:
  static constexpr uint64_t kNotDoneOneIn = 3;

  const size_t depth_;
  Random rnd_;
  std::vector<ReadRequest*> added_;      // not yet submitted
  std::vector<ReadRequest*> submitted_;  // submitted, not yet completed
};

// ---- construction and paths ---------------------------------------------------

FaultInjectionFileSystem::FaultInjectionFileSystem() {
  MutexLock l(&mu_);
  root_ = NewDir();
}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

std::vector<std::string_view> FaultInjectionFileSystem::SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      const std::string_view part = path.substr(start, end - start);
      if (part != ".") parts.push_back(part);
    }
    start = end + 1;
  }
  return parts;
}

std::string FaultInjectionFileSystem::JoinPath(const std::vector<std::string_view>& parts) {
  if (parts.empty()) return "/";
  std::string path;
  for (std::string_view part : parts) path.append("/").append(part);
  return path;
}

FaultInjectionFileSystem::DirNode* FaultInjectionFileSystem::NewDir() {
  dirs_.push_back(std::make_unique<DirNode>());
  return dirs_.back().get();
}

FaultInjectionFileSystem::DirNode* FaultInjectionFileSystem::FindDir(
    const std::vector<std::string_view>& parts, size_t n) const {
  DirNode* dir = root_;
  for (size_t i = 0; i < n; i++) {
    auto it = dir->current.find(parts[i]);
    if (it == dir->current.end() || it->second.dir == nullptr) return nullptr;
    dir = it->second.dir;
  }
  return dir;
}

Status FaultInjectionFileSystem::FindParent(std::string_view op, const std::string& path,
                                            DirNode** parent, std::string* name) const {
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.empty()) {
    return Status::InvalidArgument(std::string(op) + " " + path, "not allowed on the root");
  }
  *parent = FindDir(parts, parts.size() - 1);
  if (*parent == nullptr) {
    return Status::NotFound(std::string(op) + " " + path, "No such file or directory");
  }
  *name = parts.back();
  return Status::OK();
}

const FaultInjectionFileSystem::Entry* FaultInjectionFileSystem::FindEntry(
    const std::string& path) const {
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.empty()) return nullptr;
  DirNode* parent = FindDir(parts, parts.size() - 1);
  if (parent == nullptr) return nullptr;
  auto it = parent->current.find(parts.back());
  return it == parent->current.end() ? nullptr : &it->second;
}

Status FaultInjectionFileSystem::FindFile(std::string_view op, const std::string& path,
                                          std::shared_ptr<FileNode>* file) const {
  const Entry* entry = FindEntry(path);
  if (entry == nullptr) {
    if (SplitPath(path).empty())
      return Status::IOError(std::string(op) + " " + path, "Is a directory");
    return Status::NotFound(std::string(op) + " " + path, "No such file or directory");
  }
  if (entry->dir != nullptr) {
    return Status::IOError(std::string(op) + " " + path, "Is a directory");
  }
  *file = entry->file;
  return Status::OK();
}

// ---- call prologue ------------------------------------------------------------

Status FaultInjectionFileSystem::CheckAlive(std::string_view op, const std::string& path,
                                            uint64_t generation) const {
  if (generation != generation_) return Crashed(op, path);
  return Status::OK();
}

Status FaultInjectionFileSystem::CountMutation(std::string_view op, const std::string& path) {
  mutating_ops_++;
  if (armed_ && mutating_ops_ == arm_at_op_) {
    armed_ = false;
    crashed_by_arm_ = true;
    CrashLocked(arm_mode_, arm_seed_);
    return Crashed(op, path);
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::MaybeInject(OpKind kind, std::string_view op,
                                             const std::string& path, const std::string& path2) {
  for (size_t i = 0; i < faults_.size(); i++) {
    ArmedFault& f = faults_[i];
    if (f.spec.op != kind) continue;
    const std::string& sub = f.spec.path_substring;
    bool matches = sub.empty() || path.find(sub) != std::string::npos ||
                   (!path2.empty() && path2.find(sub) != std::string::npos);
    if (!matches) continue;
    if (f.skip_left > 0) {
      f.skip_left--;
      continue;
    }
    const bool no_space = f.spec.error == Errno::kENOSPC;
    if (f.count_left > 0 && --f.count_left == 0) {
      faults_.erase(faults_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    std::string context(op);
    context.append(" ").append(path);
    if (!path2.empty()) context.append(" to ").append(path2);
    if (no_space) return Status::NoSpace(context, "injected fault (ENOSPC)");
    return Status::IOError(context, "injected fault (EIO)");
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::BeginMutation(OpKind kind, std::string_view op,
                                               const std::string& path, const std::string& path2) {
  Status s = CountMutation(op, path);
  if (s.ok()) s = MaybeInject(kind, op, path, path2);
  return s;
}

// ---- FileSystem ---------------------------------------------------------------

Status FaultInjectionFileSystem::NewSequentialFile(const std::string& path,
                                                   std::unique_ptr<SequentialFile>* result) {
  MutexLock l(&mu_);
  result->reset();
  Status s = MaybeInject(OpKind::kOpenRead, "open", path);
  std::shared_ptr<FileNode> file;
  if (s.ok()) s = FindFile("open", path, &file);
  if (!s.ok()) return s;
  *result = std::make_unique<SequentialHandle>(this, path, std::move(file), generation_);
  return Status::OK();
}

Status FaultInjectionFileSystem::NewRandomAccessFile(const std::string& path,
                                                     std::unique_ptr<RandomAccessFile>* result) {
  MutexLock l(&mu_);
  result->reset();
  Status s = MaybeInject(OpKind::kOpenRead, "open", path);
  std::shared_ptr<FileNode> file;
  if (s.ok()) s = FindFile("open", path, &file);
  if (!s.ok()) return s;
  *result = std::make_unique<RandomAccessHandle>(this, path, std::move(file), generation_);
  return Status::OK();
}

Status FaultInjectionFileSystem::NewWritableFile(const std::string& path,
                                                 std::unique_ptr<WritableFile>* result) {
  return Observed(OpKind::kCreate, path, std::string(), false, [&] {
    MutexLock l(&mu_);
    result->reset();
    Status s = BeginMutation(OpKind::kCreate, "create", path);
    DirNode* parent = nullptr;
    std::string name;
    if (s.ok()) s = FindParent("create", path, &parent, &name);
    if (!s.ok()) return s;
    std::shared_ptr<FileNode> file;
    auto it = parent->current.find(name);
    if (it == parent->current.end()) {
      file = std::make_shared<FileNode>();
      parent->current[name].file = file;
    } else if (it->second.dir != nullptr) {
      return Status::IOError("create " + path, "Is a directory");
    } else {
      file = it->second.file;
      file->current.clear();
    }
    *result = std::make_unique<WritableHandle>(this, path, std::move(file), generation_);
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::FileExists(const std::string& path) {
  MutexLock l(&mu_);
  if (SplitPath(path).empty() || FindEntry(path) != nullptr) return Status::OK();
  return Status::NotFound("exists " + path, "No such file or directory");
}

Status FaultInjectionFileSystem::GetChildren(const std::string& dir,
                                             std::vector<std::string>* names) {
  MutexLock l(&mu_);
  names->clear();
  std::vector<std::string_view> parts = SplitPath(dir);
  const DirNode* node = FindDir(parts, parts.size());
  if (node == nullptr) {
    if (FindEntry(dir) != nullptr) return Status::IOError("list " + dir, "Not a directory");
    return Status::NotFound("list " + dir, "No such file or directory");
  }
  for (const auto& [name, entry] : node->current) names->push_back(name);
  return Status::OK();
}

Status FaultInjectionFileSystem::GetFileSize(const std::string& path, uint64_t* size) {
  MutexLock l(&mu_);
  *size = 0;
  std::shared_ptr<FileNode> file;
  Status s = FindFile("stat", path, &file);
  if (s.ok()) *size = file->current.size();
  return s;
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  return Observed(OpKind::kRemove, path, std::string(), false, [&] {
    MutexLock l(&mu_);
    Status s = BeginMutation(OpKind::kRemove, "remove", path);
    DirNode* parent = nullptr;
    std::string name;
    if (s.ok()) s = FindParent("remove", path, &parent, &name);
    if (!s.ok()) return s;
    auto it = parent->current.find(name);
    if (it == parent->current.end()) {
      return Status::NotFound("remove " + path, "No such file or directory");
    }
    if (it->second.dir != nullptr) return Status::IOError("remove " + path, "Is a directory");
    parent->current.erase(it);
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::RenameFile(const std::string& src, const std::string& target) {
  return Observed(OpKind::kRename, src, target, false, [&] {
    MutexLock l(&mu_);
    const std::string what = src + " to " + target;
    Status s = BeginMutation(OpKind::kRename, "rename", src, target);
    DirNode* src_dir = nullptr;
    DirNode* target_dir = nullptr;
    std::string src_name, target_name;
    if (s.ok()) s = FindParent("rename", src, &src_dir, &src_name);
    if (s.ok()) s = FindParent("rename", target, &target_dir, &target_name);
    if (!s.ok()) return s;
    auto it = src_dir->current.find(src_name);
    if (it == src_dir->current.end()) {
      return Status::NotFound("rename " + what, "No such file or directory");
    }
    Entry moving = it->second;
    if (src_dir == target_dir && src_name == target_name) return Status::OK();
    auto old = target_dir->current.find(target_name);
    if (old != target_dir->current.end()) {
      if (old->second.dir != nullptr && moving.dir == nullptr) {
        return Status::IOError("rename " + what, "Is a directory");
      }
      if (old->second.dir == nullptr && moving.dir != nullptr) {
        return Status::IOError("rename " + what, "Not a directory");
      }
      if (old->second.dir != nullptr && !old->second.dir->current.empty()) {
        return Status::IOError("rename " + what, "Directory not empty");
      }
    }
    if (moving.dir != nullptr) {
      // A directory must not move below itself.
      std::vector<std::string_view> sp = SplitPath(src), tp = SplitPath(target);
      if (tp.size() > sp.size() && std::equal(sp.begin(), sp.end(), tp.begin())) {
        return Status::InvalidArgument("rename " + what, "target is inside the source");
      }
    }
    src_dir->current.erase(it);
    target_dir->current[target_name] = std::move(moving);
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::Truncate(const std::string& path, uint64_t size) {
  return Observed(OpKind::kTruncate, path, std::string(), false, [&] {
    MutexLock l(&mu_);
    Status s = BeginMutation(OpKind::kTruncate, "truncate", path);
    std::shared_ptr<FileNode> file;
    if (s.ok()) s = FindFile("truncate", path, &file);
    if (!s.ok()) return s;
    file->current.resize(size, '\0');
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::CreateDirIfMissing(const std::string& dir) {
  return Observed(OpKind::kCreateDir, dir, std::string(), false, [&] {
    MutexLock l(&mu_);
    Status s = BeginMutation(OpKind::kCreateDir, "mkdir", dir);
    if (!s.ok()) return s;
    if (SplitPath(dir).empty()) return Status::OK();  // the root always exists
    DirNode* parent = nullptr;
    std::string name;
    s = FindParent("mkdir", dir, &parent, &name);
    if (!s.ok()) return s;
    auto it = parent->current.find(name);
    if (it == parent->current.end()) {
      parent->current[name].dir = NewDir();
    } else if (it->second.dir == nullptr) {
      return Status::IOError("mkdir " + dir, "exists and is not a directory");
    }
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::RemoveDir(const std::string& dir) {
  return Observed(OpKind::kRemove, dir, std::string(), true, [&] {
    MutexLock l(&mu_);
    Status s = BeginMutation(OpKind::kRemove, "rmdir", dir);
    DirNode* parent = nullptr;
    std::string name;
    if (s.ok()) s = FindParent("rmdir", dir, &parent, &name);
    if (!s.ok()) return s;
    auto it = parent->current.find(name);
    if (it == parent->current.end()) {
      return Status::NotFound("rmdir " + dir, "No such file or directory");
    }
    if (it->second.dir == nullptr) return Status::IOError("rmdir " + dir, "Not a directory");
    if (!it->second.dir->current.empty()) {
      return Status::IOError("rmdir " + dir, "Directory not empty");
    }
    // The node stays in dirs_: the parent's durable entries may still name it.
    parent->current.erase(it);
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  return Observed(OpKind::kSyncDir, dir, std::string(), false, [&] {
    MutexLock l(&mu_);
    Status s = BeginMutation(OpKind::kSyncDir, "syncdir", dir);
    if (!s.ok()) return s;
    std::vector<std::string_view> parts = SplitPath(dir);
    DirNode* node = FindDir(parts, parts.size());
    if (node == nullptr) {
      if (FindEntry(dir) != nullptr) return Status::IOError("syncdir " + dir, "Not a directory");
      return Status::NotFound("syncdir " + dir, "No such file or directory");
    }
    node->durable = node->current;
    syncdir_count_++;
    return Status::OK();
  });
}

Status FaultInjectionFileSystem::LockFile(const std::string& path,
                                          std::unique_ptr<FileLock>* lock) {
  MutexLock l(&mu_);
  lock->reset();
  Status s = MaybeInject(OpKind::kLock, "lock", path);
  if (!s.ok()) return s;
  const std::string key = JoinPath(SplitPath(path));
  if (locked_.count(key) != 0) {
    return Status::IOError("lock " + path, "already held by this process");
  }
  DirNode* parent = nullptr;
  std::string name;
  s = FindParent("lock", path, &parent, &name);
  if (!s.ok()) return s;
  auto it = parent->current.find(name);
  if (it == parent->current.end()) {
    parent->current[name].file = std::make_shared<FileNode>();
  } else if (it->second.dir != nullptr) {
    return Status::IOError("lock " + path, "Is a directory");
  }
  locked_.insert(key);
  *lock = std::make_unique<LockHandle>(this, key, generation_);
  return Status::OK();
}

Status FaultInjectionFileSystem::NewRandomAccessFileWithOptions(
    const std::string& path, const FileOptions& /*options*/,
    std::unique_ptr<RandomAccessFile>* result) {
  return NewRandomAccessFile(path, result);
}

Status FaultInjectionFileSystem::NewWritableFileWithOptions(const std::string& path,
                                                            const FileOptions& /*options*/,
                                                            std::unique_ptr<WritableFile>* result) {
  return NewWritableFile(path, result);
}

Status FaultInjectionFileSystem::NewReadQueue(size_t depth, std::unique_ptr<ReadQueue>* queue) {
  if (depth == 0) return Status::InvalidArgument("read queue depth 0");
  MutexLock l(&mu_);
  // Distinct, reproducible streams for the queues made after one seed.
  const uint64_t seed = read_queue_seed_ ^ (0x9E3779B97F4A7C15ull * ++read_queues_made_);
  *queue = std::make_unique<ShuffledReadQueue>(depth, seed);
  return Status::OK();
}

void FaultInjectionFileSystem::SetReadQueueSeed(uint64_t seed) {
  MutexLock l(&mu_);
  read_queue_seed_ = seed;
  read_queues_made_ = 0;
}

// ---- crashes ------------------------------------------------------------------

void FaultInjectionFileSystem::SimulateCrash(CrashMode mode, uint64_t seed) {
  MutexLock l(&mu_);
  CrashLocked(mode, seed);
}

void FaultInjectionFileSystem::ArmCrash(uint64_t k, CrashMode mode, uint64_t seed) {
  MutexLock l(&mu_);
  armed_ = k >= 1;
  arm_at_op_ = mutating_ops_ + k;
  arm_mode_ = mode;
  arm_seed_ = seed;
}

void FaultInjectionFileSystem::DisarmCrash() {
  MutexLock l(&mu_);
  armed_ = false;
}

bool FaultInjectionFileSystem::crashed_by_arm() const {
  MutexLock l(&mu_);
  return crashed_by_arm_;
}

uint64_t FaultInjectionFileSystem::mutating_ops() const {
  MutexLock l(&mu_);
  return mutating_ops_;
}

void FaultInjectionFileSystem::CrashLocked(CrashMode mode, uint64_t seed) {
  Random rnd(seed);
  std::set<const DirNode*> dirs_seen;
  std::set<const FileNode*> files_seen;
  CrashDir(root_, mode, &rnd, &dirs_seen, &files_seen);
  // Directories no longer reachable can never come back: every surviving
  // node's durable entries now equal its current ones.
  std::erase_if(dirs_,
                [&](const std::unique_ptr<DirNode>& d) { return !dirs_seen.count(d.get()); });
  locked_.clear();
  generation_++;
}

void FaultInjectionFileSystem::CrashDir(DirNode* dir, CrashMode mode, Random* rnd,
                                        std::set<const DirNode*>* dirs_seen,
                                        std::set<const FileNode*>* files_seen) {
  dirs_seen->insert(dir);
  // Walk the union of current and durable names in order, so one seed gives
  // one outcome.
  std::map<std::string, Entry, std::less<>> chosen;
  auto cur = dir->current.begin();
  auto dur = dir->durable.begin();
  while (cur != dir->current.end() || dur != dir->durable.end()) {
    std::optional<Entry> now, then;
    std::string name;
    if (dur == dir->durable.end() || (cur != dir->current.end() && cur->first < dur->first)) {
      name = cur->first;
      now = (cur++)->second;
    } else if (cur == dir->current.end() || dur->first < cur->first) {
      name = dur->first;
      then = (dur++)->second;
    } else {
      name = cur->first;
      now = (cur++)->second;
      then = (dur++)->second;
    }
    std::optional<Entry> pick = then;
    if (now == then) {
      pick = now;
    } else if (mode == CrashMode::kKeepRandomUnsynced && rnd->OneIn(2)) {
      pick = now;
    }
    if (pick.has_value()) chosen.emplace(std::move(name), *std::move(pick));
  }

  for (auto it = chosen.begin(); it != chosen.end();) {
    Entry& e = it->second;
    if (e.dir != nullptr) {
      // Mixing entries from different times after directory renames can
      // reach one directory twice (or in a cycle); keep the first sighting,
      // since a directory has exactly one name.
      if (dirs_seen->count(e.dir) != 0) {
        it = chosen.erase(it);
        continue;
      }
      CrashDir(e.dir, mode, rnd, dirs_seen, files_seen);
    } else if (files_seen->insert(e.file.get()).second) {
      CrashFile(e.file.get(), mode, rnd);
    }
    ++it;
  }
  dir->durable = chosen;
  dir->current = std::move(chosen);
}

void FaultInjectionFileSystem::CrashFile(FileNode* file, CrashMode mode, Random* rnd) {
  std::string& now = file->current;
  const std::string& then = file->durable;
  if (now != then) {
    if (mode == CrashMode::kDropUnsynced) {
      now = then;
    } else {
      const bool extends = now.size() >= then.size() && now.compare(0, then.size(), then) == 0;
      if (!extends && rnd->OneIn(2)) {
        now = then;
      } else {
        size_t common = 0;
        while (common < then.size() && common < now.size() && now[common] == then[common]) {
          common++;
        }
        now.resize(common + rnd->Uniform(now.size() - common + 1));
      }
    }
  }
  // After the crash, what is on the device is all there is.
  file->durable = now;
}

// ---- faults -------------------------------------------------------------------

void FaultInjectionFileSystem::InjectFault(const FaultSpec& spec) {
  MutexLock l(&mu_);
  if (spec.count == 0) return;
  faults_.push_back(ArmedFault{spec, std::max(spec.skip, 0), spec.count < 0 ? -1 : spec.count});
}

void FaultInjectionFileSystem::ClearFaults() {
  MutexLock l(&mu_);
  faults_.clear();
}

// ---- inspection ---------------------------------------------------------------

Status FaultInjectionFileSystem::ReadFileToString(const std::string& path, std::string* data) {
  MutexLock l(&mu_);
  data->clear();
  std::shared_ptr<FileNode> file;
  Status s = FindFile("read", path, &file);
  if (s.ok()) *data = file->current;
  return s;
}

std::shared_ptr<FaultInjectionFileSystem> FaultInjectionFileSystem::WithFiles(
    const std::string& dir, const std::map<std::string, std::string>& files) {
  auto fs = std::make_shared<FaultInjectionFileSystem>();
  Status s = fs->CreateDirIfMissing(dir);
  if (s.ok()) s = fs->SyncDir("/");
  for (auto it = files.begin(); s.ok() && it != files.end(); ++it) {
    s = fs->WriteFileFromString(it->first, it->second, true);
  }
  // Only a bad path can fail here, and that is the calling test's bug.
  if (!s.ok()) std::abort();
  return fs;
}

Status FaultInjectionFileSystem::WriteFileFromString(const std::string& path, std::string_view data,
                                                     bool durable) {
  MutexLock l(&mu_);
  DirNode* parent = nullptr;
  std::string name;
  Status s = FindParent("write", path, &parent, &name);
  if (!s.ok()) return s;
  auto it = parent->current.find(name);
  if (it == parent->current.end()) {
    it = parent->current.emplace(name, Entry{std::make_shared<FileNode>(), nullptr}).first;
  } else if (it->second.dir != nullptr) {
    return Status::IOError("write " + path, "Is a directory");
  }
  FileNode* file = it->second.file.get();
  file->current.assign(data);
  if (durable) {
    file->durable = file->current;
    parent->durable[name] = it->second;
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::CorruptByte(const std::string& path, uint64_t offset,
                                             uint8_t xor_mask) {
  MutexLock l(&mu_);
  std::shared_ptr<FileNode> file;
  Status s = FindFile("corrupt", path, &file);
  if (!s.ok()) return s;
  if (offset >= file->current.size()) {
    return Status::InvalidArgument("corrupt " + path, "offset past the end of the file");
  }
  file->current[offset] = static_cast<char>(file->current[offset] ^ xor_mask);
  if (offset < file->durable.size()) {
    file->durable[offset] = static_cast<char>(file->durable[offset] ^ xor_mask);
  }
  return Status::OK();
}

const FaultInjectionFileSystem::FileNode* FaultInjectionFileSystem::FindDurableFile(
    const std::string& path) const {
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.empty()) return nullptr;
  const DirNode* dir = root_;
  for (size_t i = 0; i < parts.size(); i++) {
    auto it = dir->durable.find(parts[i]);
    if (it == dir->durable.end()) return nullptr;
    if (i + 1 == parts.size()) return it->second.file.get();  // null for a directory
    if (it->second.dir == nullptr) return nullptr;
    dir = it->second.dir;
  }
  return nullptr;
}

Status FaultInjectionFileSystem::ReadDurableFile(const std::string& path, std::string* data) const {
  MutexLock l(&mu_);
  data->clear();
  const FileNode* file = FindDurableFile(path);
  if (file == nullptr) return Status::NotFound("durable " + path, "no durable file entry");
  *data = file->durable;
  return Status::OK();
}

Status FaultInjectionFileSystem::ReadDurableDir(const std::string& dir,
                                                const std::vector<std::string>& content_prefixes,
                                                std::map<std::string, DurableFile>* files) const {
  MutexLock l(&mu_);
  files->clear();
  const DirNode* node = root_;
  for (std::string_view part : SplitPath(dir)) {
    auto it = node->durable.find(part);
    if (it == node->durable.end() || it->second.dir == nullptr) {
      return Status::NotFound("durable " + dir, "no durable directory entry");
    }
    node = it->second.dir;
  }
  for (const auto& [name, entry] : node->durable) {
    if (entry.file == nullptr) continue;
    DurableFile& f = (*files)[name];
    f.size = entry.file->durable.size();
    for (const std::string& prefix : content_prefixes) {
      if (name.starts_with(prefix)) {
        f.contents = entry.file->durable;
        break;
      }
    }
  }
  return Status::OK();
}

std::vector<std::string> FaultInjectionFileSystem::ListAllFiles() const {
  MutexLock l(&mu_);
  std::vector<std::string> files;
  // Iterative walk; map order plus the final sort keep the result stable.
  std::vector<std::pair<std::string, const DirNode*>> stack = {{"", root_}};
  while (!stack.empty()) {
    auto [prefix, dir] = stack.back();
    stack.pop_back();
    for (const auto& [name, entry] : dir->current) {
      std::string path = prefix + "/" + name;
      if (entry.dir != nullptr) {
        stack.emplace_back(std::move(path), entry.dir);
      } else {
        files.push_back(std::move(path));
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

uint64_t FaultInjectionFileSystem::sync_count() const {
  MutexLock l(&mu_);
  return sync_count_;
}

uint64_t FaultInjectionFileSystem::syncdir_count() const {
  MutexLock l(&mu_);
  return syncdir_count_;
}

}  // namespace synapsed
