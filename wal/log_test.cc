// Tests of the log framing: golden bytes, round trips, every block edge, torn
// tails at every byte, bit flips, foreign fragments, zeroed space, orphans and
// writer failures. The in-memory files below stand in for io/ on purpose: the
// framing must not depend on any particular FileSystem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "synapsed/file_system.h"
#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/random.h"
#include "util/string_util.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace synapsed::wal {
namespace {

constexpr uint64_t kLogNumber = 7;

// What a StringSink has written; outlives the sink (the writer owns the sink).
struct SinkState {
  std::string contents;
  int appends_left = -1;  // >= 0: Append fails once this many have succeeded
  bool fail_flush = false;
  bool fail_sync = false;
  int flushes = 0;
  int syncs = 0;
  bool closed = false;
};

class StringSink : public WritableFile {
 public:
  explicit StringSink(SinkState* state) : state_(state) {}
  Status Append(std::string_view data) override {
    if (state_->closed) return Status::IOError("sink", "append after close");
    if (state_->appends_left == 0) {
      // A short write, like a full disk: part of the data lands.
      state_->contents.append(data.substr(0, data.size() / 2));
      return Status::NoSpace("sink", "injected append failure");
    }
    if (state_->appends_left > 0) state_->appends_left--;
    state_->contents.append(data);
    return Status::OK();
  }
  Status Flush() override {
    state_->flushes++;
    return state_->fail_flush ? Status::IOError("sink", "injected flush failure") : Status::OK();
  }
  Status Sync() override {
    state_->syncs++;
    return state_->fail_sync ? Status::IOError("sink", "injected sync failure") : Status::OK();
  }
  Status Close() override {
    state_->closed = true;
    return Status::OK();
  }
  uint64_t Size() const override { return state_->contents.size(); }

 private:
  SinkState* state_;
};

class StringSource : public SequentialFile {
 public:
  // fail_read: the Read call (0-based) that returns an I/O error, or -1.
  // zero_copy: return views of our own memory instead of copying to scratch.
  explicit StringSource(std::string contents, int fail_read = -1, bool zero_copy = false)
      : contents_(std::move(contents)), fail_read_(fail_read), zero_copy_(zero_copy) {}
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    if (reads_++ == fail_read_) return Status::IOError("source", "injected read failure");
    n = std::min(n, contents_.size() - pos_);
    if (zero_copy_) {
      *result = std::string_view(contents_).substr(pos_, n);
    } else {
      std::memcpy(scratch, contents_.data() + pos_, n);
      *result = std::string_view(scratch, n);
    }
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += std::min<uint64_t>(n, contents_.size() - pos_);
    return Status::OK();
  }

 private:
  std::string contents_;
  size_t pos_ = 0;
  int reads_ = 0;
  int fail_read_;
  bool zero_copy_;
};

struct Report {
  uint64_t offset;
  uint64_t bytes;
  DamageKind kind;
  bool operator==(const Report&) const = default;
};

void PrintTo(const Report& r, std::ostream* os) {
  *os << "{" << r.offset << ", " << r.bytes << ", " << DamageKindName(r.kind) << "}";
}

class RecordingReporter : public Reader::Reporter {
 public:
  void Damage(uint64_t offset, uint64_t bytes, DamageKind kind) override {
    reports.push_back({offset, bytes, kind});
  }
  std::vector<Report> reports;
};

// A log produced by Writer, with where each record landed.
struct Log {
  std::vector<std::string> records;
  std::vector<uint64_t> begin;  // offset of each record's first header
  std::vector<uint64_t> end;    // offset just past its last fragment
  std::string bytes;
};

