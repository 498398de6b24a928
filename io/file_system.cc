// FileSystem's default methods: FileOptions opens that ask for nothing
// special, and the synchronous read queue every file system has unless it
// brings a better one.

#include "synapsed/file_system.h"

#include <deque>
#include <memory>
#include <string>

namespace synapsed {

namespace {

// Reads each request with RandomAccessFile::Read when it is reaped, in the
// order added: a queue that never overlaps anything, but keeps every
// caller's code path the same on every file system.
class SyncReadQueue final : public ReadQueue {
 public:
  explicit SyncReadQueue(size_t depth) : depth_(depth) {}

  size_t depth() const override { return depth_; }
  size_t pending() const override { return queued_.size(); }
  void Add(ReadRequest* req) override { queued_.push_back(req); }
  void Submit() override {}

  ReadRequest* Reap(bool /*wait*/) override {
    if (queued_.empty()) return nullptr;
    ReadRequest* req = queued_.front();
    queued_.pop_front();
    req->status = req->file->Read(req->offset, req->size, &req->result, req->scratch);
    return req;
  }

 private:
  const size_t depth_;
  std::deque<ReadRequest*> queued_;
};

Status Unsupported(const std::string& path, const char* what) {
  return Status::NotSupported(path, std::string("this file system has no ") + what);
}

}  // namespace

Status FileSystem::NewRandomAccessFileWithOptions(const std::string& path,
                                                  const FileOptions& options,
                                                  std::unique_ptr<RandomAccessFile>* result) {
  if (options.use_direct_io) return Unsupported(path, "direct I/O");
  return NewRandomAccessFile(path, result);
}

Status FileSystem::NewWritableFileWithOptions(const std::string& path, const FileOptions& options,
                                              std::unique_ptr<WritableFile>* result) {
  if (options.use_direct_io) return Unsupported(path, "direct I/O");
  return NewWritableFile(path, result);  // write_behind is only a hint
}

Status FileSystem::NewReadQueue(size_t depth, std::unique_ptr<ReadQueue>* queue) {
  if (depth == 0) return Status::InvalidArgument("read queue depth 0");
  *queue = std::make_unique<SyncReadQueue>(depth);
  return Status::OK();
}

}  // namespace synapsed
