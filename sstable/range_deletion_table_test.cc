// Tables with range tombstones: the range deletion block round trips, the
// table's key range covers the tombstones (sentinel largest key), point
// lookups apply them (also where the filter says the key is absent), a
// table of tombstones alone is valid, every damaged byte is Corruption or
// correct data, and hand-forged malformed blocks are Corruption naming the
// file and the block's offset.
#include <gtest/gtest.h>

#include <map>

#include "io/fault_injection_fs.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "sstable/table_builder.h"
#include "sstable/table_reader.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {

namespace {

using test::IKey;

struct Point {
  std::string key;
  SequenceNumber seq;
  ValueType type;
  std::string value;
};

class RangeDeletionTableTest : public ::testing::Test {
 protected:
  RangeDeletionTableTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {}

  // Writes points_ (sorted here) and tombstones_ as /t.sst.
  Status Build(TableBuilderOptions options = {}) {
    std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
      return CompareInternalKeys(IKey(a.key, a.seq, a.type), IKey(b.key, b.seq, b.type)) < 0;
    });
    std::unique_ptr<WritableFile> file;
    Status s = fs_->NewWritableFile("/t.sst", &file);
    if (!s.ok()) return s;
    TableBuilder builder(options, file.get());
    for (const auto& t : tombstones_) builder.AddRangeTombstone(t.start, t.end, t.seq);
    for (const auto& p : points_) builder.Add(IKey(p.key, p.seq, p.type), p.value);
    s = builder.Finish();
    if (s.ok()) s = file->Close();
    props_ = builder.properties();
    return s;
  }

  Status Open(std::unique_ptr<TableReader>* reader) {
    std::unique_ptr<RandomAccessFile> file;
    Status s = fs_->NewRandomAccessFile("/t.sst", &file);
    if (!s.ok()) return s;
    uint64_t size;
    s = fs_->GetFileSize("/t.sst", &size);
    if (!s.ok()) return s;
    return TableReader::Open(TableReaderOptions(), std::move(file), size, "t.sst", reader);
  }

  // What TableReader::Get must answer for (key, read_seq), by definition.
  TableGet Expected(const std::string& key, SequenceNumber read_seq, std::string* value) const {
    SequenceNumber covering = 0;
    for (const auto& t : tombstones_) {
      if (t.start <= key && key < t.end && t.seq <= read_seq) covering = std::max(covering, t.seq);
    }
    const Point* newest = nullptr;
    for (const auto& p : points_) {
      if (p.key == key && p.seq <= read_seq && (newest == nullptr || p.seq > newest->seq)) {
        newest = &p;
      }
    }
    if (newest == nullptr) return covering > 0 ? TableGet::kDeletion : TableGet::kAbsent;
    if (newest->type == ValueType::kValue && newest->seq > covering) {
      *value = newest->value;
      return TableGet::kValue;
    }
    return TableGet::kDeletion;
  }

  // Every lookup answers as Expected, or (if allow_corruption) is Corruption.
  void CheckGets(const TableReader& reader, const std::vector<std::string>& keys,
                 bool allow_corruption, const std::string& context) {
    for (const auto& k : keys) {
      for (SequenceNumber r : {SequenceNumber{1}, SequenceNumber{5}, SequenceNumber{10},
                               SequenceNumber{20}, SequenceNumber{1000}}) {
        TableGet got;
        std::string value;
        SequenceNumber covering = 0;
        Status s =
            reader.Get(ReadBlockOptions(), IKey(k, r, kValueTypeForSeek), &got, &value, &covering);
        if (allow_corruption && s.IsCorruption()) continue;
        ASSERT_TRUE(s.ok()) << context << " " << s.ToString();
        std::string expected_value;
        ASSERT_EQ(Expected(k, r, &expected_value), got) << context << " " << k << "@" << r;
        if (got == TableGet::kValue) {
          ASSERT_EQ(expected_value, value) << context;
        }
      }
    }
  }

  // Replaces the range deletion block with `contents` (checksummed as a
  // writer would): the block and a new metaindex naming it go after the
  // index, and a new footer names them. The old blocks stay as dead bytes.
  void ForgeRangeDeletionBlock(const std::string& contents) {
    std::string bytes;
    ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &bytes).ok());
    Footer footer;
    const std::string_view footer_bytes =
        std::string_view(bytes).substr(bytes.size() - Footer::kEncodedBytes);
    ASSERT_TRUE(footer.DecodeFrom(footer_bytes).ok());
    std::unique_ptr<RandomAccessFile> raf;
    ASSERT_TRUE(fs_->NewRandomAccessFile("/t.sst", &raf).ok());
    std::string meta_contents;
    ASSERT_TRUE(ReadBlock(*raf, "t.sst", footer.table_seed, footer.metaindex, ReadBlockOptions(),
                          &meta_contents)
                    .ok());
    std::string forged = bytes.substr(0, bytes.size() - Footer::kEncodedBytes);
    BlockHandle range_dels{forged.size(), contents.size()};
    forged += contents;
    AppendBlockTrailer(contents, BlockCompression::kNone, footer.table_seed, range_dels.offset,
                       &forged);
    BlockBuilder meta(1);
    auto mit = Block::NewIterator(std::make_shared<const Block>(meta_contents), CompareBytes);
    for (mit->SeekToFirst(); mit->Valid(); mit->Next()) {
      if (mit->key() == kRangeDeletionBlockName) continue;
      meta.Add(mit->key(), mit->value());
    }
    std::string handle;
    range_dels.EncodeTo(&handle);
    meta.Add(kRangeDeletionBlockName, handle);  // sorts last
    const std::string meta_block(meta.Finish());
    footer.metaindex = BlockHandle{forged.size(), meta_block.size()};
    forged += meta_block;
    AppendBlockTrailer(meta_block, BlockCompression::kNone, footer.table_seed,
                       footer.metaindex.offset, &forged);
    footer.EncodeTo(&forged);
    ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", forged, true).ok());
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::vector<Point> points_;
  std::vector<RangeTombstone> tombstones_;
  TableProperties props_;
};