Log WriteLog(const std::vector<std::string>& records, uint64_t log_number = kLogNumber) {
  Log log;
  SinkState state;
  Writer writer(std::make_unique<StringSink>(&state), log_number);
  for (const std::string& r : records) {
    const uint64_t before = writer.file_size();
    const uint64_t left = kBlockSize - before % kBlockSize;
    EXPECT_TRUE(writer.AddRecord(r).ok());
    log.records.push_back(r);
    log.begin.push_back(left < kHeaderSize ? before + left : before);
    log.end.push_back(writer.file_size());
  }
  EXPECT_EQ(writer.file_size(), state.contents.size());
  EXPECT_TRUE(writer.Close().ok());
  log.bytes = std::move(state.contents);
  return log;
}

// Everything a Reader produced from a byte string.
struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> begin;
  std::vector<uint64_t> end;
  std::vector<Report> reports;
  Status status;
};

ReadResult ReadAll(std::string bytes, uint64_t log_number = kLogNumber, bool zero_copy = false) {
  ReadResult result;
  RecordingReporter reporter;
  Reader reader(std::make_unique<StringSource>(std::move(bytes), -1, zero_copy), "test.log",
                log_number, &reporter);
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
    result.records.emplace_back(record);
    result.begin.push_back(reader.last_record_offset());
    result.end.push_back(reader.last_record_end());
  }
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));  // stays at end
  result.reports = reporter.reports;
  result.status = reader.status();
  return result;
}

// Asserts that a (possibly damaged) read returned only written records, in
// order, at their written offsets, and that reports are ordered, disjoint,
// inside the file and disjoint from every returned record.
void CheckConsistent(const Log& log, const ReadResult& got, uint64_t file_size) {
  size_t next = 0;
  for (size_t i = 0; i < got.records.size(); i++) {
    while (next < log.begin.size() && log.begin[next] != got.begin[i]) next++;
    ASSERT_LT(next, log.begin.size()) << "record " << i << " at unknown offset " << got.begin[i];
    ASSERT_EQ(log.records[next], got.records[i]);
    ASSERT_EQ(log.end[next], got.end[i]);
    next++;
  }
  uint64_t prev_end = 0;
  for (const Report& r : got.reports) {
    ASSERT_GT(r.bytes, 0u);
    ASSERT_GE(r.offset, prev_end);
    ASSERT_LE(r.offset + r.bytes, file_size);
    prev_end = r.offset + r.bytes;
    for (size_t i = 0; i < got.records.size(); i++) {
      ASSERT_TRUE(r.offset >= got.end[i] || r.offset + r.bytes <= got.begin[i]);
    }
  }
}


// A fragment built by hand, for layouts the writer never produces.
std::string MakeFragment(uint8_t type, std::string_view payload, uint64_t log_number) {
  std::string f(kHeaderSize, '\0');
  EncodeFixed16(f.data() + 4, static_cast<uint16_t>(payload.size()));
  f[6] = static_cast<char>(type);
  f.append(payload);
  EncodeFixed32(f.data(), Checksum32(std::string_view(f).substr(6), log_number));
  return f;
}

std::string Filler(size_t n, char c = 'x') { return std::string(n, c); }

// ---- format ------------------------------------------------------------------

TEST(LogFormatTest, GoldenBytesMatchDocumentedExample) {
  // docs/format/wal.md, "Worked example": log number 7, records "hello" and "".
  Log log = WriteLog({"hello", ""});
  // clang-format off
  EXPECT_EQ(ToHex(log.bytes),
            "8af10f9e" "0500" "01" "68656c6c6f"  // kFull "hello"
            "72d12fd3" "0000" "01");             // kFull ""
  // clang-format on
  EXPECT_EQ(log.end, (std::vector<uint64_t>{12, 19}));
  EXPECT_EQ(DecodeFixed32(log.bytes.data()), 0x9e0ff18au);
  // The checksum is Checksum32(type . payload, seed = log number).
  EXPECT_EQ(DecodeFixed32(log.bytes.data()), Checksum32(std::string_view("\x01hello", 6), 7));
  EXPECT_EQ(DecodeFixed32(log.bytes.data() + 12), Checksum32(std::string_view("\x01", 1), 7));
}

