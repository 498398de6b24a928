// In-memory files for fuzz targets: a RandomAccessFile over a string (a
// table "file" made of the fuzzer's bytes) and a WritableFile appending to a
// string (to build real tables and logs in memory). Reads past the end
// return what there is, as a file does.
// Thread safety: as the FileSystem contract; the targets are single-threaded.
#ifndef SYNAPSED_FUZZ_FUZZ_FILES_H_
#define SYNAPSED_FUZZ_FUZZ_FILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "synapsed/file_system.h"

namespace synapsed::fuzz {

class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    (void)scratch;
    if (offset > data_.size()) offset = data_.size();
    *result = std::string_view(data_).substr(offset, n);
    return Status::OK();
  }

 private:
  std::string data_;
};

class StringSink final : public WritableFile {
 public:
  explicit StringSink(std::string* contents) : contents_(contents) {}
  Status Append(std::string_view data) override {
    contents_->append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents_->size(); }

 private:
  std::string* contents_;
};

}  // namespace synapsed::fuzz

#endif  // SYNAPSED_FUZZ_FUZZ_FILES_H_
