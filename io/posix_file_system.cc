// PosixFileSystem: the FileSystem returned by FileSystem::Default().
//
// Plain posix calls, nothing clever: buffered appends (one 64 KiB user-space
// buffer per WritableFile, so small WAL records do not cost a syscall each),
// read(2) for sequential reads, pread(2) for random reads (thread-safe without
// a lock because pread does not move a shared offset). FileOptions::
// use_direct_io opens with O_DIRECT and aligns in user space (posix_file.h).
// Read queues are the synchronous default (file_system.cc). Every descriptor is
// opened O_CLOEXEC so a fork+exec by the embedding service cannot inherit it
// (an inherited LOCK descriptor would keep our fcntl lock alive in the child).
//
// Errors: ENOSPC/EDQUOT become Status::NoSpace, ENOENT/ENOTDIR Status::NotFound,
// everything else Status::IOError; the message is "<op> <path>: <strerror>".
//
// Locking: open file description locks (fcntl F_OFD_SETLK, Linux 3.15+).
// Classic posix record locks belong to the process -- a second lock from the
// same process succeeds, and closing *any* descriptor of the file drops them
// -- so they cannot keep two DB objects in one process apart. OFD locks
// belong to the open file description: they conflict between two opens in
// one process as between processes, whatever spelling of the path was used,
// and only closing the lock's own descriptor releases them.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "io/posix_file.h"
#include "synapsed/file_system.h"

namespace synapsed {

namespace {
constexpr size_t kWritableBufferSize = 64 * 1024;
// Direct writes go out in chunks of this many bytes (aligned).
constexpr size_t kDirectWriteBufferSize = 1 << 20;

// strerror_r comes in a GNU flavour (returns char*) and an XSI one (returns
// int and fills buf); these overloads accept whichever the libc provides.
[[maybe_unused]] const char* StrerrorResult(const char* msg, const char* /*buf*/) { return msg; }
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

// Closes fd, retrying never: on Linux the descriptor is released even when
// close fails with EINTR, so a retry could close someone else's descriptor.
int CloseFd(int fd) { return ::close(fd); }
}  // namespace

bool AlignedBuffer::Reserve(size_t n) {
  if (n <= capacity_) return true;
  const size_t cap = static_cast<size_t>(AlignUp(n, kDirectIoAlignment));
  char* p = static_cast<char*>(std::aligned_alloc(kDirectIoAlignment, cap));
  if (p == nullptr) return false;
  data_.reset(p);
  capacity_ = cap;
  return true;
}

// statx(2) needs glibc 2.28; STATX_DIOALIGN, Linux 6.1 headers.
#if defined(STATX_DIOALIGN) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 28)
#define SYNAPSED_HAVE_STATX_DIOALIGN 1
#endif
#endif

size_t DirectReadAlignment(int fd) {
#ifndef SYNAPSED_HAVE_STATX_DIOALIGN
  (void)fd;
  return kDirectIoAlignment;
#else
  struct statx st {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) != 0) return kDirectIoAlignment;
  if ((st.stx_mask & STATX_DIOALIGN) == 0) return kDirectIoAlignment;
  const size_t align = st.stx_dio_offset_align;
  // 0: the file system does not say (or refuses direct I/O for this file).
  // The rest of a short read lands at a multiple of align into the buffer,
  // so the memory alignment must not be stricter than align.
  const bool usable = align >= 512 && align <= kDirectIoAlignment && (align & (align - 1)) == 0 &&
                      st.stx_dio_mem_align <= align;
  return usable ? align : kDirectIoAlignment;
#endif
}

std::string ErrnoString(int err) {
  char buf[128] = {0};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

int OpenRetry(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string context(op);
  context.append(" ").append(path);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(context, ErrnoString(err));
    case ENOSPC:
    case EDQUOT:
      return Status::NoSpace(context, ErrnoString(err));
    default:
      return Status::IOError(context, ErrnoString(err));
  }
}

namespace {
class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { CloseFd(fd_); }

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    // Loop because read(2) may return less than asked for pipes and after a
    // signal; for regular files a short read then really means end of file.
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = std::string_view();
        return PosixError("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    // Seeking past the end is allowed by lseek; later reads then return 0
    // bytes, which is exactly "left at its end".
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return PosixError("skip", path_, errno);
    }
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

}  // namespace

PosixRandomAccessFile::~PosixRandomAccessFile() { CloseFd(fd_); }