TEST(LogFormatTest, DamageKindNames) {
  EXPECT_EQ(DamageKindName(DamageKind::kTruncated), "truncated");
  EXPECT_EQ(DamageKindName(DamageKind::kChecksumMismatch), "checksum mismatch");
  EXPECT_EQ(DamageKindName(DamageKind::kBadLength), "bad length");
  EXPECT_EQ(DamageKindName(DamageKind::kBadType), "bad type");
  EXPECT_EQ(DamageKindName(DamageKind::kOrphanFragment), "orphan fragment");
  EXPECT_EQ(DamageKindName(DamageKind::kZeroed), "zeroed");
}

// ---- round trips -------------------------------------------------------------

TEST(LogTest, EmptyFile) {
  ReadResult got = ReadAll("");
  EXPECT_TRUE(got.records.empty());
  EXPECT_TRUE(got.reports.empty());
  EXPECT_TRUE(got.status.ok());
}

TEST(LogTest, RandomRecordsRoundTrip) {
  Random rnd(301);
  std::vector<std::string> records;
  size_t total = 0;
  while (total < 8 * 1024 * 1024) {
    size_t n = std::min<size_t>(rnd.Skewed(17), 100 * 1024);
    records.push_back(test::RandomBytes(&rnd, n));
    total += n;
  }
  Log log = WriteLog(records);
  for (bool zero_copy : {false, true}) {
    ReadResult got = ReadAll(log.bytes, kLogNumber, zero_copy);
    EXPECT_TRUE(got.reports.empty());
    EXPECT_TRUE(got.status.ok());
    ASSERT_EQ(got.records.size(), records.size());
    for (size_t i = 0; i < records.size(); i++) {
      ASSERT_EQ(got.records[i], records[i]) << "record " << i;
      ASSERT_EQ(got.begin[i], log.begin[i]) << "record " << i;
      ASSERT_EQ(got.end[i], log.end[i]) << "record " << i;
    }
  }
}

TEST(LogTest, ReaderBeforeAnyRecord) {
  Reader reader(std::make_unique<StringSource>(""), "x.log", kLogNumber, nullptr);
  EXPECT_EQ(reader.last_record_end(), 0u);
  EXPECT_EQ(reader.file_name(), "x.log");
  std::string scratch;
  std::string_view record;
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  EXPECT_TRUE(reader.status().ok());
}

// ---- block edges -------------------------------------------------------------

// The type and length of the fragment whose header is at offset.
std::pair<int, size_t> HeaderAt(const std::string& bytes, uint64_t offset) {
  return {static_cast<uint8_t>(bytes[offset + 6]), DecodeFixed16(bytes.data() + offset + 4)};
}

TEST(LogTest, EveryAmountLeftAtBlockEnd) {
  const size_t second_sizes[] = {
      0, 1, 100, kMaxFragmentPayload, kMaxFragmentPayload + 1, kBlockSize, 3 * kBlockSize + 5};
  for (size_t left = 0; left <= kHeaderSize + 1; left++) {
    for (size_t second : second_sizes) {
      SCOPED_TRACE("left=" + std::to_string(left) + " second=" + std::to_string(second));
      Log log = WriteLog({Filler(kMaxFragmentPayload - left, 'a'), Filler(second, 'b'), "end"});
      EXPECT_EQ(log.end[0], kBlockSize - left);
      EXPECT_EQ(HeaderAt(log.bytes, 0), std::make_pair(1, kMaxFragmentPayload - left));
      if (left < kHeaderSize) {
        // Padding: the next record starts at the block boundary.
        EXPECT_EQ(log.begin[1], kBlockSize);
        EXPECT_EQ(log.bytes.substr(log.end[0], left), std::string(left, '\0'));
      } else {
        EXPECT_EQ(log.begin[1], log.end[0]);
      }
      if (left == kHeaderSize && second > 0) {
        // Exactly a header's room: an empty kFirst, the payload follows.
        EXPECT_EQ(HeaderAt(log.bytes, log.begin[1]), std::make_pair(2, size_t{0}));
      }
      ReadResult got = ReadAll(log.bytes);
      EXPECT_TRUE(got.reports.empty());
      EXPECT_EQ(got.records, log.records);
      EXPECT_EQ(got.begin, log.begin);
      EXPECT_EQ(got.end, log.end);
    }
  }
}

