// Tables end to end: round trips over random keys and sizes, golden bytes,
// every kind of damage reported as Corruption (never wrong data, never a
// crash), and tables from another database refused.
#include <gtest/gtest.h>

#include <map>

#include "io/fault_injection_fs.h"
#include "sstable/table_builder.h"
#include "sstable/table_reader.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {

namespace {

using Model = std::map<std::string, std::string, bool (*)(const std::string&, const std::string&)>;
bool InternalLess(const std::string& a, const std::string& b) {
  return CompareInternalKeys(a, b) < 0;
}

std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType t = ValueType::kValue) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, t);
  return k;
}

class TableTest : public ::testing::Test {
 protected:
  TableTest() : fs_(std::make_shared<FaultInjectionFileSystem>()), model_(InternalLess) {}

  // Writes model_ as a table at path.
  void Build(const TableBuilderOptions& options, const std::string& path = "/t.sst") {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(path, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [k, v] : model_) builder.Add(k, v);
    ASSERT_TRUE(builder.Finish().ok());
    ASSERT_TRUE(file->Close().ok());
    uint64_t size;
    ASSERT_TRUE(fs_->GetFileSize(path, &size).ok());
    ASSERT_EQ(builder.file_size(), size);
  }

  Status Open(std::unique_ptr<TableReader>* reader, const std::string& path = "/t.sst",
              TableReaderOptions options = {}) {
    std::unique_ptr<RandomAccessFile> file;
    Status s = fs_->NewRandomAccessFile(path, &file);
    if (!s.ok()) return s;
    uint64_t size;
    s = fs_->GetFileSize(path, &size);
    if (!s.ok()) return s;
    return TableReader::Open(options, std::move(file), size, path.substr(1), reader);
  }

  void RandomModel(Random* rnd, int n, size_t max_value) {
    model_.clear();
    for (int i = 0; i < n; i++) {
      std::string user_key(rnd->Uniform(20), '\0');
      for (auto& c : user_key) c = static_cast<char>('a' + rnd->Uniform(4));
      ValueType t = rnd->OneIn(5) ? ValueType::kDeletion : ValueType::kValue;
      std::string value =
          t == ValueType::kValue ? std::string(rnd->Uniform(max_value + 1), 'x') : "";
      if (!value.empty()) value[0] = static_cast<char>(rnd->Next());
      // (user key, sequence) is unique in the engine: keep it so here.
      const SequenceNumber seq = rnd->Uniform(1000) + 1;
      if (model_.count(IKey(user_key, seq, ValueType::kValue)) ||
          model_.count(IKey(user_key, seq, ValueType::kDeletion))) {
        continue;
      }
      model_[IKey(user_key, seq, t)] = value;
    }
  }

  // Every entry comes back, in order, both ways, and every point lookup
  // answers as the model does.
  void CheckContents(const TableReader& reader) {
    auto it = reader.NewIterator(ReadBlockOptions());
    auto m = model_.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(model_.end(), m);
      ASSERT_EQ(m->first, it->key());
      ASSERT_EQ(m->second, it->value());
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(model_.end(), m);
    auto r = model_.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) ASSERT_EQ(r->first, it->key());
    ASSERT_EQ(model_.rend(), r);
    for (const auto& [k, v] : model_) {
      it->Seek(k);
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(k, it->key());
      it->SeekForPrev(k);
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(k, it->key());
      ParsedInternalKey p;
      ASSERT_TRUE(ParseInternalKey(k, &p));
      TableGet got;
      std::string value;
      // A lookup at this entry's sequence finds the newest version at or below it.
      ASSERT_TRUE(reader
                      .Get(ReadBlockOptions(), IKey(p.user_key, p.sequence, kValueTypeForSeek),
                           &got, &value)
                      .ok());
      auto first = model_.lower_bound(IKey(p.user_key, p.sequence, kValueTypeForSeek));
      ASSERT_EQ(k, first->first);
      ASSERT_EQ(p.type == ValueType::kValue ? TableGet::kValue : TableGet::kDeletion, got);
      if (got == TableGet::kValue) {
        ASSERT_EQ(v, value);
      }
    }
    TableGet got;
    std::string value;
    ASSERT_TRUE(reader.Get(ReadBlockOptions(), IKey("zzzz-absent", 5), &got, &value).ok());
    EXPECT_EQ(TableGet::kAbsent, got);
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  Model model_;
};

}  // namespace

