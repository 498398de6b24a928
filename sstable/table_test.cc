// Tables end to end: round trips over random keys and sizes, golden bytes,
// every kind of damage reported as Corruption (never wrong data, never a
// crash), tables from another database refused, and the properties block.
// Then the block cache: hits read no file, what is (not) cached, eviction,
// readers sharing a cache, iterators outliving evicted blocks.
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "io/fault_injection_fs.h"
#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "sstable/table_builder.h"
#include "sstable/table_properties.h"
#include "sstable/table_reader.h"
#include "synapsed/cache.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"
#include "util/string_util.h"

namespace synapsed {

namespace {

using Model = std::map<std::string, std::string, bool (*)(const std::string&, const std::string&)>;
bool InternalLess(const std::string& a, const std::string& b) {
  return CompareInternalKeys(a, b) < 0;
}

using test::IKey;

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

// Regression (review): a failed append of the filter block was overwritten
// by the next successful append, and Finish reported OK for a table whose
// later blocks were written at the wrong offsets.
TEST_F(TableTest, AFailedAppendIsNeverHiddenByALaterOne) {
  for (int i = 0; i < 10; i++) model_[IKey("k" + std::to_string(i), 1)] = "v";
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile("/t.sst", &file).ok());
  // One data block (payload + trailer: 2 appends), then the filter fails once.
  fs_->InjectFault({FaultInjectionFileSystem::OpKind::kAppend, "t.sst",
                    FaultInjectionFileSystem::Errno::kEIO, 2, 1});
  TableBuilder builder(TableBuilderOptions(), file.get());
  for (const auto& [k, v] : model_) builder.Add(k, v);
  EXPECT_TRUE(builder.Finish().IsIOError());
}

// Regression (review): an index entry naming the properties block passed its
// checksum (it is the real block at that offset) and returned property
// names as table entries. Data blocks must end before the metadata blocks.
TEST_F(TableTest, IndexEntryNamingAMetadataBlockIsCorruption) {
  for (int i = 0; i < 10; i++) model_[IKey("k" + std::to_string(i), 1)] = "v";
  TableBuilderOptions options;
  options.bloom_bits_per_key = 0;
  Build(options);
  std::string bytes;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &bytes).ok());
  Footer footer;
  ASSERT_TRUE(
      footer.DecodeFrom(std::string_view(bytes).substr(bytes.size() - Footer::kEncodedBytes)).ok());
  // Find the properties handle in the metaindex, then rebuild the index with
  // one entry pointing at it, re-checksummed as the writer would.
  std::string meta_contents;
  std::unique_ptr<RandomAccessFile> raf;
  ASSERT_TRUE(fs_->NewRandomAccessFile("/t.sst", &raf).ok());
  ASSERT_TRUE(ReadBlock(*raf, "t.sst", footer.table_seed, footer.metaindex, ReadBlockOptions(),
                        &meta_contents)
                  .ok());
  auto meta = std::make_shared<const Block>(meta_contents);
  auto mit = Block::NewIterator(meta, CompareBytes);
  mit->Seek("properties");
  ASSERT_TRUE(mit->Valid());
  std::string handle_bytes(mit->value());
  BlockBuilder index(1);
  index.Add(FindShortSuccessor(model_.rbegin()->first), handle_bytes);
  const std::string index_block(index.Finish());
  std::string forged = bytes.substr(0, footer.index.offset);
  forged += index_block;
  AppendBlockTrailer(index_block, BlockCompression::kNone, footer.table_seed, footer.index.offset,
                     &forged);
  footer.index.size = index_block.size();
  footer.EncodeTo(&forged);
  ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", forged, true).ok());
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(Open(&reader).ok());
  auto it = reader->NewIterator(ReadBlockOptions());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(std::string::npos, it->status().ToString().find("outside the data area"));
}