TEST(LogTest, RecordsFillingBlocksExactly) {
  // kMaxFragmentPayload fills a block with one kFull; the next starts at a
  // block boundary without padding.
  Log log = WriteLog({Filler(kMaxFragmentPayload), Filler(kMaxFragmentPayload, 'y'),
                      Filler(2 * kMaxFragmentPayload, 'z'), "tail"});
  EXPECT_EQ(log.end[0], kBlockSize);
  EXPECT_EQ(log.begin[1], kBlockSize);
  EXPECT_EQ(log.end[1], 2 * kBlockSize);
  EXPECT_EQ(HeaderAt(log.bytes, 2 * kBlockSize), std::make_pair(2, kMaxFragmentPayload));
  EXPECT_EQ(HeaderAt(log.bytes, 3 * kBlockSize), std::make_pair(4, kMaxFragmentPayload));
  EXPECT_EQ(log.end[2], 4 * kBlockSize);
  EXPECT_EQ(log.bytes.size(), 4 * kBlockSize + kHeaderSize + 4);
  ReadResult got = ReadAll(log.bytes);
  EXPECT_TRUE(got.reports.empty());
  EXPECT_EQ(got.records, log.records);
}

TEST(LogTest, RecordSpanningManyBlocks) {
  Random rnd(17);
  std::string big = test::RandomBytes(&rnd, 5 * kBlockSize + 123);
  Log log = WriteLog({"x", big, "y"});
  // kFirst, four kMiddle (one per block), kLast.
  EXPECT_EQ(HeaderAt(log.bytes, 8).first, 2);
  for (int b = 1; b <= 4; b++) EXPECT_EQ(HeaderAt(log.bytes, b * kBlockSize).first, 3);
  EXPECT_EQ(HeaderAt(log.bytes, 5 * kBlockSize).first, 4);
  ReadResult got = ReadAll(log.bytes);
  EXPECT_TRUE(got.reports.empty());
  EXPECT_EQ(got.records, log.records);
}

TEST(LogTest, AppendToExistingLog) {
  // A second writer resumes an existing file, including one whose size leaves
  // less than a header in the last block.
  for (size_t left : {size_t{0}, size_t{3}, size_t{7}, size_t{500}}) {
    SinkState state;
    {
      Writer w(std::make_unique<StringSink>(&state), kLogNumber);
      ASSERT_TRUE(w.AddRecord(Filler(kMaxFragmentPayload - left)).ok());
    }
    const uint64_t size = state.contents.size();
    Writer w(std::make_unique<StringSink>(&state), kLogNumber, size);
    EXPECT_EQ(w.file_size(), size);
    ASSERT_TRUE(w.AddRecord("second").ok());
    EXPECT_EQ(w.file_size(), state.contents.size());
    ReadResult got = ReadAll(state.contents);
    EXPECT_TRUE(got.reports.empty());
    EXPECT_EQ(got.records,
              (std::vector<std::string>{Filler(kMaxFragmentPayload - left), "second"}));
  }
}

// ---- torn tails --------------------------------------------------------------