TEST_F(TableTest, RoundTripsAcrossSizesCompressionsAndFilters) {
  Random rnd(301);
  int trial = 0;
  for (auto compression :
       {BlockCompression::kNone, BlockCompression::kLZ4, BlockCompression::kZstd}) {
    for (int bits : {0, 10}) {
      for (size_t block_size : {size_t{64}, size_t{4096}}) {
        for (int n : {0, 1, 50, 2000}) {
          SCOPED_TRACE(trial++);
          // Values up to twice the block size: larger than a block.
          RandomModel(&rnd, n, block_size * 2);
          TableBuilderOptions options;
          options.compression = compression;
          options.bloom_bits_per_key = bits;
          options.block_size = block_size;
          options.file_number = 7;
          Build(options);
          std::unique_ptr<TableReader> reader;
          ASSERT_TRUE(Open(&reader).ok());
          EXPECT_EQ(model_.size(), reader->properties().num_entries);
          if (!model_.empty()) {
            EXPECT_EQ(model_.begin()->first, reader->properties().smallest_key);
            EXPECT_EQ(model_.rbegin()->first, reader->properties().largest_key);
          }
          CheckContents(*reader);
          ASSERT_TRUE(reader->VerifyChecksums().ok());
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST_F(TableTest, FilterSkipsAbsentKeys) {
  for (int i = 0; i < 1000; i++) model_[IKey("present" + std::to_string(i), 1)] = "v";
  Build(TableBuilderOptions());
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(Open(&reader).ok());
  int maybe = 0;
  for (int i = 0; i < 10000; i++) maybe += reader->KeyMayMatch("absent" + std::to_string(i));
  EXPECT_LT(maybe, 200);  // ~1% at 10 bits per key
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(reader->KeyMayMatch("present" + std::to_string(i)));
}

TEST_F(TableTest, GoldenSingleEntryTable) {
  model_[IKey("a", 1)] = "v";
  TableBuilderOptions options;
  options.bloom_bits_per_key = 0;
  Build(options);
  std::string bytes;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &bytes).ok());
  // The data block (docs/format/sstable.md, "Worked example"), then its trailer type.
  const std::string data_block(
      "\x00\x09\x01"
      "a\x01\x01\x00\x00\x00\x00\x00\x00"
      "v"
      "\x00\x00\x00\x00"
      "\x01\x00\x00\x00",
      21);
  ASSERT_GE(bytes.size(), 22u + Footer::kEncodedBytes);
  EXPECT_EQ(data_block, bytes.substr(0, 21));
  EXPECT_EQ('\0', bytes[21]);  // type: none
  EXPECT_EQ(std::string("synapsed", 8), bytes.substr(bytes.size() - 8));
}

TEST_F(TableTest, EveryBitFlipIsCorruptionNeverWrongData) {
  Random rnd(5);
  for (int i = 0; i < 60; i++)
    model_[IKey("key" + std::to_string(1000 + i), i + 1)] = std::string(30, 'a' + i % 26);
  TableBuilderOptions options;
  options.block_size = 256;  // several data blocks
  options.compression = BlockCompression::kLZ4;
  Build(options);
  std::string pristine;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &pristine).ok());
  for (size_t offset = 0; offset < pristine.size(); offset++) {
    std::string bytes = pristine;
    bytes[offset] ^= static_cast<char>(1 << rnd.Uniform(8));
    ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", bytes, true).ok());
    std::unique_ptr<TableReader> reader;
    Status s = Open(&reader);
    if (!s.ok()) {
      ASSERT_TRUE(s.IsCorruption() || s.IsNotSupported()) << offset << " " << s.ToString();
      ASSERT_NE(std::string::npos, s.ToString().find("t.sst")) << s.ToString();
      continue;
    }
    // Opened: the damage is in a data block. Every entry read is right, and
    // the damaged block is reported.
    auto it = reader->NewIterator(ReadBlockOptions());
    auto m = model_.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      // Entries after a damaged block are not reached: the iterator stops there.
      ASSERT_EQ(m->first, it->key()) << offset;
      ASSERT_EQ(m->second, it->value()) << offset;
      ++m;
    }
    ASSERT_TRUE(it->status().IsCorruption()) << "flip at " << offset << " went unnoticed";
    int corrupt_gets = 0;
    for (const auto& [k, v] : model_) {
      TableGet got;
      std::string value;
      Status gs = reader->Get(ReadBlockOptions(), k, &got, &value);
      if (gs.IsCorruption()) {
        corrupt_gets++;
        continue;
      }
      ASSERT_TRUE(gs.ok());
      ASSERT_EQ(TableGet::kValue, got) << offset;
      ASSERT_EQ(v, value) << offset;
    }
    ASSERT_GT(corrupt_gets, 0) << offset;
    ASSERT_LT(corrupt_gets, static_cast<int>(model_.size())) << "other blocks stay readable";
  }
}

