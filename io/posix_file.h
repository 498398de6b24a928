// Posix building blocks shared by the posix and io_uring file systems. Only
// io/ includes this header: it is where the engine's system calls live.
//
// PosixRandomAccessFile reads with pread(2); with use_direct_io (O_DIRECT)
// it reads the aligned span around each request (aligned as the file system
// requires, often to 512 bytes) into an aligned bounce buffer and copies the
// asked-for bytes out, so callers never align; ReadAligned lands the span in
// the caller's aligned buffer instead.
// PosixFileSystem is the whole posix FileSystem; the io_uring one derives
// from it and replaces only read queues and write-behind files.
//
// Thread safety: as FileSystem's contract says (file_system.h).
#ifndef SYNAPSED_IO_POSIX_FILE_H_
#define SYNAPSED_IO_POSIX_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "synapsed/file_system.h"
#include "synapsed/status.h"

namespace synapsed {

// O_DIRECT buffers, and the offsets and sizes of direct writes, are multiples
// of this: 4 KiB, a multiple of every logical block size we meet (512 or
// 4096) and the physical block size of most devices, so a padded write never
// makes the device read-modify-write a sector.
constexpr size_t kDirectIoAlignment = 4096;

// The offset and size alignment direct reads of fd need: what the file system
// reports (statx STATX_DIOALIGN, Linux 6.1 and later) when it is a power of
// two from 512 to kDirectIoAlignment (and the memory alignment no stricter),
// else kDirectIoAlignment. With 512 bytes a 2 KiB block that crosses a page
// boundary is read as the 2.5 KiB around it, not as the two 4 KiB pages
// around it (docs/design/io.md, "Direct I/O", for what that saves).
size_t DirectReadAlignment(int fd);

inline uint64_t AlignDown(uint64_t x, uint64_t a) { return x - x % a; }
inline uint64_t AlignUp(uint64_t x, uint64_t a) { return AlignDown(x + a - 1, a); }

// A heap buffer aligned for O_DIRECT; grows (dropping its contents) on demand.
class AlignedBuffer {
 public:
  char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }
  // Makes capacity() >= n (rounded up to the alignment). False if out of memory.
  bool Reserve(size_t n);

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> data_;
  size_t capacity_ = 0;
};

// strerror text for err.
std::string ErrnoString(int err);
// "<op> <path>: <strerror(err)>" with the Status kind chosen by errno:
// ENOENT/ENOTDIR NotFound, ENOSPC/EDQUOT NoSpace, anything else IOError.
Status PosixError(std::string_view op, const std::string& path, int err);
// open(2), retried on EINTR.
int OpenRetry(const std::string& path, int flags, mode_t mode);

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, bool direct)
      : path_(std::move(path)),
        fd_(fd),
        direct_(direct),
        read_alignment_(direct ? DirectReadAlignment(fd) : 1) {}
  ~PosixRandomAccessFile() override;

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override;
  // Direct files: the aligned span lands in scratch itself, no bounce
  // buffer and no copy.
  Status ReadAligned(uint64_t offset, size_t n, std::string_view* result,
                     char* scratch) const override;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  bool direct() const { return direct_; }
  // Direct reads cover the span of whole units of this around a request;
  // 1 for buffered files.
  size_t read_alignment() const override { return read_alignment_; }

 private:
  // Reads [start, start + len) into dst, retrying EINTR and short reads;
  // *done is short only at end of file.
  Status PreadSpan(uint64_t start, size_t len, char* dst, size_t* done) const;

  const std::string path_;
  const int fd_;
  const bool direct_;
  const size_t read_alignment_;
};

class PosixFileSystem : public FileSystem {
 public:
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewRandomAccessFileWithOptions(const std::string& path, const FileOptions& options,
                                        std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  // use_direct_io: O_DIRECT writes from an aligned buffer; the file is cut
  // back to its logical size whenever a padded tail block was written.
  // write_behind is ignored: buffered writes never wait on the device.
  Status NewWritableFileWithOptions(const std::string& path, const FileOptions& options,
                                    std::unique_ptr<WritableFile>* result) override;
  Status FileExists(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& src, const std::string& target) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;

 protected:
  // Creates (truncating) path for writing, O_DIRECT if direct; -1 and errno
  // on failure. EINVAL from a file system without O_DIRECT support becomes
  // NotSupported in *status.
  static int CreateForWrite(const std::string& path, bool direct, Status* status);
};

}  // namespace synapsed

#endif  // SYNAPSED_IO_POSIX_FILE_H_
