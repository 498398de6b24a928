// FaultInjectionFileSystem: an in-memory FileSystem for tests that can crash,
// fail on demand and be inspected. It never touches the disk. Test-only: it
// is compiled into synapsed_testutil, never into libsynapsed.
//
// What it models. A tree of directories rooted at "/" ("/" always exists;
// other directories exist only once created). Paths are split on '/', so
// "/db/x", "db/x" and "/db//x" name the same file. Every file is an inode
// with two contents: `current` (what reads see; Append changes it at once,
// because appended bytes reach the OS when Append returns) and `durable`
// (what survives a machine crash; Sync copies current into it). Every
// directory likewise has current and durable entries; SyncDir(dir) makes the
// current entries of dir durable. A file's data and its directory entry are
// independent: a synced file whose creation was not dir-synced vanishes in a
// crash, and a dir-synced file whose data was not synced comes back with only
// its synced bytes. RenameFile moves the entry (the inode is shared, not
// copied): a removal in the source directory and a creation in the target
// directory, each durable only after SyncDir of its own directory. Note this
// is stricter than ext4, where a rename within one directory is atomic across
// a crash: here, until SyncDir, the two entries recover independently.
//
// Crashes. SimulateCrash(mode, seed) replaces the current state with what a
// crash could leave behind (see CrashMode), then kills every handle and lock
// obtained before it: their calls fail with IOError "file system crashed"
// and never change the post-crash state. Opens after the crash work normally.
// ArmCrash(k, ...) does the same just before the k-th mutating operation.
//
// Mutating operations (counted by mutating_ops(), the unit of ArmCrash):
// WritableFile::Append, Flush, Sync, Close, and FileSystem::NewWritableFile,
// RemoveFile, RenameFile, Truncate, CreateDirIfMissing, RemoveDir, SyncDir.
// A call is counted when it starts, whether it then succeeds, fails by an
// injected fault or fails for a real reason (NotFound, ...). Calls on a
// closed or dead (pre-crash) handle fail first and are not counted; nor are
// LockFile, reads, the WritableFile destructor, or the test helpers below.
//
// Observing operations. SetOperationObserver(f) calls f twice for every
// mutating call (the calls counted by mutating_ops(), plus calls on a dead
// or closed handle): once before it runs (phase kBefore, before it is
// counted, so before an armed crash fires) and once after (kAfter, with the
// call's Status). f runs on the calling thread, outside the internal mutex,
// so it may call back into the file system (the durable-state helpers below
// are meant for it); calls from several threads may overlap. Between the two
// calls of one operation, other threads' operations may run. Test helpers
// (WriteFileFromString, CorruptByte, SimulateCrash) are not observed.
//
// Faults. InjectFault makes matching calls fail with EIO (Status::IOError) or
// ENOSPC (Status::NoSpace) and a message "<op> <path>: injected ...". A failed
// call changes nothing: a failed Append appends nothing, a failed Sync makes
// nothing durable, a failed Close still closes the handle (as close(2) does).
//
// FileOptions. use_direct_io and write_behind are accepted and modelled as
// plain files: there is no page cache to bypass, and an append is in the
// file (and visible to reads) when Append returns, which is one of the
// behaviours both options allow. So the engine can open its table files
// with the options it uses on disk, and crash tests see the same calls.
//
// Read queues (NewReadQueue) exist to break callers that lean on what the
// ReadQueue contract does not promise. A request is read when it completes,
// with RandomAccessFile::Read of its file (for this file system's files:
// dead after a crash, and an injected kRead fault fails exactly the one
// request whose read it matches). Requests complete in a shuffled order,
// not the order added, and Reap(wait = false) sometimes returns null while
// requests are pending, as a real queue does when nothing has finished.
// Both come from a seeded generator: SetReadQueueSeed(s) makes the queues
// made after it reproducible (the n-th one is seeded by s and n).
//
// Thread safety: every method of the file system, and of the files and locks
// it hands out, may be called concurrently (within the FileSystem contract:
// one thread at a time per SequentialFile/WritableFile/ReadQueue). One
// internal mutex guards all state; no callback runs under it.
//
// Lifetime: the file system must outlive every file, lock and read queue it
// hands out.
#ifndef SYNAPSED_IO_FAULT_INJECTION_FS_H_
#define SYNAPSED_IO_FAULT_INJECTION_FS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/file_system.h"
#include "synapsed/status.h"
#include "util/mutex.h"
#include "util/random.h"

