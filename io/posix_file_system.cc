// PosixFileSystem: the FileSystem returned by FileSystem::Default().
//
// Plain posix calls, nothing clever: buffered appends (one 64 KiB user-space
// buffer per WritableFile, so small WAL records do not cost a syscall each),
// read(2) for sequential reads, pread(2) for random reads (thread-safe without
// a lock because pread does not move a shared offset). Every descriptor is
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

#include "synapsed/file_system.h"
#include "util/mutex.h"

namespace synapsed {
namespace {

constexpr size_t kWritableBufferSize = 64 * 1024;

// strerror_r comes in a GNU flavour (returns char*) and an XSI one (returns
// int and fills buf); these overloads accept whichever the libc provides.
[[maybe_unused]] const char* StrerrorResult(const char* msg, const char* /*buf*/) { return msg; }
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

std::string ErrnoString(int err) {
  char buf[128] = {0};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

// "<op> <path>: <strerror(err)>" with the Status kind chosen by errno.
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

// Closes fd, retrying never: on Linux the descriptor is released even when
// close fails with EINTR, so a retry could close someone else's descriptor.
int CloseFd(int fd) { return ::close(fd); }

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

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { CloseFd(fd_); }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
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

 private:
  const std::string path_;
  const int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    buf_.reserve(kWritableBufferSize);
  }

  ~PosixWritableFile() override {
    // The destructor of an unclosed file behaves like Close() (flushing what
    // is buffered) but has nobody to report to.
    if (fd_ >= 0) Close().PermitUncheckedError();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed("append");
    size_t fits = std::min(data.size(), kWritableBufferSize - buf_.size());
    buf_.append(data.data(), fits);
    data.remove_prefix(fits);
    if (data.empty()) return Status::OK();

    // The buffer is full and more remains: hand the buffer over, then either
    // buffer the rest or, if it would fill the buffer again, write it through
    // without copying.
    Status s = FlushBuffer("append");
    if (!s.ok()) return s;
    if (data.size() < kWritableBufferSize) {
      buf_.append(data);
      return Status::OK();
    }
    return WriteRaw("append", data);
  }

  Status Flush() override {
    if (fd_ < 0) return Closed("flush");
    return FlushBuffer("flush");
  }

  Status Sync() override {
    if (fd_ < 0) return Closed("sync");
    Status s = FlushBuffer("sync");
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
    Status s = FlushBuffer("close");
    if (CloseFd(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return written_bytes_ + buf_.size(); }

 private:
  Status Closed(std::string_view op) const {
    return Status::IOError(std::string(op) + " " + path_, "file is closed");
  }

  Status FlushBuffer(std::string_view op) {
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

  const std::string path_;
  int fd_;  // -1 once closed
  std::string buf_;
  uint64_t written_bytes_ = 0;  // bytes handed to write(2)
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the OFD lock.
  ~PosixFileLock() override { CloseFd(fd_); }

 private:
  const int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    int fd = OpenRetry(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return PosixError("open", path, errno);
    *result = std::make_unique<PosixSequentialFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    int fd = OpenRetry(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return PosixError("open", path, errno);
    *result = std::make_unique<PosixRandomAccessFile>(path, fd);
    return Status::OK();
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    int fd = OpenRetry(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("create", path, errno);
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  Status FileExists(const std::string& path) override {
    if (::access(path.c_str(), F_OK) == 0) return Status::OK();
    return PosixError("exists", path, errno);  // ENOENT/ENOTDIR map to NotFound
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
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

  Status GetFileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      *size = 0;
      return PosixError("stat", path, errno);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("remove", path, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& src, const std::string& target) override {
    if (::rename(src.c_str(), target.c_str()) != 0) {
      return PosixError("rename", src + " to " + target, errno);
    }
    return Status::OK();
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return PosixError("truncate", path, errno);
    }
    return Status::OK();
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    if (errno != EEXIST) return PosixError("mkdir", dir, errno);
    // EEXIST is fine only when what exists is a directory.
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError("mkdir", dir, errno);
    if (!S_ISDIR(st.st_mode))
      return Status::IOError("mkdir " + dir, "exists and is not a directory");
    return Status::OK();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError("rmdir", dir, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
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

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
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
                               "process (" + ErrnoString(err) + ")");
      }
      return PosixError("lock", path, err);
    }
    *lock = std::make_unique<PosixFileLock>(fd);
    return Status::OK();
  }

 private:
  static int OpenRetry(const std::string& path, int flags, mode_t mode) {
    int fd;
    do {
      fd = ::open(path.c_str(), flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
  }
};

}  // namespace

std::shared_ptr<FileSystem> FileSystem::Default() {
  static const std::shared_ptr<FileSystem> fs = std::make_shared<PosixFileSystem>();
  return fs;
}

}  // namespace synapsed
