// libFuzzer target for TableReader (docs/format/sstable.md): the input is a
// whole table file. Open it, verify it, scan it both ways, seek and look up
// keys, read its range tombstones. Checked on every input:
//
//  - Open fails only with Corruption (or NotSupported for a newer format
//    version) naming the file; a damaged block met later is Corruption too.
//    Never a crash, a hang or a sanitizer report, even with checksum
//    verification off (the input's size picks verification on or off).
//  - With verification on and a clean scan (the seeds; random damage is
//    caught by the checksums): keys strictly increase, the backward scan
//    returns the same entries, Seek finds each key, and Get of each entry's
//    user key at its sequence returns that entry (its value, or a deletion;
//    or a deletion when a range tombstone of the table covers it).
//  - Fragments of the range tombstones are ordered and non-empty, and the
//    cursor agrees with the list.
//
// Seeds: fuzz/corpus/table_reader/ (real tables: plain.sst, lz4_bloom.sst,
// zstd.sst, range_deletions.sst, empty.sst, and gen-* from
// synapsed_fuzz_seeds).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_files.h"
#include "sstable/table_reader.h"
#include "util/internal_key.h"

namespace synapsed {
namespace {

constexpr size_t kMaxSteps = 100000;  // bounds a scan of a damaged table
constexpr size_t kMaxChecked = 64;    // entries looked up one by one

bool NamesFile(const Status& s) { return s.ToString().find("fuzz.sst") != std::string::npos; }
// Every error of a table names its file (Corruption, and NotSupported for
// a footer of another format version).
bool NamedIfError(const Status& s) { return s.ok() || NamesFile(s); }

// Looks up every checked entry by Seek and by Get.
void CheckLookups(const TableReader& reader, const ReadBlockOptions& options,
                  const std::vector<std::pair<std::string, std::string>>& entries) {
  auto it = reader.NewIterator(options);
  const auto& tombstones = reader.range_tombstones();
  for (size_t i = 0; i < entries.size() && i < kMaxChecked; i++) {
    const auto& [ikey, value] = entries[i];
    it->Seek(ikey);
    FUZZ_CHECK(it->Valid() && it->key() == ikey && it->value() == value);
    ParsedInternalKey parsed;
    FUZZ_CHECK(ParseInternalKey(ikey, &parsed));
    std::string lookup;
    AppendInternalKey(&lookup, parsed.user_key, parsed.sequence, kValueTypeForSeek);
    TableGet got;
    std::string got_value;
    SequenceNumber covering = 0;
    FUZZ_CHECK(reader.Get(options, lookup, &got, &got_value, &covering).ok());
    const SequenceNumber covered_at =
        tombstones ? tombstones->MaxCoveringSequence(parsed.user_key, parsed.sequence) : 0;
    if (parsed.type == ValueType::kValue && covered_at < parsed.sequence) {
      FUZZ_CHECK(got == TableGet::kValue && got_value == value);
    } else {
      FUZZ_CHECK(got == TableGet::kDeletion);
    }
  }
}

void FuzzTable(std::string bytes, bool verify) {
  const uint64_t size = bytes.size();
  std::unique_ptr<TableReader> reader;
  Status s = TableReader::Open({}, std::make_unique<fuzz::StringFile>(std::move(bytes)), size,
                               "fuzz.sst", &reader);
  if (!s.ok()) {
    FUZZ_CHECK_STATUS(s.IsCorruption() || s.IsNotSupported(), s);
    FUZZ_CHECK_STATUS(NamedIfError(s), s);
    return;
  }
  s = reader->VerifyChecksums();
  FUZZ_CHECK_STATUS(s.ok() || (s.IsCorruption() && NamesFile(s)), s);

  ReadBlockOptions options;
  options.verify_checksum = verify;
  auto it = reader->NewIterator(options);
  std::vector<std::pair<std::string, std::string>> entries;
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid() && n < kMaxSteps; it->Next(), n++) {
    entries.emplace_back(it->key(), it->value());
  }
  const Status forward = it->status();
  FUZZ_CHECK_STATUS(forward.ok() || forward.IsCorruption(), forward);
  const bool clean = verify && forward.ok() && n < kMaxSteps;
  for (size_t i = 1; clean && i < entries.size(); i++) {
    FUZZ_CHECK(CompareInternalKeys(entries[i - 1].first, entries[i].first) < 0);
  }
  for (it->SeekToLast(); it->Valid() && n < 2 * kMaxSteps; it->Prev(), n++) {
    if (!clean) continue;
    FUZZ_CHECK(!entries.empty() && it->key() == entries.back().first &&
               it->value() == entries.back().second);
    entries.pop_back();
  }
  if (clean) {
    FUZZ_CHECK(it->status().ok() && entries.empty());
    // The backward scan used up `entries`: scan again for the lookups.
    for (it->SeekToFirst(); it->Valid() && entries.size() < kMaxChecked; it->Next()) {
      entries.emplace_back(it->key(), it->value());
    }
    CheckLookups(*reader, options, entries);
  }

  std::string key;
  AppendInternalKey(&key, "k", 100, kValueTypeForSeek);
  it->Seek(key);
  it->SeekForPrev(key);
  TableGet got;
  std::string value;
  SequenceNumber covering = 0;
  s = reader->Get(options, key, &got, &value, &covering);
  FUZZ_CHECK_STATUS(s.ok() || s.IsCorruption(), s);

  // Range tombstones passed the open's checks: every query must hold up.
  if (const auto& tombstones = reader->range_tombstones()) {
    auto cursor = NewFragmentCursor(tombstones, 100);
    for (size_t i = 0; i < tombstones->num_fragments() && i < 1000; i++) {
      const auto f = tombstones->fragment(i);
      FUZZ_CHECK(f.start < f.end);
      if (i > 0) FUZZ_CHECK(tombstones->fragment(i - 1).end <= f.start);
      FUZZ_CHECK(cursor->CoveringSequence(f.start) ==
                 tombstones->MaxCoveringSequence(f.start, 100));
    }
  }
}

}  // namespace
}  // namespace synapsed

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Both paths: blocks read unverified must not crash the reader either.
  synapsed::FuzzTable(std::string(reinterpret_cast<const char*>(data), size), size % 2 == 0);
  return 0;
}