namespace synapsed {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  enum class CrashMode {
    // Every directory reverts to its durable entries, every file to its
    // durable contents: the worst case a correct engine must survive.
    kDropUnsynced,
    // Some unsynced work made it, as on a real machine. Each directory entry
    // that differs between current and durable independently takes one of
    // the two states. A file whose current contents extend its durable ones
    // keeps the durable bytes plus a random prefix (0..all bytes) of the
    // unsynced tail: a torn append, never a hole. A file whose contents were
    // otherwise changed (truncated, recreated) takes, by a coin flip, its
    // durable contents or its current contents cut at a random point past
    // their common prefix with the durable ones. Reproducible for one seed
    // and one history of calls.
    kKeepRandomUnsynced,
  };

  // The calls an injected fault can hit.
  enum class OpKind {
    kRead,       // SequentialFile::Read, RandomAccessFile::Read
    kAppend,     // WritableFile::Append
    kFlush,      // WritableFile::Flush, and the flush inside WritableFile::Close
    kSync,       // WritableFile::Sync
    kCreate,     // NewWritableFile
    kOpenRead,   // NewSequentialFile, NewRandomAccessFile
    kRename,     // RenameFile (matches if either path matches)
    kRemove,     // RemoveFile, RemoveDir
    kTruncate,   // Truncate
    kSyncDir,    // SyncDir
    kCreateDir,  // CreateDirIfMissing
    kLock,       // LockFile
  };
  enum class Errno { kEIO, kENOSPC };

  struct FaultSpec {
    OpKind op = OpKind::kAppend;
    std::string path_substring;  // the call's path must contain it; empty = any path
    Errno error = Errno::kEIO;
    int skip = 0;   // let this many matching calls succeed first
    int count = 1;  // then fail this many; -1 = every later matching call
  };

  // One mutating call, as the observer sees it.
  struct Operation {
    enum class Phase { kBefore, kAfter };
    Phase phase = Phase::kBefore;
    // kAppend, kFlush (WritableFile::Flush and Close), kSync, kCreate, kRename,
    // kRemove (RemoveFile and RemoveDir), kTruncate, kSyncDir or kCreateDir.
    OpKind kind = OpKind::kAppend;
    bool is_dir = false;  // kRemove: RemoveDir rather than RemoveFile
    std::string path;     // as the caller spelled it (for a handle: as opened)
    std::string target;   // kRename: the new path; else empty
    Status status;        // kAfter: the call's result; kBefore: OK
  };
  using OperationObserver = std::function<void(const Operation&)>;

  FaultInjectionFileSystem();
  ~FaultInjectionFileSystem() override;
  FaultInjectionFileSystem(const FaultInjectionFileSystem&) = delete;
  FaultInjectionFileSystem& operator=(const FaultInjectionFileSystem&) = delete;

  // FileSystem. Missing files and missing parent directories are NotFound.
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override EXCLUDES(mu_);
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override EXCLUDES(mu_);
  // Truncates an existing file in place (same inode, O_TRUNC): its durable
  // contents stay as they were until the next Sync.
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override
      EXCLUDES(mu_);
  Status FileExists(const std::string& path) override EXCLUDES(mu_);
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override
      EXCLUDES(mu_);
  Status GetFileSize(const std::string& path, uint64_t* size) override EXCLUDES(mu_);
  Status RemoveFile(const std::string& path) override EXCLUDES(mu_);
  Status RenameFile(const std::string& src, const std::string& target) override EXCLUDES(mu_);
  Status Truncate(const std::string& path, uint64_t size) override EXCLUDES(mu_);
  Status CreateDirIfMissing(const std::string& dir) override EXCLUDES(mu_);
  Status RemoveDir(const std::string& dir) override EXCLUDES(mu_);
  Status SyncDir(const std::string& dir) override EXCLUDES(mu_);
  // Exclusive within this object. Creates the file (a non-durable entry) if
  // it is missing, as posix does.
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override EXCLUDES(mu_);
  // As NewRandomAccessFile and NewWritableFile whatever the options ask for
  // (see "FileOptions" above); counted and faulted as those.
  Status NewRandomAccessFileWithOptions(const std::string& path, const FileOptions& options,
                                        std::unique_ptr<RandomAccessFile>* result) override
      EXCLUDES(mu_);
  Status NewWritableFileWithOptions(const std::string& path, const FileOptions& options,
                                    std::unique_ptr<WritableFile>* result) override EXCLUDES(mu_);
  // A shuffling read queue (see "Read queues" above). Not a mutating call.
  Status NewReadQueue(size_t depth, std::unique_ptr<ReadQueue>* queue) override EXCLUDES(mu_);