// Cuts the log at every byte from the end of the second-to-last record to the
// end of the last: earlier records survive, the last is reported as truncated
// from its first header (or not at all if only padding was cut).
void CheckEveryTruncation(const std::vector<std::string>& records) {
  Log log = WriteLog(records);
  const size_t last = records.size() - 1;
  const uint64_t from = last == 0 ? 0 : log.end[last - 1];
  std::vector<std::string> earlier(records.begin(), records.end() - 1);
  for (uint64_t cut = from; cut <= log.end[last]; cut++) {
    SCOPED_TRACE("cut=" + std::to_string(cut));
    ReadResult got = ReadAll(log.bytes.substr(0, cut));
    CheckConsistent(log, got, cut);
    if (cut == log.end[last]) {
      EXPECT_EQ(got.records, log.records);
      EXPECT_TRUE(got.reports.empty());
      continue;
    }
    ASSERT_EQ(got.records, earlier);
    if (cut <= log.begin[last]) {
      ASSERT_TRUE(got.reports.empty());
    } else {
      ASSERT_EQ(
          got.reports,
          (std::vector<Report>{{log.begin[last], cut - log.begin[last], DamageKind::kTruncated}}));
    }
  }
}

TEST(LogTest, TruncatedSmallRecord) { CheckEveryTruncation({"one", Filler(100), Filler(50)}); }

TEST(LogTest, TruncatedEmptyRecord) { CheckEveryTruncation({"one", ""}); }

TEST(LogTest, TruncatedRecordAfterPadding) {
  // The first record leaves 3 bytes of padding before the last one.
  CheckEveryTruncation({Filler(kMaxFragmentPayload - 3), Filler(1000, 'q')});
}

TEST(LogTest, TruncatedRecordCrossingABlock) {
  CheckEveryTruncation({Filler(kBlockSize - 1000), Filler(2500, 'q')});
}

TEST(LogTest, TruncatedRecordWithEmptyFirstFragment) {
  // 7 bytes left: an empty kFirst at the block end, the payload after it.
  CheckEveryTruncation({Filler(kMaxFragmentPayload - kHeaderSize), Filler(300, 'q')});
}

TEST(LogTest, TruncatedRecordSpanningBlocks) {
  CheckEveryTruncation({"head", Filler(kBlockSize + 200, 'q')});
}

TEST(LogTest, PartialHeaderAtEndIsTruncatedEvenIfZero) {
  // Fewer than 7 bytes where a header fits are a torn header, not padding.
  Log log = WriteLog({"abc"});
  ReadResult got = ReadAll(log.bytes + std::string(3, '\0'));
  EXPECT_EQ(got.records, log.records);
  EXPECT_EQ(got.reports, (std::vector<Report>{{log.end[0], 3, DamageKind::kTruncated}}));
}

// ---- bit flips ---------------------------------------------------------------

// Flips one bit at offset and checks: only written records come back, in
// order; the record holding the flipped byte does not; a report covers it;
// every other record outside the flipped byte's block-remainder survives.
void CheckBitFlip(const Log& log, uint64_t offset, int bit) {
  SCOPED_TRACE("offset=" + std::to_string(offset) + " bit=" + std::to_string(bit));
  std::string bytes = log.bytes;
  bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << bit));
  ReadResult got = ReadAll(bytes);
  CheckConsistent(log, got, bytes.size());
  size_t damaged = log.records.size();
  for (size_t i = 0; i < log.records.size(); i++) {
    if (log.begin[i] <= offset && offset < log.end[i]) damaged = i;
  }
  if (damaged == log.records.size()) {
    // Padding carries no data: nothing lost, nothing reported.
    EXPECT_EQ(got.records, log.records);
    EXPECT_TRUE(got.reports.empty());
    return;
  }
  EXPECT_TRUE(std::find(got.begin.begin(), got.begin.end(), log.begin[damaged]) == got.begin.end());
  EXPECT_TRUE(std::any_of(got.reports.begin(), got.reports.end(), [&](const Report& r) {
    return r.offset <= offset && offset < r.offset + r.bytes;
  }));
  const uint64_t next_block = (offset / kBlockSize + 1) * kBlockSize;
  for (size_t i = 0; i < log.records.size(); i++) {
    if (i == damaged || (log.end[i] > log.begin[damaged] && log.begin[i] < next_block)) continue;
    EXPECT_TRUE(std::find(got.begin.begin(), got.begin.end(), log.begin[i]) != got.begin.end())
        << "record " << i << " was lost";
  }
}