TEST(TablePropertiesTest, BlockRoundTripsEveryField) {
  TableProperties p;
  p.num_entries = 1;
  p.num_deletions = 2;
  p.num_range_deletions = 3;
  p.num_data_blocks = 4;
  p.raw_key_bytes = 5;
  p.raw_value_bytes = 6;
  p.compression = 7;
  p.filter_bits_per_key = 8;
  p.smallest_key = "smallest key, longer than a short string";
  p.largest_key = "z";
  p.smallest_seqno = 9;
  p.largest_seqno = 1ull << 60;
  p.creation_time = 11;
  p.file_number = 12;
  p.db_id = "db";
  p.unique_id = std::string(16, '\xff');
  TableProperties q;
  ASSERT_TRUE(q.DecodeBlock(p.EncodeBlock()).ok());
  EXPECT_EQ(p.ToString(), q.ToString());
}

// Names this reader does not know are skipped, a repeated name's last value
// counts, and a property the block lacks keeps its default.
TEST(TablePropertiesTest, UnknownNamesSkippedLastDuplicateWins) {
  BlockBuilder builder(1);
  builder.Add("a.future.property", "?");
  builder.Add("num.entries", "\x01");
  builder.Add("num.entries", "\x05");
  builder.Add("smallest.key", "k");
  builder.Add("zzz", "?");
  TableProperties p;
  p.num_deletions = 3;
  ASSERT_TRUE(p.DecodeBlock(std::string(builder.Finish())).ok());
  EXPECT_EQ(5u, p.num_entries);
  EXPECT_EQ("k", p.smallest_key);
  EXPECT_EQ(3u, p.num_deletions);
}

TEST(TablePropertiesTest, BadNumberIsCorruption) {
  for (const std::string& bad : {std::string(), std::string("\x80"), std::string("\x01\x01")}) {
    BlockBuilder builder(1);
    builder.Add("num.entries", bad);
    TableProperties p;
    EXPECT_TRUE(p.DecodeBlock(std::string(builder.Finish())).IsCorruption()) << ToHex(bad);
  }
  TableProperties p;
  EXPECT_TRUE(p.DecodeBlock("not a block").IsCorruption());
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

// ---- The block cache --------------------------------------------------------

namespace {

// Counts Read calls, so a test can tell a cache hit from a file read.
class CountingFile final : public RandomAccessFile {
 public:
  CountingFile(std::unique_ptr<RandomAccessFile> base, std::atomic<int>* reads)
      : base_(std::move(base)), reads_(reads) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    reads_->fetch_add(1, std::memory_order_relaxed);
    return base_->Read(offset, n, result, scratch);
  }

 private:
  std::unique_ptr<RandomAccessFile> base_;
  std::atomic<int>* const reads_;
};

class TableBlockCacheTest : public TableTest {
 protected:
  // Many small data blocks, so there is something to cache and to evict.
  void BuildManyBlocks(const std::string& path = "/t.sst", char fill = 'v') {
    model_.clear();
    for (int i = 0; i < 400; i++) {
      model_[IKey("key" + std::to_string(10000 + i), 1)] =
          "value-" + std::to_string(10000 + i) + std::string(20, fill);
    }
    TableBuilderOptions options;
    options.block_size = 256;
    Build(options, path);
  }

  // Opens path with block_cache set, counting its reads in reads_.
  Status OpenCached(Cache* cache, std::unique_ptr<TableReader>* reader,
                    const std::string& path = "/t.sst") {
    std::unique_ptr<RandomAccessFile> file;
    Status s = fs_->NewRandomAccessFile(path, &file);
    if (!s.ok()) return s;
    uint64_t size;
    s = fs_->GetFileSize(path, &size);
    if (!s.ok()) return s;
    TableReaderOptions options;
    options.block_cache = cache;
    return TableReader::Open(options, std::make_unique<CountingFile>(std::move(file), &reads_),
                             size, path.substr(1), reader);
  }

  // Looks up user_key and expects the model's value; returns the file reads it took.
  int GetAndCount(const TableReader& reader, const std::string& user_key,
                  ReadBlockOptions options = ReadBlockOptions()) {
    const int before = reads_.load();
    TableGet got;
    std::string value;
    Status s = reader.Get(options, IKey(user_key, 1), &got, &value);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(TableGet::kValue, got);
    EXPECT_EQ(model_[IKey(user_key, 1)], value);
    return reads_.load() - before;
  }

  std::atomic<int> reads_{0};
};

}  // namespace