std::vector<std::string> Keys(std::initializer_list<const char*> keys) {
  return std::vector<std::string>(keys.begin(), keys.end());
}

}  // namespace

TEST_F(RangeDeletionTableTest, RoundTripKeyRangeAndLookups) {
  points_ = {{"b", 3, ValueType::kValue, "b3"}, {"d", 12, ValueType::kValue, "d12"},
             {"d", 4, ValueType::kValue, "d4"}, {"f", 6, ValueType::kDeletion, ""},
             {"k", 2, ValueType::kValue, "k2"}, {"q", 15, ValueType::kValue, "q15"}};
  tombstones_ = {{"c", "g", 10}, {"a", "e", 5}, {"j", "p", 8}, {"j", "p", 1}};
  TableBuilderOptions options;
  options.bloom_bits_per_key = 10;  // lookups of absent keys stop at the filter
  ASSERT_TRUE(Build(options).ok());
  // The key range covers the tombstones: smallest is a's tombstone, largest
  // the point q@15 (above the sentinel of p).
  EXPECT_EQ(IKey("a", 5, ValueType::kRangeDeletion), props_.smallest_key);
  EXPECT_EQ(IKey("q", 15, ValueType::kValue), props_.largest_key);
  EXPECT_EQ(1u, props_.smallest_seqno);
  EXPECT_EQ(15u, props_.largest_seqno);
  EXPECT_EQ(6u, props_.num_entries);

  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(Open(&reader).ok());
  const auto& list = reader->range_tombstones();
  ASSERT_NE(nullptr, list);
  FragmentedRangeTombstoneList expected(tombstones_);
  ASSERT_EQ(expected.num_fragments(), list->num_fragments());
  for (size_t i = 0; i < list->num_fragments(); i++) {
    EXPECT_EQ(expected.fragment(i).start, list->fragment(i).start);
    EXPECT_EQ(expected.fragment(i).end, list->fragment(i).end);
    EXPECT_TRUE(std::ranges::equal(expected.fragment(i).seqs, list->fragment(i).seqs));
  }
  EXPECT_EQ(expected.num_entries(), reader->properties().num_range_deletions);
  EXPECT_EQ(props_.smallest_key, reader->properties().smallest_key);
  CheckGets(*reader, Keys({"", "a", "b", "c", "d", "e", "f", "g", "j", "k", "m", "p", "q", "z"}),
            false, "");
  // "m" holds no entry: the filter says so, yet the tombstone decides.
  EXPECT_FALSE(reader->KeyMayMatch("m"));
  TableGet got;
  std::string value;
  SequenceNumber covering = 0;
  ASSERT_TRUE(
      reader->Get(ReadBlockOptions(), IKey("m", 100, kValueTypeForSeek), &got, &value, &covering)
          .ok());
  EXPECT_EQ(TableGet::kDeletion, got);
  EXPECT_EQ(8u, covering);
  // A tombstone from a newer source (covering in) hides this table's value.
  covering = 13;
  ASSERT_TRUE(
      reader->Get(ReadBlockOptions(), IKey("d", 100, kValueTypeForSeek), &got, &value, &covering)
          .ok());
  EXPECT_EQ(TableGet::kDeletion, got);
  EXPECT_EQ(13u, covering);
  // The point iterator never shows a tombstone.
  auto it = reader->NewIterator(ReadBlockOptions());
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(it->key(), &p));
  }
  EXPECT_EQ(points_.size(), n);
  EXPECT_TRUE(reader->VerifyChecksums().ok());
}