TEST(LogTest, BitFlipAtEveryByteOfSmallLog) {
  // Several records in one block, one crossing into the next block, and a few
  // in that next block, so recovery after the boundary is exercised too.
  Log log = WriteLog({"alpha", "", Filler(300, 'b'), "c", Filler(kBlockSize - 400, 'd'), "e",
                      Filler(70, 'f'), "g"});
  Random rnd(99);
  for (uint64_t offset = 0; offset < log.bytes.size(); offset++) {
    CheckBitFlip(log, offset, static_cast<int>(rnd.Uniform(8)));
  }
}

TEST(LogTest, BitFlipSampledInMultiBlockLog) {
  Random rnd(1234);
  std::vector<std::string> records;
  for (int i = 0; i < 60; i++) {
    records.push_back(test::RandomBytes(&rnd, std::min<size_t>(rnd.Skewed(16), 40000)));
  }
  Log log = WriteLog(records);
  ASSERT_GT(log.bytes.size(), 3 * kBlockSize);
  for (int i = 0; i < 400; i++) {
    CheckBitFlip(log, rnd.Uniform(log.bytes.size()), static_cast<int>(rnd.Uniform(8)));
  }
  // Every header byte of every record's first fragment.
  for (uint64_t begin : log.begin) {
    for (uint64_t k = 0; k < kHeaderSize; k++) CheckBitFlip(log, begin + k, 0);
  }
}

// ---- foreign, zeroed, orphaned, malformed -------------------------------------

TEST(LogTest, FragmentFromAnotherLogFailsChecksum) {
  Log mine = WriteLog({"one", "two", "six"});
  Log other = WriteLog({"one", "TWO", "six"}, kLogNumber + 1);
  // Splice the other log's second fragment in: same offset, same length.
  std::string bytes = mine.bytes;
  bytes.replace(mine.begin[1], mine.end[1] - mine.begin[1],
                other.bytes.substr(other.begin[1], other.end[1] - other.begin[1]));
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, std::vector<std::string>{"one"});
  EXPECT_EQ(got.reports, (std::vector<Report>{{mine.begin[1], bytes.size() - mine.begin[1],
                                               DamageKind::kChecksumMismatch}}));
  // Read with the wrong number, a whole log is foreign.
  got = ReadAll(mine.bytes, kLogNumber + 1);
  EXPECT_TRUE(got.records.empty());
  EXPECT_EQ(got.reports,
            (std::vector<Report>{{0, mine.bytes.size(), DamageKind::kChecksumMismatch}}));
}

TEST(LogTest, ZeroFilledTailIsOneReport) {
  Log log = WriteLog({"one", Filler(40000), "three"});
  for (size_t zeros : {size_t{7}, size_t{100}, kBlockSize, 3 * kBlockSize + 11}) {
    SCOPED_TRACE("zeros=" + std::to_string(zeros));
    ReadResult got = ReadAll(log.bytes + std::string(zeros, '\0'));
    EXPECT_EQ(got.records, log.records);
    EXPECT_EQ(got.reports, (std::vector<Report>{{log.bytes.size(), zeros, DamageKind::kZeroed}}));
  }
}

TEST(LogTest, ZeroFilledTailAfterPaddingStartsAtBlock) {
  Log log = WriteLog({Filler(kMaxFragmentPayload - 4)});
  ReadResult got = ReadAll(log.bytes + std::string(2 * kBlockSize + 4, '\0'));
  EXPECT_EQ(got.records, log.records);
  EXPECT_EQ(got.reports, (std::vector<Report>{{kBlockSize, 2 * kBlockSize, DamageKind::kZeroed}}));
}

