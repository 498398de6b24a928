// libFuzzer target for the table footer (docs/format/sstable.md) and what a
// table's open does with it. Byte 0 picks the mode:
//
//  - Raw (even): the rest, cut or zero-padded to 56 bytes, is decoded as a
//    footer. It fails only with Corruption (size, magic, checksum) or
//    NotSupported (another format version); when it succeeds, encoding the
//    decoded footer gives back exactly those 56 bytes (the footer is
//    fixed-width, so anything else would be a second meaning).
//  - Forged (odd): the rest chooses footer fields (each handle kept, moved a
//    little, pointed at another block, at the file's end, or anywhere; the
//    table seed and the version kept or changed), which are encoded with a
//    valid checksum, round-trip through Decode, and replace the footer of a
//    real table built in memory. The fuzzer cannot forge a footer checksum
//    by mutation, so this is how handles that lie reach TableReader::Open:
//    it must fail with Corruption (or NotSupported) naming the file, or
//    succeed; and when the forged footer equals the real one, the table
//    must read back exactly the entries it was built with.
//
// Seeds: fuzz/corpus/footer/ (footers of real tables, raw mode, from
// synapsed_fuzz_seeds).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_files.h"
#include "sstable/format.h"
#include "sstable/table_builder.h"
#include "sstable/table_reader.h"
#include "util/coding.h"
#include "util/internal_key.h"

