// FileSystem: the one seam through which synapsed touches files.
//
// Every file the engine creates, reads, renames or deletes goes through a
// FileSystem, so tests can substitute an in-memory, fault-injecting one and
// applications can supply their own (Options::file_system). The default is
// the posix implementation returned by FileSystem::Default().
//
// Durability model (what the engine relies on, and what a test double must
// simulate): bytes appended to a WritableFile reach the operating system when
// Append/Flush returns (so they survive a process kill), and reach the device
// only after Sync(). A file's directory entry (creation, rename, removal) is
// durable only after SyncDir() on its parent directory.
//
// Thread safety: a FileSystem is safe for concurrent use. A RandomAccessFile
// is safe for concurrent Read calls. SequentialFile and WritableFile objects
// are used by one thread at a time.
//
// Errors: failures are Status::IOError (Status::NoSpace for ENOSPC/EDQUOT)
// whose message names the path and the operation; a missing file is
// Status::NotFound.
#ifndef SYNAPSED_INCLUDE_FILE_SYSTEM_H_
#define SYNAPSED_INCLUDE_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/status.h"

namespace synapsed {

// A file read from start to end.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes. *result points into scratch (which must hold n bytes)
  // or into memory owned by the file that stays valid until the next call.
  // A result shorter than n means end of file was reached.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  // Skips n bytes; skipping past the end leaves the file at its end.
  virtual Status Skip(uint64_t n) = 0;
};

// How a file is opened. A FileSystem that cannot honour a field returns
// Status::NotSupported from the open, never silently ignores it.
struct FileOptions {
  // O_DIRECT: reads (and writes) bypass the operating system's page cache.
  // The file object handles alignment: callers read and append at any
  // offset and size as usual.
  bool use_direct_io = false;
  // Writable files: appends may still be on their way to the operating
  // system when Append returns (io_uring write-behind), so the writer does
  // not wait on each block; Flush, Sync and Close wait for them. A hint:
  // a file system may write synchronously instead.
  bool write_behind = false;
};

// A file read at arbitrary offsets; Read is safe to call concurrently.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset. *result points into scratch or into memory
  // owned by the file that lives as long as the file. Short result = EOF.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;

  // Reads that land without a copy. A direct (O_DIRECT) file reads whole
  // units of read_alignment() bytes, and Read lands them in a bounce buffer
  // of its own and copies the asked-for bytes out. ReadAligned lets the
  // caller give a buffer the read can land in directly: scratch must be
  // aligned to read_alignment() and hold AlignedReadBytes(offset, n) bytes.
  // It reads as Read does, but *result points into scratch at offset %
  // read_alignment(), or into memory the file owns (as Read may).
  // read_alignment() is a power of two; files that need no alignment (the
  // default: 1) read as Read does.
  virtual size_t read_alignment() const { return 1; }
  virtual Status ReadAligned(uint64_t offset, size_t n, std::string_view* result,
                             char* scratch) const {
    return Read(offset, n, result, scratch + offset % read_alignment());
  }
  // The scratch ReadAligned(offset, n) needs: the whole units around the
  // range.
  size_t AlignedReadBytes(uint64_t offset, size_t n) const {
    const size_t a = read_alignment();
    return (static_cast<size_t>(offset % a) + n + a - 1) / a * a;
  }
};

// One read of a ReadQueue. The caller fills the inputs and keeps the
// request, its file and its scratch alive until the request is reaped.
struct ReadRequest {
  const RandomAccessFile* file = nullptr;
  uint64_t offset = 0;
  size_t size = 0;
  char* scratch = nullptr;  // at least `size` bytes
  void* tag = nullptr;      // the caller's; never touched
  // Set when reaped, as RandomAccessFile::Read sets them: *result points
  // into scratch, and a result shorter than size means end of file.
  std::string_view result;
  Status status;
};

// Asynchronous reads: add many, submit them together (one system call for
// the batch), reap them as they complete, in any order. A queue is owned by
// one thread at a time: the engine keeps queues per worker, never shared.
// Destroying a queue waits for the reads still in flight.
class ReadQueue {
 public:
  virtual ~ReadQueue() = default;
  // The most requests added and not yet reaped.
  virtual size_t depth() const = 0;
  // Requests added and not yet reaped.
  virtual size_t pending() const = 0;
  // Queues req (not started until Submit or Reap). REQUIRES: pending() <
  // depth(); req->file comes from the FileSystem that made this queue.
  virtual void Add(ReadRequest* req) = 0;
  // Starts every request added since the last Submit.
  virtual void Submit() = 0;
  // A completed request (submitting what is queued first), or null if none
  // is pending, or if none has completed and !wait. Each request added is
  // reaped exactly once, with its own status: one failed read fails nothing
  // else.
  virtual ReadRequest* Reap(bool wait) = 0;
};

// A file written by appending.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends data. Data may be buffered in user space until Flush/Sync/Close.
  virtual Status Append(std::string_view data) = 0;
  // Hands every appended byte to the operating system (survives a process kill).
  virtual Status Flush() = 0;
  // Makes every appended byte durable on the device (survives a machine crash).
  // After a failed Sync the file's durable contents are unknown: callers must
  // not retry and trust a later success.
  virtual Status Sync() = 0;
  // Flushes and closes. Further calls fail. The destructor closes if needed.
  virtual Status Close() = 0;
  // Bytes appended so far (including ones still buffered).
  virtual uint64_t Size() const = 0;
};

// A held advisory lock on a file; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide posix file system. Its read queues are synchronous.
  static std::shared_ptr<FileSystem> Default();
  // The process-wide posix file system whose read queues, and table
  // writes, go through io_uring (liburing): Default() in every other way.
  // NotSupported, with the reason, where the kernel refuses io_uring
  // (ENOSYS, EPERM, kernel.io_uring_disabled); the caller then uses
  // Default().
  static Status IoUring(std::shared_ptr<FileSystem>* fs);

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Creates the file, truncating it if it exists.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // The same, with FileOptions. The defaults open as above when options ask
  // for nothing special, and are NotSupported otherwise.
  virtual Status NewRandomAccessFileWithOptions(const std::string& path, const FileOptions& options,
                                                std::unique_ptr<RandomAccessFile>* result);
  virtual Status NewWritableFileWithOptions(const std::string& path, const FileOptions& options,
                                            std::unique_ptr<WritableFile>* result);

  // A queue of up to `depth` reads in flight at once, for files this file
  // system opened. The default queue reads each request synchronously when
  // it is reaped, in the order added; io_uring keeps them all in flight.
  virtual Status NewReadQueue(size_t depth, std::unique_ptr<ReadQueue>* queue);

  // OK if path exists, NotFound if not, IOError on failure to tell.
  virtual Status FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces target with src (rename(2) semantics).
  virtual Status RenameFile(const std::string& src, const std::string& target) = 0;
  // Shrinks (or extends with zeros) the file to size bytes.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Creates dir; OK if it already exists as a directory.
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Makes the entries of dir (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive lock on path (creating the file if needed) that holds
  // against other processes and against other LockFile calls in this process.
  // If the lock is held elsewhere, returns IOError naming the lock file.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_FILE_SYSTEM_H_