TEST(LogTest, ZeroedBlockInTheMiddle) {
  // A lost (zeroed) block mid-file: its record is gone, the continuation
  // after it is an orphan, and later records are recovered.
  Log log = WriteLog({"a", Filler(2 * kBlockSize, 'b'), "c", Filler(kBlockSize, 'd'), "e"});
  std::string bytes = log.bytes;
  std::fill(bytes.begin(), bytes.begin() + kBlockSize, '\0');
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, (std::vector<std::string>{"c", Filler(kBlockSize, 'd'), "e"}));
  EXPECT_EQ(got.reports, (std::vector<Report>{
                             {0, kBlockSize, DamageKind::kZeroed},
                             {kBlockSize, log.end[1] - kBlockSize, DamageKind::kOrphanFragment}}));
}

TEST(LogTest, OrphanContinuationFragments) {
  // Drop the first block of a three-block record: its kMiddle and kLast are
  // orphans, reported as one range; the next record is read.
  Log log = WriteLog({Filler(2 * kBlockSize + 100, 'm'), "after"});
  std::string bytes = log.bytes.substr(kBlockSize);
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, std::vector<std::string>{"after"});
  EXPECT_EQ(got.reports,
            (std::vector<Report>{{0, log.end[0] - kBlockSize, DamageKind::kOrphanFragment}}));
}

TEST(LogTest, RecordInterruptedByNewRecord) {
  // A kFirst whose record never finishes, followed by a fresh log's records
  // (what an older, crashed writer can leave): the partial record is reported.
  Log big = WriteLog({Filler(2 * kBlockSize, 'p')});
  Log fresh = WriteLog({"x", Filler(kBlockSize, 'y')});
  ReadResult got = ReadAll(big.bytes.substr(0, kBlockSize) + fresh.bytes);
  EXPECT_EQ(got.records, fresh.records);
  EXPECT_EQ(got.reports, (std::vector<Report>{{0, kBlockSize, DamageKind::kOrphanFragment}}));
  EXPECT_EQ(got.begin[0], kBlockSize);
}

TEST(LogTest, VerifiedFragmentOfUnknownTypeIsSkippedAlone) {
  std::string bytes = MakeFragment(9, "future", kLogNumber) + MakeFragment(1, "kept", kLogNumber) +
                      MakeFragment(0, "zero type", kLogNumber) +
                      MakeFragment(1, "also kept", kLogNumber);
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, (std::vector<std::string>{"kept", "also kept"}));
  EXPECT_EQ(got.reports,
            (std::vector<Report>{{0, 13, DamageKind::kBadType}, {24, 16, DamageKind::kBadType}}));
}

TEST(LogTest, LengthPastBlockEnd) {
  std::string bytes = MakeFragment(1, "abc", kLogNumber);
  EncodeFixed16(bytes.data() + 4, 40000);  // runs past the block
  bytes.resize(kBlockSize, 'j');
  bytes += MakeFragment(1, "next block", kLogNumber);
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, std::vector<std::string>{"next block"});
  EXPECT_EQ(got.reports, (std::vector<Report>{{0, kBlockSize, DamageKind::kBadLength}}));
}

TEST(LogTest, ChecksumMismatchTakesPartialRecordAlong) {
  // A flip in the kLast of a two-block record: one report from the record's
  // first header to the end of the damaged block.
  Log log = WriteLog({"a", Filler(kBlockSize, 'r'), "b"});
  std::string bytes = log.bytes;
  bytes[kBlockSize + 10] ^= 1;
  ReadResult got = ReadAll(bytes);
  EXPECT_EQ(got.records, std::vector<std::string>{"a"});
  EXPECT_EQ(got.reports, (std::vector<Report>{{log.begin[1], bytes.size() - log.begin[1],
                                               DamageKind::kChecksumMismatch}}));
}

