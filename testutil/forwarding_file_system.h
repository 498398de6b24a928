// ForwardingFileSystem: a test double's starting point. Every FileSystem
// method forwards to a base file system, except the ones with FileOptions
// and NewReadQueue, which keep FileSystem's defaults (plain opens, no
// direct I/O, a synchronous read queue), so a wrapper that changes what
// files do (counting, gating) sees every read. Subclasses override what
// they change.
#ifndef SYNAPSED_TESTUTIL_FORWARDING_FILE_SYSTEM_H_
#define SYNAPSED_TESTUTIL_FORWARDING_FILE_SYSTEM_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "synapsed/file_system.h"

namespace synapsed::test {

class ForwardingFileSystem : public FileSystem {
 public:
  explicit ForwardingFileSystem(std::shared_ptr<FileSystem> base) : base_(std::move(base)) {}

  Status NewSequentialFile(const std::string& p, std::unique_ptr<SequentialFile>* r) override {
    return base_->NewSequentialFile(p, r);
  }
  Status NewRandomAccessFile(const std::string& p, std::unique_ptr<RandomAccessFile>* r) override {
    return base_->NewRandomAccessFile(p, r);
  }
  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    return base_->NewWritableFile(p, r);
  }
  Status FileExists(const std::string& p) override { return base_->FileExists(p); }
  Status GetChildren(const std::string& d, std::vector<std::string>* n) override {
    return base_->GetChildren(d, n);
  }
  Status GetFileSize(const std::string& p, uint64_t* size) override {
    return base_->GetFileSize(p, size);
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status Truncate(const std::string& p, uint64_t size) override { return base_->Truncate(p, size); }
  Status CreateDirIfMissing(const std::string& d) override { return base_->CreateDirIfMissing(d); }
  Status RemoveDir(const std::string& d) override { return base_->RemoveDir(d); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status LockFile(const std::string& p, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(p, l);
  }

 protected:
  FileSystem* base() const { return base_.get(); }

 private:
  const std::shared_ptr<FileSystem> base_;
};

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTUTIL_FORWARDING_FILE_SYSTEM_H_