TEST_F(RangeDeletionTableTest, LargestKeyIsTheSentinelWhenATombstoneEndsLast) {
  points_ = {{"a", 1, ValueType::kValue, "v"}, {"m", 2, ValueType::kValue, "v"}};
  tombstones_ = {{"c", "m", 3}, {"k", "x", 4}};
  ASSERT_TRUE(Build().ok());
  std::string sentinel;
  AppendRangeTombstoneSentinel(&sentinel, "x");
  EXPECT_EQ(sentinel, props_.largest_key);
  EXPECT_EQ(IKey("a", 1), props_.smallest_key);
  // The sentinel sorts before every entry of "x" and every lookup key of it,
  // and after every key below "x".
  EXPECT_LT(CompareInternalKeys(sentinel, IKey("x", kMaxSequenceNumber, kValueTypeForSeek)), 0);
  EXPECT_LT(CompareInternalKeys(sentinel, IKey("x", 0, ValueType::kDeletion)), 0);
  EXPECT_GT(CompareInternalKeys(sentinel, IKey("w\xff\xff", 0, ValueType::kDeletion)), 0);
  // A tombstone ending exactly at the last point key: the point is larger.
  points_ = {{"a", 1, ValueType::kValue, "v"}, {"m", 2, ValueType::kValue, "v"}};
  tombstones_ = {{"c", "m", 3}};
  ASSERT_TRUE(Build().ok());
  EXPECT_EQ(IKey("m", 2), props_.largest_key);
}

TEST_F(RangeDeletionTableTest, TombstonesAloneMakeAValidTable) {
  tombstones_ = {{"b", "d", 7}, {"c", "f", 9}};
  ASSERT_TRUE(Build().ok());
  EXPECT_EQ(0u, props_.num_entries);
  EXPECT_EQ(IKey("b", 7, ValueType::kRangeDeletion), props_.smallest_key);
  std::string sentinel;
  AppendRangeTombstoneSentinel(&sentinel, "f");
  EXPECT_EQ(sentinel, props_.largest_key);
  EXPECT_EQ(7u, props_.smallest_seqno);
  EXPECT_EQ(9u, props_.largest_seqno);
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(Open(&reader).ok());
  ASSERT_NE(nullptr, reader->range_tombstones());
  EXPECT_EQ(3u, reader->range_tombstones()->num_fragments());
  auto it = reader->NewIterator(ReadBlockOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  CheckGets(*reader, Keys({"a", "b", "c", "e", "f"}), false, "");
  EXPECT_TRUE(reader->VerifyChecksums().ok());
}

TEST_F(RangeDeletionTableTest, NoTombstonesMeansNoBlock) {
  points_ = {{"a", 1, ValueType::kValue, "v"}};
  ASSERT_TRUE(Build().ok());
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(Open(&reader).ok());
  EXPECT_EQ(nullptr, reader->range_tombstones());
  EXPECT_EQ(0u, reader->properties().num_range_deletions);
}

TEST_F(RangeDeletionTableTest, BuilderRefusesEmptyTombstonesAndTombstoneKeysAsPoints) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile("/t.sst", &file).ok());
  {
    TableBuilder builder(TableBuilderOptions(), file.get());
    builder.AddRangeTombstone("b", "b", 1);
    EXPECT_TRUE(builder.status().IsInvalidArgument());
  }
  {
    // A range tombstone's key is never a point entry.
    TableBuilder builder(TableBuilderOptions(), file.get());
    builder.Add(IKey("a", 1, ValueType::kRangeDeletion), "b");
    EXPECT_TRUE(builder.status().IsInvalidArgument());
  }
}

