// Feeds arbitrary bytes to TableReader as a table file: open, verify, scan
// both ways, seek and point-look-up. Any outcome but a crash, a hang, a
// sanitizer report or an out-of-order scan is fine; damage must surface as a
// Status. Seeds: fuzz/corpus/table_reader/ (real tables; range_deletions.sst
// has a range deletion block).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.h"
#include "sstable/table_reader.h"
#include "util/internal_key.h"

namespace {

class MemFile final : public synapsed::RandomAccessFile {
 public:
  explicit MemFile(std::string data) : data_(std::move(data)) {}
  synapsed::Status Read(uint64_t offset, size_t n, std::string_view* result,
                        char* scratch) const override {
    (void)scratch;
    if (offset > data_.size()) offset = data_.size();
    *result = std::string_view(data_).substr(offset, n);
    return synapsed::Status::OK();
  }

 private:
  std::string data_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<synapsed::TableReader> reader;
  synapsed::Status s = synapsed::TableReader::Open({}, std::make_unique<MemFile>(bytes),
                                                   bytes.size(), "fuzz.sst", &reader);
  if (!s.ok()) return 0;
  (void)reader->VerifyChecksums();
  synapsed::ReadBlockOptions options;
  options.verify_checksum = size % 2 == 0;  // both paths: unverified blocks must not crash either
  auto it = reader->NewIterator(options);
  int n = 0;
  for (it->SeekToFirst(); it->Valid() && n < 100000; it->Next(), n++) {
  }
  for (it->SeekToLast(); it->Valid() && n < 200000; it->Prev(), n++) {
  }
  std::string key;
  synapsed::AppendInternalKey(&key, "k", 100, synapsed::kValueTypeForSeek);
  it->Seek(key);
  it->SeekForPrev(key);
  synapsed::TableGet got;
  std::string value;
  synapsed::SequenceNumber covering = 0;
  (void)reader->Get(options, key, &got, &value, &covering);
  // Range tombstones passed the open's checks: every query must hold up.
  if (const auto& tombstones = reader->range_tombstones()) {
    auto cursor = synapsed::NewFragmentCursor(tombstones, 100);
    for (size_t i = 0; i < tombstones->num_fragments() && i < 1000; i++) {
      const auto f = tombstones->fragment(i);
      FUZZ_CHECK(f.start < f.end);
      FUZZ_CHECK(cursor->CoveringSequence(f.start) ==
                 tombstones->MaxCoveringSequence(f.start, 100));
    }
  }
  return 0;
}
