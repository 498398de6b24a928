// libFuzzer target for wal::Reader (docs/format/wal.md, "Reader semantics
// under damage"). Each input is used twice:
//
//  1. Raw: byte 0 is the log number, the rest is a log file. The reader must
//     not crash, and what it returns must account for the file exactly: every
//     byte lies in a returned record, in one damage report, or in block-end
//     padding; records and reports are in order and never overlap.
//  2. Structured: the input describes records, which a wal::Writer writes, and
//     one damage (cut, bit flip or zeroed range) applied to the result. Every
//     record read back must be one that was written, at its written offset, in
//     order; undamaged logs must read back whole. This reaches multi-block
//     records and valid checksums, which raw bytes almost never do.
//
// Seeds: fuzz/corpus/wal_reader/ (raw-mode logs with log number 7).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_files.h"
#include "synapsed/file_system.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace synapsed::wal {
namespace {

class MemorySource : public SequentialFile {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    n = std::min(n, data_.size());
    std::memcpy(scratch, data_.data(), n);
    *result = std::string_view(scratch, n);
    data_.remove_prefix(n);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    data_.remove_prefix(std::min<uint64_t>(n, data_.size()));
    return Status::OK();
  }

 private:
  std::string_view data_;
};

struct Range {
  uint64_t begin;
  uint64_t end;
};

class RangeReporter : public Reader::Reporter {
 public:
  void Damage(uint64_t offset, uint64_t bytes, DamageKind kind) override {
    FUZZ_CHECK(bytes > 0);
    FUZZ_CHECK(!DamageKindName(kind).empty());
    ranges.push_back({offset, offset + bytes});
  }
  std::vector<Range> ranges;
};

struct ReadBack {
  std::vector<std::string> records;
  std::vector<Range> record_ranges;
};

// Reads every record of `file` and checks that records and reports tile the
// file in order, leaving only block-end padding (< kHeaderSize bytes that end
// at a block boundary or at end of file) unaccounted for.
ReadBack ReadAndAccount(std::string_view file, uint64_t log_number) {
  RangeReporter reporter;
  Reader reader(std::make_unique<MemorySource>(file), "fuzz.log", log_number, &reporter);
  ReadBack out;
  std::vector<Range> all;  // records and reports, in the order they were produced
  std::string scratch;
  std::string_view record;
  size_t reports_seen = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    FUZZ_CHECK(record.size() <= file.size());
    // Reports arrive before the record they precede.
    for (; reports_seen < reporter.ranges.size(); reports_seen++) {
      all.push_back(reporter.ranges[reports_seen]);
    }
    const Range r{reader.last_record_offset(), reader.last_record_end()};
    FUZZ_CHECK(r.begin + kHeaderSize + record.size() <= r.end);
    all.push_back(r);
    out.records.emplace_back(record);
    out.record_ranges.push_back(r);
  }
  FUZZ_CHECK(reader.status().ok());
  for (; reports_seen < reporter.ranges.size(); reports_seen++) {
    all.push_back(reporter.ranges[reports_seen]);
  }
  uint64_t pos = 0;
  for (const Range& r : all) {
    FUZZ_CHECK(r.begin >= pos && r.end > r.begin && r.end <= file.size());
    if (r.begin > pos) {  // a gap must be padding
      FUZZ_CHECK(r.begin - pos < kHeaderSize && r.begin % kBlockSize == 0);
    }
    pos = r.end;
  }
  if (pos < file.size()) {
    FUZZ_CHECK(file.size() - pos < kHeaderSize && kBlockSize - pos % kBlockSize < kHeaderSize);
  }
  return out;
}

void FuzzRaw(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  ReadAndAccount(file, data[0]);
}

// Record sizes favour block edges: small, about a block, a few blocks.
constexpr size_t kSizeBases[] = {0, kBlockSize - 2 * kHeaderSize, kBlockSize, 2 * kBlockSize};

void FuzzWriteDamageRead(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint64_t log_number = in.ConsumeIntegral<uint8_t>();
  std::vector<std::string> records(in.ConsumeIntegralInRange<size_t>(0, 8));
  std::string file;
  std::vector<Range> written;
  {
    Writer writer(std::make_unique<fuzz::StringSink>(&file), log_number);
    for (size_t i = 0; i < records.size(); i++) {
      const size_t base = kSizeBases[in.ConsumeIntegralInRange(0, 3)];
      const size_t n = base + in.ConsumeIntegralInRange<size_t>(0, 64);
      records[i].assign(n, static_cast<char>('a' + i));
      if (n > 0) records[i][0] = static_cast<char>(i);
      const uint64_t before = writer.file_size();
      FUZZ_CHECK(writer.AddRecord(records[i]).ok());
      const uint64_t left = kBlockSize - before % kBlockSize;
      written.push_back({left < kHeaderSize ? before + left : before, writer.file_size()});
    }
    FUZZ_CHECK(writer.file_size() == file.size());
    FUZZ_CHECK(writer.Close().ok());
  }

  const int damage = in.ConsumeIntegralInRange(0, 3);
  const uint64_t at = file.empty() ? 0 : in.ConsumeIntegralInRange<uint64_t>(0, file.size() - 1);
  uint64_t intact_until = file.size();  // records ending at or before this must survive
  if (damage == 1) {
    file.resize(at);
    intact_until = at;
  } else if (damage == 2 && !file.empty()) {
    file[at] = static_cast<char>(file[at] ^ (1 << in.ConsumeIntegralInRange(0, 7)));
    intact_until = at;
  } else if (damage == 3 && !file.empty()) {
    const size_t n = in.ConsumeIntegralInRange<size_t>(1, file.size() - at);
    std::memset(file.data() + at, 0, n);
    intact_until = at;
  }

  ReadBack got = ReadAndAccount(file, log_number);
  size_t next = 0;
  for (size_t i = 0; i < got.records.size(); i++) {
    while (next < written.size() && written[next].begin != got.record_ranges[i].begin) next++;
    FUZZ_CHECK(next < written.size());
    FUZZ_CHECK(written[next].end == got.record_ranges[i].end);
    FUZZ_CHECK(records[next] == got.records[i]);
    next++;
  }
  // Damage never costs a record that ended before it.
  for (size_t i = 0; i < written.size() && written[i].end <= intact_until; i++) {
    FUZZ_CHECK(i < got.records.size() && got.record_ranges[i].begin == written[i].begin);
  }
  if (damage == 0) FUZZ_CHECK(got.records == records);
}

}  // namespace
}  // namespace synapsed::wal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synapsed::wal::FuzzRaw(data, size);
  synapsed::wal::FuzzWriteDamageRead(data, size);
  return 0;
}