TEST_F(TableTest, TruncatedAndForeignFilesAreRefused) {
  for (int i = 0; i < 100; i++) model_[IKey("k" + std::to_string(i), 1)] = "value";
  Build(TableBuilderOptions());
  std::string pristine;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &pristine).ok());
  for (size_t len = 0; len < pristine.size(); len += 1 + len / 16) {
    ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", pristine.substr(0, len), true).ok());
    std::unique_ptr<TableReader> reader;
    Status s = Open(&reader);
    ASSERT_TRUE(s.IsCorruption()) << len << " " << s.ToString();
  }
  ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", std::string(4096, 'x'), true).ok());
  std::unique_ptr<TableReader> reader;
  Status s = Open(&reader);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.ToString().find("bad magic")) << s.ToString();
}

TEST_F(TableTest, TableFromAnotherDatabaseOrFileIsRefused) {
  model_[IKey("k", 1)] = "v";
  TableBuilderOptions options;
  options.file_number = 12;
  options.db_id = "db-one";
  Build(options);
  std::unique_ptr<TableReader> reader;
  TableReaderOptions ours;
  ours.expected_file_number = 12;
  ours.expected_db_id = "db-one";
  ASSERT_TRUE(Open(&reader, "/t.sst", ours).ok());
  TableReaderOptions other_db = ours;
  other_db.expected_db_id = "db-two";
  Status s = Open(&reader, "/t.sst", other_db);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.ToString().find("another database")) << s.ToString();
  TableReaderOptions other_file = ours;
  other_file.expected_file_number = 13;
  EXPECT_TRUE(Open(&reader, "/t.sst", other_file).IsCorruption());
}

TEST_F(TableTest, BuilderRejectsKeysOutOfOrder) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile("/t.sst", &file).ok());
  TableBuilder builder(TableBuilderOptions(), file.get());
  builder.Add(IKey("b", 1), "v");
  builder.Add(IKey("a", 1), "v");
  EXPECT_TRUE(builder.status().IsInvalidArgument());
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());
}

TEST(SeparatorTest, ShortSeparatorsStayBetweenTheirKeys) {
  Random rnd(9);
  for (int i = 0; i < 2000; i++) {
    std::string a(rnd.Uniform(6), 'a'), b(rnd.Uniform(6), 'a');
    for (auto& c : a) c = static_cast<char>(rnd.Uniform(256));
    for (auto& c : b) c = static_cast<char>(rnd.Uniform(256));
    std::string ka = IKey(a, rnd.Uniform(100)), kb = IKey(b, rnd.Uniform(100));
    if (CompareInternalKeys(ka, kb) >= 0) std::swap(ka, kb);
    if (CompareInternalKeys(ka, kb) == 0) continue;
    std::string s = FindShortSeparator(ka, kb);
    ASSERT_LE(CompareInternalKeys(ka, s), 0);
    ASSERT_LT(CompareInternalKeys(s, kb), 0);
    std::string succ = FindShortSuccessor(ka);
    ASSERT_LE(CompareInternalKeys(ka, succ), 0);
  }
  EXPECT_EQ(IKey("b", kMaxSequenceNumber, kValueTypeForSeek),
            FindShortSeparator(IKey("abcdef", 5), IKey("cz", 5)));
}

}  // namespace synapsed