namespace synapsed {
namespace {

struct RealTable {
  std::string bytes;
  Footer footer;
  std::vector<std::pair<std::string, std::string>> entries;
};

// Three real tables: several uncompressed data blocks with a filter; LZ4
// blocks with range tombstones; range tombstones only (no data block).
const std::vector<RealTable>& RealTables() {
  static const std::vector<RealTable> tables = [] {
    std::vector<RealTable> out;
    for (int kind = 0; kind < 3; kind++) {
      RealTable t;
      TableBuilderOptions options;
      options.block_size = 64;
      options.compression = kind == 1 ? BlockCompression::kLZ4 : BlockCompression::kNone;
      options.bloom_bits_per_key = kind == 0 ? 10 : 0;
      fuzz::StringSink sink(&t.bytes);
      TableBuilder builder(options, &sink);
      for (int i = 0; kind != 2 && i < 40; i++) {
        std::string key;
        AppendInternalKey(&key, "key" + std::to_string(100 + i), 1000 - i,
                          i % 7 == 3 ? ValueType::kDeletion : ValueType::kValue);
        std::string value = i % 7 == 3 ? "" : "value" + std::to_string(i) + std::string(i, 'v');
        builder.Add(key, value);
        t.entries.emplace_back(std::move(key), std::move(value));
      }
      if (kind != 0) builder.AddRangeTombstone("key110", "key120", 2000);
      FUZZ_CHECK(builder.Finish().ok());
      FUZZ_CHECK(
          t.footer
              .DecodeFrom(std::string_view(t.bytes).substr(t.bytes.size() - Footer::kEncodedBytes))
              .ok());
      out.push_back(std::move(t));
    }
    return out;
  }();
  return tables;
}

bool NamesFile(const Status& s) { return s.ToString().find("fuzz.sst") != std::string::npos; }
// Every error of a table names its file (Corruption, and NotSupported for
// a footer of another format version).
bool NamedIfError(const Status& s) { return s.ok() || NamesFile(s); }

void FuzzRaw(std::string_view rest) {
  std::string bytes(rest.substr(0, Footer::kEncodedBytes));
  bytes.resize(Footer::kEncodedBytes);
  Footer footer;
  const Status s = footer.DecodeFrom(bytes);
  if (!s.ok()) {
    FUZZ_CHECK_STATUS(s.IsCorruption() || s.IsNotSupported(), s);
    FUZZ_CHECK(!s.IsNotSupported() || DecodeFixed32(bytes.data() + 40) != kTableFormatVersion);
    return;
  }
  std::string again;
  footer.EncodeTo(&again);
  FUZZ_CHECK(again == bytes);
}

// A handle the table's open must survive: mostly plausible, sometimes wild.
BlockHandle ForgeHandle(FuzzedDataProvider* in, const RealTable& table, const BlockHandle& real) {
  const uint64_t size = table.bytes.size();
  BlockHandle h = real;
  switch (in->ConsumeIntegralInRange(0, 6)) {
    case 0:
      break;  // the real one
    case 1:
      h.offset += in->ConsumeIntegralInRange<int64_t>(-8, 8);
      h.size += in->ConsumeIntegralInRange<int64_t>(-8, 8);
      break;
    case 2:
      h = in->ConsumeBool() ? table.footer.index : table.footer.metaindex;
      break;
    case 3:  // at or near the end of the file, the footer included
      h.offset = size - in->ConsumeIntegralInRange<uint64_t>(0, Footer::kEncodedBytes + 8);
      h.size = in->ConsumeIntegralInRange<uint64_t>(0, 64);
      break;
    case 4:  // sums that overflow
      h.offset = std::numeric_limits<uint64_t>::max() - in->ConsumeIntegralInRange<uint64_t>(0, 8);
      h.size = in->ConsumeIntegral<uint64_t>();
      break;
    case 5:
      h.size = in->ConsumeIntegral<uint64_t>();
      break;
    default:
      h.offset = in->ConsumeIntegralInRange<uint64_t>(0, size);
      h.size = in->ConsumeIntegralInRange<uint64_t>(0, size);
      break;
  }
  return h;
}

void FuzzForged(FuzzedDataProvider* in) {
  const auto& tables = RealTables();
  const RealTable& table = tables[in->ConsumeIntegralInRange<size_t>(0, tables.size() - 1)];
  Footer forged = table.footer;
  forged.metaindex = ForgeHandle(in, table, table.footer.metaindex);
  forged.index = ForgeHandle(in, table, table.footer.index);
  if (in->ConsumeIntegralInRange(0, 7) == 0) forged.table_seed = in->ConsumeIntegral<uint64_t>();
  if (in->ConsumeIntegralInRange(0, 7) == 0)
    forged.format_version = in->ConsumeIntegral<uint32_t>();

  std::string encoded;
  forged.EncodeTo(&encoded);
  FUZZ_CHECK(encoded.size() == Footer::kEncodedBytes);
  Footer decoded;
  const Status ds = decoded.DecodeFrom(encoded);
  FUZZ_CHECK(ds.ok() == (forged.format_version == kTableFormatVersion));
  if (ds.ok()) {
    std::string again;
    decoded.EncodeTo(&again);
    FUZZ_CHECK(again == encoded);
  }

  std::string bytes = table.bytes;
  bytes.replace(bytes.size() - Footer::kEncodedBytes, Footer::kEncodedBytes, encoded);
  const bool real =
      encoded == std::string_view(table.bytes).substr(table.bytes.size() - Footer::kEncodedBytes);
  const uint64_t size = bytes.size();
  std::unique_ptr<TableReader> reader;
  Status s = TableReader::Open({}, std::make_unique<fuzz::StringFile>(std::move(bytes)), size,
                               "fuzz.sst", &reader);
  if (!s.ok()) {
    FUZZ_CHECK(!real);
    FUZZ_CHECK_STATUS(s.IsCorruption() || s.IsNotSupported(), s);
    FUZZ_CHECK_STATUS(NamedIfError(s), s);
    return;
  }
  auto it = reader->NewIterator(ReadBlockOptions());
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid() && n < 10000; it->Next(), n++) {
    if (real) {
      FUZZ_CHECK(n < table.entries.size());
      FUZZ_CHECK(it->key() == table.entries[n].first && it->value() == table.entries[n].second);
    }
  }
  FUZZ_CHECK_STATUS(it->status().ok() || (it->status().IsCorruption() && NamesFile(it->status())),
                    it->status());
  if (real) FUZZ_CHECK(it->status().ok() && n == table.entries.size());
}

}  // namespace
}  // namespace synapsed

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    synapsed::FuzzRaw(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    synapsed::FuzzForged(&in);
  }
  return 0;
}