  // ---- read queues ----------------------------------------------------------
  // Seeds the read queues made from now on; the n-th one (n = 0, 1, ...)
  // after this call shuffles by (seed, n). Before any call the seed is 0.
  void SetReadQueueSeed(uint64_t seed) EXCLUDES(mu_);

  // ---- crashes --------------------------------------------------------------
  void SimulateCrash(CrashMode mode, uint64_t seed) EXCLUDES(mu_);
  // Just before the k-th mutating operation from now (k = 1: the next one)
  // runs, performs SimulateCrash(mode, seed); that operation then fails.
  // Replaces an earlier arming; SimulateCrash does not disarm. k = 0 disarms.
  void ArmCrash(uint64_t k, CrashMode mode, uint64_t seed) EXCLUDES(mu_);
  void DisarmCrash() EXCLUDES(mu_);
  // True once an armed crash has fired (stays true).
  bool crashed_by_arm() const EXCLUDES(mu_);
  // Mutating operations counted since construction.
  uint64_t mutating_ops() const EXCLUDES(mu_);

  // ---- observing --------------------------------------------------------------
  // Replaces the observer (see "Observing operations" above); an empty
  // function removes it. A call already running may still report to the old
  // observer.
  void SetOperationObserver(OperationObserver observer) EXCLUDES(mu_);

  // ---- faults ---------------------------------------------------------------
  // Faults are checked in the order injected; the first one that matches and
  // is past its skip fails the call.
  void InjectFault(const FaultSpec& spec) EXCLUDES(mu_);
  void ClearFaults() EXCLUDES(mu_);

