#include "engine/version_edit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "testutil/testutil.h"
#include "util/coding.h"
#include "util/random.h"
#include "wal/log_writer.h"

namespace synapsed {

namespace {

using test::IKey;

FileMetaData File(uint64_t number, uint64_t size, std::string smallest, std::string largest,
                  SequenceNumber smallest_seqno, SequenceNumber largest_seqno) {
  FileMetaData f;
  f.number = number;
  f.file_size = size;
  f.smallest = std::move(smallest);
  f.largest = std::move(largest);
  f.smallest_seqno = smallest_seqno;
  f.largest_seqno = largest_seqno;
  return f;
}

std::string Encode(const VersionEdit& e) {
  std::string s;
  e.EncodeTo(&s);
  return s;
}

std::string Hex(std::string_view s) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < s.size(); i++) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(s[i]));
    out += (i == 0 ? "" : " ") + std::string(buf);
  }
  return out;
}

// Builds encodings by hand, for inputs the encoder refuses to produce.
class Raw {
 public:
  Raw& Tag(uint32_t t) {
    PutVarint32(&s_, t);
    return *this;
  }
  Raw& Tag(EditTag t) { return Tag(static_cast<uint32_t>(t)); }
  Raw& U32(uint32_t v) {
    PutVarint32(&s_, v);
    return *this;
  }
  Raw& U64(uint64_t v) {
    PutVarint64(&s_, v);
    return *this;
  }
  Raw& Str(std::string_view v) {
    PutLengthPrefixed(&s_, v);
    return *this;
  }
  Raw& Bytes(std::string_view v) {
    s_ += v;
    return *this;
  }
  Raw& NewFile(uint32_t level, const FileMetaData& f) {
    return Tag(EditTag::kNewFile)
        .U32(level)
        .U64(f.number)
        .U64(f.file_size)
        .Str(f.smallest)
        .Str(f.largest)
        .U64(f.smallest_seqno)
        .U64(f.largest_seqno);
  }
  Raw& DeletedFile(uint32_t level, uint64_t number) {
    return Tag(EditTag::kDeletedFile).U32(level).U64(number);
  }
  std::string End() const { return s_ + std::string(1, static_cast<char>(EditTag::kEnd)); }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

FileMetaData GoodFile(uint64_t number) {
  return File(number, 100, IKey("a", 5, ValueType::kValue), IKey("b", 7, ValueType::kDeletion), 5,
              7);
}

// Decodes raw, expecting Corruption whose message contains `reason`.
void ExpectCorruption(const std::string& raw, const std::string& reason) {
  VersionEdit e;
  e.SetLogNumber(99);  // must be cleared by the failed decode
  Status s = e.DecodeFrom(raw);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString() << " for " << Hex(raw);
  EXPECT_NE(std::string::npos, s.ToString().find(reason)) << s.ToString();
  EXPECT_EQ(VersionEdit(), e) << "a failed decode must leave the edit empty";
}

// Skewed towards small values, but reaching every bit width.
uint64_t AnyU64(Random* rnd) { return rnd->OneIn(8) ? rnd->Next64() : rnd->Skewed(63); }

std::string RandomBytes(Random* rnd, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

// A random valid edit: every field present or absent, binary user keys (empty
// ones included), sequence numbers and file numbers up to their limits.
VersionEdit RandomEdit(Random* rnd) {
  VersionEdit e;
  const bool all = rnd->OneIn(4);  // a snapshot-like edit
  if (all || rnd->OneIn(2)) e.SetComparatorName(RandomBytes(rnd, rnd->Uniform(40)));
  if (all || rnd->OneIn(2)) e.SetLogNumber(AnyU64(rnd));
  std::optional<uint64_t> next;
  if (all || rnd->OneIn(2)) {
    next = rnd->OneIn(10) ? UINT64_MAX : 1 + rnd->Skewed(40);
    e.SetNextFileNumber(*next);
  }
  if (all || rnd->OneIn(2)) {
    e.SetLastSequence(rnd->OneIn(10) ? kMaxSequenceNumber : rnd->Skewed(56));
  }
  auto random_number = [&] { return next ? rnd->Uniform(*next) : AnyU64(rnd); };
  std::set<uint64_t> used;
  const int deletions = static_cast<int>(rnd->Skewed(4));
  for (int i = 0; i < deletions; i++) {
    uint64_t n = random_number();
    if (used.insert(n).second) e.DeleteFile(static_cast<int>(rnd->Uniform(kNumLevels)), n);
  }
  const int additions = static_cast<int>(rnd->Skewed(4));
  for (int i = 0; i < additions; i++) {
    const int level = static_cast<int>(rnd->Uniform(kNumLevels));
    uint64_t n = random_number();
    if (rnd->OneIn(4) && !e.deleted_files().empty()) {
      // A move: deleted at one level, added at another.
      auto [from, moved] = *e.deleted_files().begin();
      if (from == level) continue;
      n = moved;
    } else if (!used.insert(n).second) {
      continue;
    }
    FileMetaData f;
    f.number = n;
    f.file_size = AnyU64(rnd);
    f.smallest_seqno = rnd->Skewed(56);
    f.largest_seqno = f.smallest_seqno + rnd->Uniform(kMaxSequenceNumber - f.smallest_seqno + 1);
    auto key = [&] {
      const auto type = rnd->OneIn(2) ? ValueType::kValue : ValueType::kDeletion;
      return IKey(RandomBytes(rnd, rnd->Skewed(5)), rnd->Skewed(56), type);
    };
    f.smallest = key();
    f.largest = rnd->OneIn(8) ? f.smallest : key();
    if (CompareInternalKeys(f.smallest, f.largest) > 0) std::swap(f.smallest, f.largest);
    if (std::any_of(e.new_files().begin(), e.new_files().end(),
                    [&](const auto& nf) { return nf.second.number == n; })) {
      continue;  // a move already added it
    }
    e.AddFile(level, std::move(f));
  }
  return e;
}

// The two examples of docs/format/manifest.md.
VersionEdit SnapshotExample() {
  VersionEdit e;
  e.SetComparatorName("synapsed.BytewiseComparator");
  e.SetLogNumber(5);
  e.SetNextFileNumber(9);
  e.SetLastSequence(300);
  e.AddFile(0, File(7, 1234, IKey("a", 256, ValueType::kValue),
                    IKey("b", 300, ValueType::kDeletion), 256, 300));
  return e;
}

VersionEdit CompactionExample() {
  VersionEdit e;
  e.SetNextFileNumber(12);
  e.DeleteFile(0, 7);
  e.DeleteFile(1, 4);
  e.AddFile(1, File(10, 2048, IKey("a", 0, ValueType::kValue), IKey("m", 280, ValueType::kValue), 0,
                    300));
  return e;
}

}  // namespace

TEST(VersionEditTest, EmptyEditIsJustTheEndTag) {
  VersionEdit e;
  EXPECT_EQ("\x3f", Encode(e));
  VersionEdit d;
  ASSERT_TRUE(d.DecodeFrom("\x3f").ok());
  EXPECT_EQ(e, d);
}

TEST(VersionEditTest, RandomEditsRoundTrip) {
  int snapshots = 0, moves = 0, files = 0, deletions = 0;
  for (uint64_t seed = 0; seed < 3000; seed++) {
    Random rnd(seed);
    VersionEdit e = RandomEdit(&rnd);
    const std::string enc = Encode(e);
    VersionEdit d;
    d.SetLogNumber(1);  // decoding replaces, never merges
    Status s = d.DecodeFrom(enc);
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s.ToString() << "\n" << e.DebugString();
    ASSERT_EQ(e, d) << "seed " << seed << "\n" << e.DebugString() << d.DebugString();
    ASSERT_EQ(enc, Encode(d)) << "seed " << seed;
    snapshots += e.has_comparator_name() && e.has_log_number() && e.has_next_file_number() &&
                 e.has_last_sequence();
    files += !e.new_files().empty();
    deletions += !e.deleted_files().empty();
    for (const auto& added : e.new_files()) {
      moves += std::any_of(e.deleted_files().begin(), e.deleted_files().end(),
                           [&](const auto& del) { return del.second == added.second.number; });
    }
  }
  // The generator reaches every shape.
  EXPECT_GT(snapshots, 500);
  EXPECT_GT(files, 1000);
  EXPECT_GT(deletions, 1000);
  EXPECT_GT(moves, 100);
}

TEST(VersionEditTest, AccessorsReflectSetters) {
  VersionEdit e = SnapshotExample();
  EXPECT_TRUE(e.has_comparator_name() && e.has_log_number() && e.has_next_file_number() &&
              e.has_last_sequence());
  EXPECT_EQ("synapsed.BytewiseComparator", e.comparator_name());
  EXPECT_EQ(5u, e.log_number());
  EXPECT_EQ(9u, e.next_file_number());
  EXPECT_EQ(300u, e.last_sequence());
  ASSERT_EQ(1u, e.new_files().size());
  EXPECT_EQ(0, e.new_files()[0].first);
  EXPECT_EQ(7u, e.new_files()[0].second.number);
  EXPECT_TRUE(e.deleted_files().empty());
  e.DeleteFile(2, 3);
  e.DeleteFile(2, 3);  // idempotent
  EXPECT_EQ(1u, e.deleted_files().size());
  e.Clear();
  EXPECT_EQ(VersionEdit(), e);
  EXPECT_FALSE(e.has_comparator_name() || e.has_log_number() || e.has_next_file_number() ||
               e.has_last_sequence());
}

// The worked examples of docs/format/manifest.md, byte for byte.
TEST(VersionEditTest, GoldenBytesMatchDocumentedExample) {
  EXPECT_EQ(
      "01 1b 73 79 6e 61 70 73 65 64 2e 42 79 74 65 77 69 73 65 43 6f 6d 70 61 72 61 74 6f 72 "
      "02 05 03 09 04 ac 02 "
      "06 00 07 d2 09 09 61 01 00 01 00 00 00 00 00 09 62 00 2c 01 00 00 00 00 00 80 02 ac 02 "
      "3f",
      Hex(Encode(SnapshotExample())));
  EXPECT_EQ(
      "03 0c 05 00 07 05 01 04 "
      "06 01 0a 80 10 09 61 01 00 00 00 00 00 00 00 09 6d 01 18 01 00 00 00 00 00 00 ac 02 "
      "3f",
      Hex(Encode(CompactionExample())));
}

// The first record of MANIFEST-000004 holding the snapshot example: the
// framing of docs/format/wal.md seeded with the MANIFEST's number.
TEST(VersionEditTest, GoldenManifestRecordFraming) {
  class StringSink : public WritableFile {
   public:
    explicit StringSink(std::string* out) : out_(out) {}
    Status Append(std::string_view data) override {
      out_->append(data);
      return Status::OK();
    }
    Status Flush() override { return Status::OK(); }
    Status Sync() override { return Status::OK(); }
    Status Close() override { return Status::OK(); }
    uint64_t Size() const override { return out_->size(); }

   private:
    std::string* out_;
  };
  std::string file;
  wal::Writer writer(std::make_unique<StringSink>(&file), /*log_number=*/4);
  const std::string record = Encode(SnapshotExample());
  ASSERT_TRUE(writer.AddRecord(record).ok());
  ASSERT_TRUE(writer.Close().ok());
  ASSERT_EQ(7 + record.size(), file.size());
  EXPECT_EQ("0b 7a ef de 42 00 01", Hex(file.substr(0, 7)));  // checksum, length 66, kFull
  EXPECT_EQ(record, file.substr(7));
}

TEST(VersionEditTest, EveryTruncationIsCorruption) {
  std::vector<std::string> encodings = {Encode(SnapshotExample()), Encode(CompactionExample())};
  for (uint64_t seed = 0; seed < 200; seed++) {
    Random rnd(seed);
    encodings.push_back(Encode(RandomEdit(&rnd)));
  }
  for (const std::string& enc : encodings) {
    for (size_t n = 0; n < enc.size(); n++) {
      // A copy of exactly n bytes, so ASan catches a read past the input.
      auto buf = std::make_unique<char[]>(n + 1);
      std::memcpy(buf.get(), enc.data(), n);
      VersionEdit d;
      Status s = d.DecodeFrom(std::string_view(buf.get(), n));
      ASSERT_TRUE(s.IsCorruption()) << "prefix " << n << " of " << Hex(enc) << ": " << s.ToString();
      ASSERT_EQ(VersionEdit(), d);
    }
  }
}

TEST(VersionEditTest, TrailingBytesAreCorruption) {
  ExpectCorruption(Encode(SnapshotExample()) + "\x3f", "1 bytes after the end tag");
  ExpectCorruption(Encode(CompactionExample()) + std::string(1, '\0'), "after the end tag");
}

TEST(VersionEditTest, FieldsMayComeInAnyOrder) {
  // The writer's order is fixed, but the fields of one edit commute.
  const VersionEdit want = CompactionExample();
  const std::string raw = Raw()
                              .NewFile(1, want.new_files()[0].second)
                              .DeletedFile(1, 4)
                              .Tag(EditTag::kNextFileNumber)
                              .U64(12)
                              .DeletedFile(0, 7)
                              .End();
  VersionEdit d;
  ASSERT_TRUE(d.DecodeFrom(raw).ok());
  EXPECT_EQ(want, d);
}

TEST(VersionEditTest, UnknownTags) {
  const std::string base = Raw().Tag(EditTag::kLogNumber).U64(3).str();
  VersionEdit want;
  want.SetLogNumber(3);
  // Safe-to-ignore tags, one- and two-byte varints, are skipped with their payload.
  for (uint32_t tag : {0x40u, 0x41u, 0x7fu, 0xc0u, 0x12345u | 0x40u}) {
    for (std::string payload :
         {std::string(), std::string("\x3f\x06\x00", 3), std::string(300, 'x')}) {
      VersionEdit d;
      Status s = d.DecodeFrom(Raw().Tag(tag).Str(payload).Bytes(base).Tag(tag).Str("").End());
      ASSERT_TRUE(s.ok()) << tag << ": " << s.ToString();
      EXPECT_EQ(want, d);
      EXPECT_EQ(Encode(want), Encode(d));  // skipped fields are not re-encoded
    }
    ExpectCorruption(Raw().Bytes(base).Tag(tag).End(), "bad field with tag");
    ExpectCorruption(Raw().Bytes(base).Tag(tag).U32(5).Bytes("abc").str(), "bad field with tag");
  }
  // Any other unknown tag could change the version's meaning.
  for (uint32_t tag : {0u, 7u, 0x3eu, 0x80u, 0xbfu, 0xffffffffu & ~0x40u}) {
    ExpectCorruption(Raw().Bytes(base).Tag(tag).Str("").End(),
                     "unknown tag " + std::to_string(tag));
  }
  ExpectCorruption(std::string("\xff\xff\xff\xff\xff", 5), "bad tag");
  ExpectCorruption(std::string(8, '\0'), "unknown tag 0");  // zero-filled space
}

TEST(VersionEditTest, ScalarFieldsAtMostOnce) {
  ExpectCorruption(
      Raw().Tag(EditTag::kComparator).Str("a").Tag(EditTag::kComparator).Str("a").End(),
      "comparator given twice");
  ExpectCorruption(Raw().Tag(EditTag::kLogNumber).U64(1).Tag(EditTag::kLogNumber).U64(1).End(),
                   "log number given twice");
  ExpectCorruption(
      Raw().Tag(EditTag::kNextFileNumber).U64(1).Tag(EditTag::kNextFileNumber).U64(2).End(),
      "next file number given twice");
  ExpectCorruption(
      Raw().Tag(EditTag::kLastSequence).U64(1).Tag(EditTag::kLastSequence).U64(2).End(),
      "last sequence given twice");
}

TEST(VersionEditTest, TruncatedFields) {
  ExpectCorruption(Raw().Tag(EditTag::kComparator).U32(4).Bytes("abc").str(),
                   "bad comparator name");
  ExpectCorruption(Raw().Tag(EditTag::kLogNumber).Bytes("\x80").str(), "bad log number");
  ExpectCorruption(Raw().Tag(EditTag::kNextFileNumber).str(), "bad next file number");
  ExpectCorruption(Raw().Tag(EditTag::kLastSequence).str(), "bad last sequence");
  ExpectCorruption(Raw().Tag(EditTag::kDeletedFile).U32(1).str(), "bad deleted file");
  ExpectCorruption(Raw().Tag(EditTag::kNewFile).U32(1).U64(2).U64(3).str(), "bad new file");
  // A varint64 that overflows 64 bits is malformed, never wrapped.
  ExpectCorruption(
      Raw().Tag(EditTag::kLogNumber).Bytes(std::string(10, '\xff')).Bytes("\x01").End(),
      "bad log number");
  ExpectCorruption("", "no end tag");
}

TEST(VersionEditTest, LevelsOutOfRange) {
  ExpectCorruption(Raw().DeletedFile(kNumLevels, 3).End(), "deleted file #3: level 7 >= 7");
  ExpectCorruption(Raw().NewFile(kNumLevels, GoodFile(3)).End(), "new file #3: level 7 >= 7");
  ExpectCorruption(Raw().NewFile(0xffffffff, GoodFile(3)).End(), "level 4294967295 >= 7");
  VersionEdit d;
  EXPECT_TRUE(d.DecodeFrom(Raw().NewFile(kNumLevels - 1, GoodFile(3)).End()).ok());
}

TEST(VersionEditTest, KeysMustBeInternalKeys) {
  FileMetaData f = GoodFile(3);
  f.smallest = "1234567";  // 7 bytes: no room for a tag
  ExpectCorruption(Raw().NewFile(0, f).End(), "smallest key (bad key '1234567') is not");
  f = GoodFile(3);
  f.largest = std::string(8, '\x03');  // type 3 is unknown
  ExpectCorruption(Raw().NewFile(0, f).End(), "largest key (bad key '\\x03");
  f.largest = IKey("", 9, ValueType::kDeletion);  // an empty user key is fine
  f.smallest = IKey("", 9, ValueType::kDeletion);
  f.largest_seqno = 9;
  VersionEdit d;
  EXPECT_TRUE(d.DecodeFrom(Raw().NewFile(0, f).End()).ok());
  // Range tombstone keys are boundaries too: a tombstone's start, and the
  // sentinel (end, kMaxSequenceNumber, kRangeDeletion) above it.
  f.smallest = IKey("a", 9, ValueType::kRangeDeletion);
  f.largest.clear();
  AppendRangeTombstoneSentinel(&f.largest, "m");
  EXPECT_TRUE(d.DecodeFrom(Raw().NewFile(0, f).End()).ok());
  EXPECT_NE(std::string::npos, d.DebugString().find("'a'@9:rangedel")) << d.DebugString();
}

TEST(VersionEditTest, SmallestMustNotExceedLargest) {
  FileMetaData f = GoodFile(3);
  std::swap(f.smallest, f.largest);
  ExpectCorruption(Raw().NewFile(0, f).End(), "smallest key 'b'@7:del > largest key 'a'@5:put");
  // Same user key: the newer version (higher sequence) sorts first.
  f.smallest = IKey("k", 5, ValueType::kValue);
  f.largest = IKey("k", 6, ValueType::kValue);
  ExpectCorruption(Raw().NewFile(0, f).End(), "> largest key 'k'@6:put");
  std::swap(f.smallest, f.largest);
  VersionEdit d;
  EXPECT_TRUE(d.DecodeFrom(Raw().NewFile(0, f).End()).ok());
  // Same sequence: the type breaks the tie (kValue sorts first).
  f.smallest = IKey("k", 6, ValueType::kDeletion);
  f.largest = IKey("k", 6, ValueType::kValue);
  ExpectCorruption(Raw().NewFile(0, f).End(), "> largest key");
}

TEST(VersionEditTest, SequenceNumberRules) {
  FileMetaData f = GoodFile(3);
  f.smallest_seqno = 8;
  ExpectCorruption(Raw().NewFile(0, f).End(), "smallest seqno 8 > largest seqno 7");
  f = GoodFile(3);
  f.largest_seqno = kMaxSequenceNumber + 1;
  ExpectCorruption(Raw().NewFile(0, f).End(), "largest seqno 72057594037927936 > 2^56 - 1");
  ExpectCorruption(Raw().Tag(EditTag::kLastSequence).U64(kMaxSequenceNumber + 1).End(),
                   "last sequence 72057594037927936 > 2^56 - 1");
  VersionEdit d;
  EXPECT_TRUE(d.DecodeFrom(Raw().Tag(EditTag::kLastSequence).U64(kMaxSequenceNumber).End()).ok());
}

TEST(VersionEditTest, FileNumberRules) {
  ExpectCorruption(Raw().DeletedFile(1, 3).DeletedFile(1, 3).End(), "deleted file #3 given twice");
  ExpectCorruption(Raw().DeletedFile(1, 3).DeletedFile(2, 3).End(),
                   "deleted file #3 at two levels");
  ExpectCorruption(Raw().NewFile(1, GoodFile(3)).NewFile(1, GoodFile(3)).End(),
                   "new file #3 added twice");
  ExpectCorruption(Raw().NewFile(1, GoodFile(3)).NewFile(2, GoodFile(3)).End(),
                   "new file #3 added twice");
  ExpectCorruption(Raw().DeletedFile(2, 3).NewFile(2, GoodFile(3)).End(),
                   "new file #3 added and deleted at level 2");
  ExpectCorruption(Raw().NewFile(2, GoodFile(3)).DeletedFile(2, 3).End(),
                   "new file #3 added and deleted at level 2");
  ExpectCorruption(Raw().Tag(EditTag::kNextFileNumber).U64(3).NewFile(0, GoodFile(3)).End(),
                   "new file #3 >= next file number 3");
  // A move (delete at one level, add at another) is how a trivial move is written.
  VersionEdit d;
  ASSERT_TRUE(d.DecodeFrom(Raw()
                               .Tag(EditTag::kNextFileNumber)
                               .U64(4)
                               .DeletedFile(2, 3)
                               .NewFile(3, GoodFile(3))
                               .End())
                  .ok());
  EXPECT_EQ(1u, d.deleted_files().count({2, 3}));
  EXPECT_EQ(3, d.new_files()[0].first);
}

TEST(VersionEditTest, DebugStringMentionsEveryField) {
  VersionEdit e = SnapshotExample();
  e.DeleteFile(3, 42);
  e.AddFile(2, File(8, 77, IKey(std::string("\x00'z", 3), 1, ValueType::kValue),
                    IKey("zz", 2, ValueType::kValue), 1, 2));
  const std::string s = e.DebugString();
  for (const char* want :
       {"Comparator: synapsed.BytewiseComparator", "LogNumber: 5", "NextFileNumber: 9",
        "LastSequence: 300", "DeleteFile: L3 #42",
        "AddFile: L0 #7 size=1234 keys=['a'@256:put .. 'b'@300:del] seqnos=[256, 300]",
        "AddFile: L2 #8 size=77 keys=['\\x00\\x27z'@1:put .. 'zz'@2:put] seqnos=[1, 2]"}) {
    EXPECT_NE(std::string::npos, s.find(want)) << want << " not in\n" << s;
  }
  EXPECT_EQ("VersionEdit {\n}\n", VersionEdit().DebugString());
}

}  // namespace synapsed