TEST_F(TableBlockCacheTest, SecondGetOfAKeyReadsNoFile) {
  BuildManyBlocks();
  auto cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
  EXPECT_EQ(1, GetAndCount(*reader, "key10123"));
  EXPECT_EQ(0, GetAndCount(*reader, "key10123"));
  EXPECT_EQ(0, GetAndCount(*reader, "key10123"));
  Cache::Stats stats = cache->GetStats();
  EXPECT_EQ(1u, stats.inserts);
  EXPECT_EQ(2u, stats.hits);
  EXPECT_EQ(1u, stats.misses);
  // The charge is the block's allocation (its bytes rounded up to a
  // BlockBuffer size class) and a little more.
  TableLookup lookup;
  ASSERT_TRUE(reader->PrepareGet(IKey("key10123", 1), 0, &lookup).ok());
  const std::shared_ptr<const Block> block = reader->CachedBlock(lookup.handle);
  ASSERT_NE(nullptr, block);
  EXPECT_EQ(0u, block->allocated_bytes() % BlockBuffer::kClassBytes);
  EXPECT_GE(block->allocated_bytes(), block->size());
  EXPECT_LT(block->allocated_bytes() - block->size(), BlockBuffer::kClassBytes);
  EXPECT_GE(stats.usage_bytes, block->allocated_bytes());
  EXPECT_LT(stats.usage_bytes, block->allocated_bytes() + 300);

  // A full scan caches every block; a second scan reads nothing.
  CheckContents(*reader);
  const int before = reads_.load();
  CheckContents(*reader);
  EXPECT_EQ(before, reads_.load());
  EXPECT_EQ(reader->properties().num_data_blocks, cache->GetStats().entries);
}

TEST_F(TableBlockCacheTest, FillCacheFalseReadsThroughWithoutInserting) {
  BuildManyBlocks();
  auto cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
  ReadBlockOptions no_fill;
  no_fill.fill_cache = false;
  EXPECT_EQ(1, GetAndCount(*reader, "key10007", no_fill));
  EXPECT_EQ(1, GetAndCount(*reader, "key10007", no_fill));
  auto it = reader->NewIterator(no_fill);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(0u, cache->GetStats().inserts);
  EXPECT_EQ(0u, cache->GetStats().entries);
  // A block already cached is still served to a no-fill read.
  EXPECT_EQ(1, GetAndCount(*reader, "key10007"));
  EXPECT_EQ(0, GetAndCount(*reader, "key10007", no_fill));
}

TEST_F(TableBlockCacheTest, UnverifiedBlocksAreNeverCached) {
  BuildManyBlocks();
  // Damage a value in the first data block: only the checksum tells.
  std::string bytes;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &bytes).ok());
  const size_t pos = bytes.find("value-10000");
  ASSERT_NE(std::string::npos, pos);
  bytes[pos] = 'w';
  ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", bytes, true).ok());

  auto cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
  ReadBlockOptions unverified;
  unverified.verify_checksum = false;
  TableGet got;
  std::string value;
  ASSERT_TRUE(reader->Get(unverified, IKey("key10000", 1), &got, &value).ok());
  EXPECT_EQ("walue-10000", value.substr(0, 11));  // not verified: the damage shows
  EXPECT_EQ(0u, cache->GetStats().inserts);
  // So a verifying read goes to the file and finds the damage.
  Status s = reader->Get(ReadBlockOptions(), IKey("key10000", 1), &got, &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(0u, cache->GetStats().entries);

  // An intact block read unverified is not cached either, but a verified
  // copy, once cached, serves unverified reads too.
  EXPECT_EQ(1, GetAndCount(*reader, "key10300", unverified));
  EXPECT_EQ(0u, cache->GetStats().inserts);
  EXPECT_EQ(1, GetAndCount(*reader, "key10300"));
  EXPECT_EQ(0, GetAndCount(*reader, "key10300", unverified));
}