TEST(LogTest, NullReporterSkipsDamageSilently) {
  Log log = WriteLog({"a", "b"});
  std::string bytes = std::string(kBlockSize, '\x55') + log.bytes;
  Reader reader(std::make_unique<StringSource>(bytes), "x.log", kLogNumber, nullptr);
  std::string scratch;
  std::string_view record;
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(record, "a");
  EXPECT_EQ(reader.last_record_offset(), kBlockSize);
}

// ---- I/O errors --------------------------------------------------------------

TEST(LogTest, ReadErrorIsStatusNotDamage) {
  Log log = WriteLog({"a", Filler(kBlockSize, 'b'), "c"});
  RecordingReporter reporter;
  Reader reader(std::make_unique<StringSource>(log.bytes, /*fail_read=*/1), "x.log", kLogNumber,
                &reporter);
  std::string scratch;
  std::string_view record;
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ(record, "a");
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));  // the second block fails
  EXPECT_TRUE(reader.status().IsIOError());
  EXPECT_TRUE(reporter.reports.empty());
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
}

TEST(LogWriterTest, AppendFailureIsSticky) {
  SinkState state;
  state.appends_left = 2;
  Writer writer(std::make_unique<StringSink>(&state), kLogNumber);
  ASSERT_TRUE(writer.AddRecord("one").ok());
  // Two fragments: the first append succeeds, the second fails halfway.
  Status s = writer.AddRecord(Filler(kBlockSize + 10));
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  state.appends_left = -1;  // the device recovers; the writer must not
  EXPECT_TRUE(writer.AddRecord("three").IsNoSpace());
  EXPECT_TRUE(writer.Sync().IsNoSpace());
  EXPECT_EQ(state.syncs, 0);
  EXPECT_TRUE(writer.Close().IsNoSpace());
  EXPECT_TRUE(state.closed);
  EXPECT_TRUE(writer.Close().IsNoSpace());
  // What reached the file reads as "one" and a torn tail.
  ReadResult got = ReadAll(state.contents);
  EXPECT_EQ(got.records, std::vector<std::string>{"one"});
  ASSERT_EQ(got.reports.size(), 1u);
  EXPECT_EQ(got.reports[0].kind, DamageKind::kTruncated);
}

TEST(LogWriterTest, FlushAndSyncFailuresAreSticky) {
  SinkState state;
  Writer writer(std::make_unique<StringSink>(&state), kLogNumber);
  ASSERT_TRUE(writer.AddRecord("one").ok());
  EXPECT_EQ(state.flushes, 1);  // each record reaches the OS before returning
  state.fail_flush = true;
  EXPECT_TRUE(writer.AddRecord("two").IsIOError());
  state.fail_flush = false;
  EXPECT_TRUE(writer.AddRecord("three").IsIOError());

  SinkState state2;
  Writer writer2(std::make_unique<StringSink>(&state2), kLogNumber);
  state2.fail_sync = true;
  ASSERT_TRUE(writer2.AddRecord("one").ok());
  EXPECT_TRUE(writer2.Sync().IsIOError());
  state2.fail_sync = false;
  EXPECT_TRUE(writer2.Sync().IsIOError());  // never trust a retried sync
  EXPECT_EQ(state2.syncs, 1);
  EXPECT_TRUE(writer2.AddRecord("two").IsIOError());
}

TEST(LogWriterTest, UseAfterClose) {
  SinkState state;
  Writer writer(std::make_unique<StringSink>(&state), kLogNumber);
  ASSERT_TRUE(writer.AddRecord("one").ok());
  ASSERT_TRUE(writer.Sync().ok());
  ASSERT_TRUE(writer.Close().ok());
  EXPECT_TRUE(writer.Close().ok());
  EXPECT_TRUE(writer.AddRecord("two").IsInvalidArgument());
  EXPECT_TRUE(writer.Sync().IsInvalidArgument());
  EXPECT_EQ(writer.log_number(), kLogNumber);
}

}  // namespace
}  // namespace synapsed::wal