TEST_F(RangeDeletionTableTest, EveryByteFlipIsCorruptionOrCorrectData) {
  Random rnd(17);
  for (int i = 0; i < 24; i++) {
    points_.push_back({"k" + std::to_string(10 + i), static_cast<SequenceNumber>(i + 1),
                       i % 5 == 0 ? ValueType::kDeletion : ValueType::kValue,
                       i % 5 == 0 ? "" : std::string(12, static_cast<char>('a' + i))});
  }
  tombstones_ = {{"k12", "k19", 9}, {"k15", "k30", 14}, {"k2", "k22", 3}, {"k00", "k11", 30}};
  TableBuilderOptions options;
  options.block_size = 128;  // several data blocks
  options.bloom_bits_per_key = 8;
  ASSERT_TRUE(Build(options).ok());
  std::string pristine;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &pristine).ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 40; i++) keys.push_back("k" + std::to_string(i));
  const FragmentedRangeTombstoneList expected(tombstones_);
  for (size_t offset = 0; offset < pristine.size(); offset++) {
    for (int flip : {1 << rnd.Uniform(8), 0xff}) {
      std::string bytes = pristine;
      bytes[offset] ^= static_cast<char>(flip);
      ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", bytes, true).ok());
      std::unique_ptr<TableReader> reader;
      Status s = Open(&reader);
      if (!s.ok()) {
        ASSERT_TRUE(s.IsCorruption() || s.IsNotSupported()) << offset << " " << s.ToString();
        ASSERT_NE(std::string::npos, s.ToString().find("t.sst")) << s.ToString();
        continue;
      }
      // Opened: the tombstones are exactly the written ones (their block is
      // checksummed), and every answer is right or Corruption.
      const auto& list = reader->range_tombstones();
      ASSERT_NE(nullptr, list) << offset;
      ASSERT_EQ(expected.num_entries(), list->num_entries()) << offset;
      for (size_t i = 0; i < list->num_fragments(); i++) {
        ASSERT_EQ(expected.fragment(i).start, list->fragment(i).start) << offset;
        ASSERT_EQ(expected.fragment(i).end, list->fragment(i).end) << offset;
        ASSERT_TRUE(std::ranges::equal(expected.fragment(i).seqs, list->fragment(i).seqs));
      }
      CheckGets(*reader, keys, /*allow_corruption=*/true, "flip at " + std::to_string(offset));
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(RangeDeletionTableTest, MalformedBlocksAreCorruptionNamingFileAndOffset) {
  points_ = {{"a", 1, ValueType::kValue, "v"}};
  tombstones_ = {{"b", "d", 4}};
  struct Entry {
    std::string key, value;
  };
  const std::vector<std::pair<const char*, std::vector<Entry>>> cases = {
      {"not a range tombstone", {{IKey("b", 4, ValueType::kValue), "d"}}},
      {"start >= end", {{IKey("d", 4, ValueType::kRangeDeletion), "b"}}},
      {"start >= end", {{IKey("b", 4, ValueType::kRangeDeletion), "b"}}},
      {"sequence 0", {{IKey("b", 0, ValueType::kRangeDeletion), "d"}}},
      {"out of order",
       {{IKey("b", 3, ValueType::kRangeDeletion), "d"},
        {IKey("b", 4, ValueType::kRangeDeletion), "d"}}},
      {"fragments overlap",
       {{IKey("b", 5, ValueType::kRangeDeletion), "d"},
        {IKey("c", 4, ValueType::kRangeDeletion), "e"}}},
      {"fragments overlap",
       {{IKey("b", 5, ValueType::kRangeDeletion), "d"},
        {IKey("b", 4, ValueType::kRangeDeletion), "e"}}},
      {"no entries", {}},
      {"not a range tombstone", {{"short", "d"}}},
  };
  for (const auto& [reason, entries] : cases) {
    SCOPED_TRACE(reason);
    ASSERT_TRUE(Build().ok());
    BlockBuilder block(1);
    for (const auto& e : entries) block.Add(e.key, e.value);
    ForgeRangeDeletionBlock(std::string(block.Finish()));
    std::unique_ptr<TableReader> reader;
    Status s = Open(&reader);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("t.sst")) << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("range deletion block at offset"))
        << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(reason)) << s.ToString();
  }
  // Garbage that is not a block at all.
  ASSERT_TRUE(Build().ok());
  ForgeRangeDeletionBlock("xy");
  std::unique_ptr<TableReader> reader;
  EXPECT_TRUE(Open(&reader).IsCorruption());
  // A well-formed block whose count disagrees with the properties.
  ASSERT_TRUE(Build().ok());
  BlockBuilder two(1);
  two.Add(IKey("b", 4, ValueType::kRangeDeletion), "d");
  two.Add(IKey("f", 2, ValueType::kRangeDeletion), "g");
  ForgeRangeDeletionBlock(std::string(two.Finish()));
  Status s = Open(&reader);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.ToString().find("properties say 1")) << s.ToString();
  // The forging itself is sound: the original block, forged back, opens.
  ASSERT_TRUE(Build().ok());
  BlockBuilder same(1);
  same.Add(IKey("b", 4, ValueType::kRangeDeletion), "d");
  ForgeRangeDeletionBlock(std::string(same.Finish()));
  ASSERT_TRUE(Open(&reader).ok());
  EXPECT_EQ(4u, reader->range_tombstones()->MaxCoveringSequence("c", 10));
}

}  // namespace synapsed