TEST_F(TableBlockCacheTest, TinyCacheEvictsYetAnswersCorrectly) {
  Random rnd(77);
  for (auto make : {&NewLRUCache, &NewARCCache}) {
    RandomModel(&rnd, 2000, 100);
    TableBuilderOptions options;
    options.block_size = 128;
    options.compression = BlockCompression::kLZ4;
    Build(options);
    auto cache = make(2048, 0);  // a handful of blocks
    std::unique_ptr<TableReader> reader;
    ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
    CheckContents(*reader);
    CheckContents(*reader);
    Cache::Stats stats = cache->GetStats();
    EXPECT_GT(stats.evictions, 0u);
    EXPECT_LE(stats.usage_bytes, 2048u);
    EXPECT_EQ(0u, stats.pinned_bytes);  // a lookup never keeps its handle
  }
}

TEST_F(TableBlockCacheTest, ReadersSharingACacheNeverSeeEachOthersBlocks) {
  // Same keys and value sizes: the two tables have blocks at the same offsets.
  BuildManyBlocks("/a.sst", 'a');
  const Model model_a = model_;
  BuildManyBlocks("/b.sst", 'b');
  const Model model_b = model_;
  uint64_t size_a, size_b;
  ASSERT_TRUE(fs_->GetFileSize("/a.sst", &size_a).ok());
  ASSERT_TRUE(fs_->GetFileSize("/b.sst", &size_b).ok());
  ASSERT_EQ(size_a, size_b);

  auto cache = NewARCCache(1 << 20, 2);
  std::unique_ptr<TableReader> a, b;
  ASSERT_TRUE(OpenCached(cache.get(), &a, "/a.sst").ok());
  ASSERT_TRUE(OpenCached(cache.get(), &b, "/b.sst").ok());
  for (int round = 0; round < 2; round++) {
    model_ = model_a;
    CheckContents(*a);
    model_ = model_b;
    CheckContents(*b);
  }
  EXPECT_EQ(2 * a->properties().num_data_blocks, cache->GetStats().entries);
}

TEST_F(TableBlockCacheTest, IteratorsOutliveTheEvictionOfTheirBlocks) {
  BuildManyBlocks();
  auto cache = NewLRUCache(600, 0);  // about one block
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
  auto it = reader->NewIterator(ReadBlockOptions());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  // Views into the iterator's block stay valid until it moves (ASan checks).
  const std::string_view key = it->key(), value = it->value();
  const uint64_t evictions = cache->GetStats().evictions;
  for (const auto& [k, v] : model_) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(k, &p));
    GetAndCount(*reader, std::string(p.user_key));
  }
  ASSERT_GT(cache->GetStats().evictions, evictions + 10);
  EXPECT_EQ(model_.begin()->first, key);
  EXPECT_EQ(model_.begin()->second, value);
  auto m = model_.begin();
  for (; it->Valid(); it->Next(), ++m) {
    ASSERT_EQ(m->first, it->key());
    ASSERT_EQ(m->second, it->value());
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(model_.end(), m);
  // The reader may go first too: the iterator shares its state.
  it = reader->NewIterator(ReadBlockOptions());
  reader.reset();
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(model_.rbegin()->first, it->key());
}

TEST_F(TableBlockCacheTest, VerifyChecksumsReadsTheFileNotTheCache) {
  BuildManyBlocks();
  auto cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(OpenCached(cache.get(), &reader).ok());
  CheckContents(*reader);  // every block cached
  const uint64_t inserts = cache->GetStats().inserts;
  // Damage the file under the cached copies: verification must still see it.
  std::string bytes;
  ASSERT_TRUE(fs_->ReadFileToString("/t.sst", &bytes).ok());
  bytes[bytes.find("value-10200")] = 'w';
  ASSERT_TRUE(fs_->WriteFileFromString("/t.sst", bytes, true).ok());
  const int before = reads_.load();
  Status s = reader->VerifyChecksums();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_GT(reads_.load(), before);
  EXPECT_EQ(inserts, cache->GetStats().inserts);
}

}  // namespace synapsed