Status PosixRandomAccessFile::PreadSpan(uint64_t start, size_t len, char* dst, size_t* done) const {
  *done = 0;
  while (*done < len) {
    ssize_t r = ::pread(fd_, dst + *done, len - *done, static_cast<off_t>(start + *done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError("read", path_, errno);
    }
    if (r == 0) break;
    *done += static_cast<size_t>(r);
    // A direct read stops short, unaligned, only at end of file; asking
    // again at the unaligned offset would be EINVAL, not 0.
    if (direct_ && *done % read_alignment_ != 0) break;
  }
  return Status::OK();
}

Status PosixRandomAccessFile::Read(uint64_t offset, size_t n, std::string_view* result,
                                   char* scratch) const {
  *result = std::string_view();
  size_t done = 0;
  if (!direct_) {
    Status s = PreadSpan(offset, n, scratch, &done);
    if (s.ok()) *result = std::string_view(scratch, done);
    return s;
  }
  // Direct reads land in an aligned bounce buffer. Block-sized ones reuse
  // this thread's (no aligned_alloc and free per read); larger ones, which
  // are rare and would pin their size per thread, get their own.
  constexpr size_t kMaxReusedBounceBytes = 256 << 10;
  thread_local AlignedBuffer reused;
  AlignedBuffer own;
  const size_t span = AlignedReadBytes(offset, n);
  AlignedBuffer& bounce = span <= kMaxReusedBounceBytes ? reused : own;
  if (!bounce.Reserve(span)) return Status::IOError("read " + path_, "out of memory");
  std::string_view got;
  Status s = ReadAligned(offset, n, &got, bounce.data());
  if (!s.ok()) return s;
  // An empty read may have no bounce buffer: its data may be null, and
  // memcpy from null is undefined even for 0 bytes.
  if (!got.empty()) std::memcpy(scratch, got.data(), got.size());
  *result = std::string_view(scratch, got.size());
  return Status::OK();
}

Status PosixRandomAccessFile::ReadAligned(uint64_t offset, size_t n, std::string_view* result,
                                          char* scratch) const {
  if (!direct_) return Read(offset, n, result, scratch);
  *result = std::string_view();
  const uint64_t start = AlignDown(offset, read_alignment_);
  const size_t len = static_cast<size_t>(AlignUp(offset + n, read_alignment_) - start);
  size_t done = 0;
  Status s = PreadSpan(start, len, scratch, &done);
  if (!s.ok()) return s;
  const size_t skip = static_cast<size_t>(offset - start);
  *result = std::string_view(scratch + skip, done > skip ? std::min(done - skip, n) : 0);
  return Status::OK();
}

namespace {
// What both posix writable files share: the descriptor, and Flush, Sync and
// Close around the one thing they do differently, handing what they hold
// to the kernel (Drain).
class PosixWritableBase : public WritableFile {
 public:
  Status Flush() override {
    if (fd_ < 0) return Closed("flush");
    return Drain("flush");
  }

  Status Sync() override {
    if (fd_ < 0) return Closed("sync");
    Status s = Drain("sync");
    if (!s.ok()) return s;
    // fdatasync skips metadata that is not needed to read the data back
    // (mtime), which is all the engine needs; the size is included.
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return PosixError("sync", path_, errno);
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Closed("close");
    Status s = Drain("close");
    if (CloseFd(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

 protected:
  PosixWritableBase(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Hands every byte held in user space to the kernel.
  virtual Status Drain(std::string_view op) = 0;
  // The destructor of an unclosed file behaves like Close() (draining what
  // is buffered) but has nobody to report to. Derived destructors call it
  // while their Drain can still run.
  void CloseInDestructor() {
    if (fd_ >= 0) Close().PermitUncheckedError();
  }
  Status Closed(std::string_view op) const {
    return Status::IOError(std::string(op) + " " + path_, "file is closed");
  }

  const std::string path_;
  int fd_;  // -1 once closed
};

class PosixWritableFile final : public PosixWritableBase {
 public:
  PosixWritableFile(std::string path, int fd) : PosixWritableBase(std::move(path), fd) {
    buf_.reserve(kWritableBufferSize);
  }
  ~PosixWritableFile() override { CloseInDestructor(); }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed("append");
    size_t fits = std::min(data.size(), kWritableBufferSize - buf_.size());
    buf_.append(data.data(), fits);
    data.remove_prefix(fits);
    if (data.empty()) return Status::OK();

    // The buffer is full and more remains: hand the buffer over, then either
    // buffer the rest or, if it would fill the buffer again, write it through
    // without copying.
    Status s = Drain("append");
    if (!s.ok()) return s;
    if (data.size() < kWritableBufferSize) {
      buf_.append(data);
      return Status::OK();
    }
    return WriteRaw("append", data);
  }

  uint64_t Size() const override { return written_bytes_ + buf_.size(); }

 private:
  Status Drain(std::string_view op) override {
    if (buf_.empty()) return Status::OK();
    const uint64_t before = written_bytes_;
    Status s = WriteRaw(op, buf_);
    // Drop exactly what reached the kernel, even on failure: a retry must not
    // write those bytes twice, and must not lose the ones that did not make it.
    buf_.erase(0, static_cast<size_t>(written_bytes_ - before));
    return s;
  }

  // Writes all of data, looping over short writes and EINTR.
  Status WriteRaw(std::string_view op, std::string_view data) {
    while (!data.empty()) {
      ssize_t r = ::write(fd_, data.data(), data.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(op, path_, errno);
      }
      if (r == 0) {  // no progress and no error: do not spin
        return Status::IOError(std::string(op) + " " + path_, "write returned 0");
      }
      data.remove_prefix(static_cast<size_t>(r));
      written_bytes_ += static_cast<uint64_t>(r);
    }
    return Status::OK();
  }

  std::string buf_;
  uint64_t written_bytes_ = 0;  // bytes handed to write(2)
};

// O_DIRECT appends: bytes collect in an aligned buffer that starts at the
// aligned file offset buf_offset_; full buffers are written whole. Flush
// writes the partial last block padded with zeros, keeps it in the buffer
// (the next write rewrites it with more bytes) and cuts the file back to
// its logical size, so readers never see the padding.
class PosixDirectWritableFile final : public PosixWritableBase {
 public:
  PosixDirectWritableFile(std::string path, int fd) : PosixWritableBase(std::move(path), fd) {}
  ~PosixDirectWritableFile() override { CloseInDestructor(); }

  Status Init() {
    if (!buf_.Reserve(kDirectWriteBufferSize)) return Status::IOError(path_, "out of memory");
    return Status::OK();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed("append");
    while (!data.empty()) {
      const size_t fits = std::min(data.size(), buf_.capacity() - buf_len_);
      std::memcpy(buf_.data() + buf_len_, data.data(), fits);
      buf_len_ += fits;
      data.remove_prefix(fits);
      if (buf_len_ == buf_.capacity()) {
        Status s = WriteAligned("append", buf_len_);
        if (!s.ok()) return s;
        buf_offset_ += buf_len_;
        buf_len_ = 0;
        flushed_len_ = 0;
      }
    }
    return Status::OK();
  }

  uint64_t Size() const override { return buf_offset_ + buf_len_; }

 private:
  // Writes the first n (aligned) bytes of the buffer at buf_offset_.
  Status WriteAligned(std::string_view op, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t r =
          ::pwrite(fd_, buf_.data() + done, n - done, static_cast<off_t>(buf_offset_ + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(op, path_, errno);
      }
      if (r == 0) return Status::IOError(std::string(op) + " " + path_, "write returned 0");
      done += static_cast<size_t>(r);
    }
    return Status::OK();
  }

  Status Drain(std::string_view op) override {
    if (buf_len_ == 0 || buf_len_ == flushed_len_) return Status::OK();
    const size_t padded = static_cast<size_t>(AlignUp(buf_len_, kDirectIoAlignment));
    std::memset(buf_.data() + buf_len_, 0, padded - buf_len_);
    Status s = WriteAligned(op, padded);
    if (!s.ok()) return s;
    if (padded != buf_len_ && ::ftruncate(fd_, static_cast<off_t>(buf_offset_ + buf_len_)) != 0) {
      return PosixError(op, path_, errno);
    }
    // Keep only the partial last block, now at the start of the buffer.
    const size_t full = static_cast<size_t>(AlignDown(buf_len_, kDirectIoAlignment));
    std::memmove(buf_.data(), buf_.data() + full, buf_len_ - full);
    buf_offset_ += full;
    buf_len_ -= full;
    flushed_len_ = buf_len_;
    return Status::OK();
  }

  AlignedBuffer buf_;
  uint64_t buf_offset_ = 0;  // aligned file offset of buf_[0]
  size_t buf_len_ = 0;
  size_t flushed_len_ = 0;  // buf_len_ when the tail was last written
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the OFD lock.
  ~PosixFileLock() override { CloseFd(fd_); }

 private:
  const int fd_;
};

}  // namespace

Status PosixFileSystem::NewSequentialFile(const std::string& path,
                                          std::unique_ptr<SequentialFile>* result) {
  int fd = OpenRetry(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return PosixError("open", path, errno);
  *result = std::make_unique<PosixSequentialFile>(path, fd);
  return Status::OK();
}

Status PosixFileSystem::NewRandomAccessFile(const std::string& path,
                                            std::unique_ptr<RandomAccessFile>* result) {
  return NewRandomAccessFileWithOptions(path, FileOptions(), result);
}

Status PosixFileSystem::NewRandomAccessFileWithOptions(const std::string& path,
                                                       const FileOptions& options,
                                                       std::unique_ptr<RandomAccessFile>* result) {
  const int flags = O_RDONLY | O_CLOEXEC | (options.use_direct_io ? O_DIRECT : 0);
  int fd = OpenRetry(path, flags, 0);
  if (fd < 0) {
    if (options.use_direct_io && errno == EINVAL) {
      return Status::NotSupported("open " + path, "the file system refuses O_DIRECT");
    }
    return PosixError("open", path, errno);
  }
  *result = std::make_unique<PosixRandomAccessFile>(path, fd, options.use_direct_io);
  return Status::OK();
}

int PosixFileSystem::CreateForWrite(const std::string& path, bool direct, Status* status) {
  const int flags = O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | (direct ? O_DIRECT : 0);
  int fd = OpenRetry(path, flags, 0644);
  if (fd < 0) {
    *status = direct && errno == EINVAL
                  ? Status::NotSupported("create " + path, "the file system refuses O_DIRECT")
                  : PosixError("create", path, errno);
  }
  return fd;
}

Status PosixFileSystem::NewWritableFile(const std::string& path,
                                        std::unique_ptr<WritableFile>* result) {
  return NewWritableFileWithOptions(path, FileOptions(), result);
}

Status PosixFileSystem::NewWritableFileWithOptions(const std::string& path,
                                                   const FileOptions& options,
                                                   std::unique_ptr<WritableFile>* result) {
  Status s;
  int fd = CreateForWrite(path, options.use_direct_io, &s);
  if (fd < 0) return s;
  if (!options.use_direct_io) {
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }
  auto file = std::make_unique<PosixDirectWritableFile>(path, fd);
  s = file->Init();
  if (s.ok()) *result = std::move(file);
  return s;
}

Status PosixFileSystem::FileExists(const std::string& path) {
  if (::access(path.c_str(), F_OK) == 0) return Status::OK();
  return PosixError("exists", path, errno);  // ENOENT/ENOTDIR map to NotFound
}

Status PosixFileSystem::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return PosixError("list", dir, errno);
  Status s;
  while (true) {
    errno = 0;  // readdir reports errors only through errno
    struct dirent* entry = ::readdir(d);
    if (entry == nullptr) {
      if (errno != 0) s = PosixError("list", dir, errno);
      break;
    }
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names->emplace_back(name);
  }
  ::closedir(d);
  return s;
}

Status PosixFileSystem::GetFileSize(const std::string& path, uint64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *size = 0;
    return PosixError("stat", path, errno);
  }
  *size = static_cast<uint64_t>(st.st_size);
  return Status::OK();
}

Status PosixFileSystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return PosixError("remove", path, errno);
  return Status::OK();
}

Status PosixFileSystem::RenameFile(const std::string& src, const std::string& target) {
  if (::rename(src.c_str(), target.c_str()) != 0) {
    return PosixError("rename", src + " to " + target, errno);
  }
  return Status::OK();
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return PosixError("truncate", path, errno);
  }
  return Status::OK();
}

Status PosixFileSystem::CreateDirIfMissing(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return Status::OK();
  if (errno != EEXIST) return PosixError("mkdir", dir, errno);
  // EEXIST is fine only when what exists is a directory.
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return PosixError("mkdir", dir, errno);
  if (!S_ISDIR(st.st_mode)) return Status::IOError("mkdir " + dir, "exists and is not a directory");
  return Status::OK();
}

Status PosixFileSystem::RemoveDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0) return PosixError("rmdir", dir, errno);
  return Status::OK();
}

Status PosixFileSystem::SyncDir(const std::string& dir) {
  int fd = OpenRetry(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return PosixError("syncdir", dir, errno);
  Status s;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      s = PosixError("syncdir", dir, errno);
      break;
    }
  }
  CloseFd(fd);
  return s;
}

Status PosixFileSystem::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  lock->reset();
  int fd = OpenRetry(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError("lock", path, errno);
  struct flock f = {};
  f.l_type = F_WRLCK;
  f.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, however long
  if (::fcntl(fd, F_OFD_SETLK, &f) != 0) {
    int err = errno;
    CloseFd(fd);
    if (err == EAGAIN || err == EACCES) {
      return Status::IOError("lock " + path,
                             "already held by another process or another open in this "
                             "process (" +
                                 ErrnoString(err) + ")");
    }
    return PosixError("lock", path, err);
  }
  *lock = std::make_unique<PosixFileLock>(fd);
  return Status::OK();
}

std::shared_ptr<FileSystem> FileSystem::Default() {
  static const std::shared_ptr<FileSystem> fs = std::make_shared<PosixFileSystem>();
  return fs;
}

}  // namespace synapsed