  // ---- inspection and corruption (not counted, never fail by injection) ------
  // The current contents of the file at path.
  Status ReadFileToString(const std::string& path, std::string* data) EXCLUDES(mu_);
  // Creates or overwrites (in place) the file at path with data. If durable,
  // both the contents and the directory entry are made durable.
  Status WriteFileFromString(const std::string& path, std::string_view data, bool durable)
      EXCLUDES(mu_);
  // A new file system holding exactly `files` (path -> contents), all
  // durable, with directory dir's own entry durable too (dir: the database
  // directory the paths are in). For tests that damage a copy of a
  // database's files.
  static std::shared_ptr<FaultInjectionFileSystem> WithFiles(
      const std::string& dir, const std::map<std::string, std::string>& files);
  // XORs the byte at offset with xor_mask, in the current contents and, where
  // they are long enough, the durable ones (the bits rotted on the device).
  Status CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask) EXCLUDES(mu_);
  // What a crash now would leave of the file at path, following durable
  // directory entries only (NotFound if one is missing): the durable
  // contents of the inode its durable entry names. For a crash in
  // kDropUnsynced mode this is exactly the file after the crash.
  Status ReadDurableFile(const std::string& path, std::string* data) const EXCLUDES(mu_);
  // The files that the durable entries of dir name (names, not paths; not
  // subdirectories), each with its durable size, and its durable contents if
  // the name starts with one of content_prefixes (else contents is empty).
  // Taken under one lock: one state a crash could leave, even while other
  // threads write. NotFound if dir has no durable entry.
  struct DurableFile {
    uint64_t size = 0;
    std::string contents;
  };
  Status ReadDurableDir(const std::string& dir, const std::vector<std::string>& content_prefixes,
                        std::map<std::string, DurableFile>* files) const EXCLUDES(mu_);
  // Paths ("/db/000001.log") of every file reachable now, sorted.
  std::vector<std::string> ListAllFiles() const EXCLUDES(mu_);
  // Successful WritableFile::Sync and SyncDir calls.
  uint64_t sync_count() const EXCLUDES(mu_);
  uint64_t syncdir_count() const EXCLUDES(mu_);

 private:
  struct FileNode;
  struct DirNode;
  struct Entry;
  struct ArmedFault {
    FaultSpec spec;
    int skip_left;
    int count_left;
  };
  class SequentialHandle;
  class RandomAccessHandle;
  class WritableHandle;
  class LockHandle;
  class ShuffledReadQueue;

  // Path resolution. Components of path (views into it); "/" has none.
  static std::vector<std::string_view> SplitPath(std::string_view path);
  static std::string JoinPath(const std::vector<std::string_view>& parts);
  // The directory named by parts[0..n), or null if it does not exist.
  DirNode* FindDir(const std::vector<std::string_view>& parts, size_t n) const REQUIRES(mu_);
  // The parent directory of path (NotFound if missing) and the last component
  // (InvalidArgument if path is "/").
  Status FindParent(std::string_view op, const std::string& path, DirNode** parent,
                    std::string* name) const REQUIRES(mu_);
  // The entry for path, or null (the root has none; callers handle "/").
  const Entry* FindEntry(const std::string& path) const REQUIRES(mu_);
  Status FindFile(std::string_view op, const std::string& path,
                  std::shared_ptr<FileNode>* file) const REQUIRES(mu_);
  DirNode* NewDir() REQUIRES(mu_);

  // Call prologue: fails if the handle is from before a crash, counts a
  // mutating call (firing an armed crash), then applies injected faults.
  Status CheckAlive(std::string_view op, const std::string& path, uint64_t generation) const
      REQUIRES(mu_);
  Status CountMutation(std::string_view op, const std::string& path) REQUIRES(mu_);
  Status MaybeInject(OpKind kind, std::string_view op, const std::string& path,
                     const std::string& path2 = std::string()) REQUIRES(mu_);
  Status BeginMutation(OpKind kind, std::string_view op, const std::string& path,
                       const std::string& path2 = std::string()) REQUIRES(mu_);

  // Runs call() (which takes mu_ itself) between the observer's two calls.
  template <typename Call>
  Status Observed(OpKind kind, const std::string& path, const std::string& target, bool is_dir,
                  Call&& call) EXCLUDES(mu_);
  // The inode the durable entries name at path, or null.
  const FileNode* FindDurableFile(const std::string& path) const REQUIRES(mu_);

  void CrashLocked(CrashMode mode, uint64_t seed) REQUIRES(mu_);
  void CrashDir(DirNode* dir, CrashMode mode, Random* rnd, std::set<const DirNode*>* dirs_seen,
                std::set<const FileNode*>* files_seen) REQUIRES(mu_);
  static void CrashFile(FileNode* file, CrashMode mode, Random* rnd);

  mutable Mutex mu_;
  // Every directory node ever created and not yet pruned by a crash; entries
  // point at them without owning them, so no ownership cycle can form when a
  // crash mixes entries from different times.
  std::vector<std::unique_ptr<DirNode>> dirs_ GUARDED_BY(mu_);
  DirNode* root_ GUARDED_BY(mu_);
  // Bumped by every crash; handles and locks remember the value they were
  // born with and are dead once it differs.
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  std::set<std::string> locked_ GUARDED_BY(mu_);  // normalized paths
  std::vector<ArmedFault> faults_ GUARDED_BY(mu_);
  // Shared so a call can keep using the observer it started with, outside mu_.
  std::shared_ptr<const OperationObserver> observer_ GUARDED_BY(mu_);

  uint64_t mutating_ops_ GUARDED_BY(mu_) = 0;
  bool armed_ GUARDED_BY(mu_) = false;
  uint64_t arm_at_op_ GUARDED_BY(mu_) = 0;
  CrashMode arm_mode_ GUARDED_BY(mu_) = CrashMode::kDropUnsynced;
  uint64_t arm_seed_ GUARDED_BY(mu_) = 0;
  bool crashed_by_arm_ GUARDED_BY(mu_) = false;

  uint64_t read_queue_seed_ GUARDED_BY(mu_) = 0;
  uint64_t read_queues_made_ GUARDED_BY(mu_) = 0;  // since the last SetReadQueueSeed

  uint64_t sync_count_ GUARDED_BY(mu_) = 0;
  uint64_t syncdir_count_ GUARDED_BY(mu_) = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_IO_FAULT_INJECTION_FS_H_
