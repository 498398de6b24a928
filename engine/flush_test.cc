#include "engine/flush.h"

#include <gtest/gtest.h>

#include "engine/filename.h"
#include "io/fault_injection_fs.h"
#include "memtable/memtable.h"
#include "sstable/table_reader.h"

namespace synapsed {

namespace {
constexpr char kDb[] = "/db";

std::string IKeyString(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

class FlushTest : public ::testing::Test {
 protected:
  FlushTest()
      : fs_(std::make_shared<FaultInjectionFileSystem>()), mem_(std::make_shared<MemTable>()) {
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
    EXPECT_TRUE(fs_->SyncDir("/").ok());
  }
  TableBuilderOptions Options(uint64_t number) {
    TableBuilderOptions o;
    o.file_number = number;
    o.db_id = "db";
    return o;
  }
  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::shared_ptr<MemTable> mem_;
};
}  // namespace

TEST_F(FlushTest, WritesADurableTableDescribedByItsMetadata) {
  for (int i = 0; i < 1000; i++) {
    mem_->Add(i + 1, i % 7 == 0 ? ValueType::kDeletion : ValueType::kValue,
              "key" + std::to_string(i % 300), "value" + std::to_string(i));
  }
  FileMetaData meta;
  meta.number = 5;
  auto iter = MemTable::NewIterator(mem_);
  ASSERT_TRUE(WriteLevel0Table(fs_.get(), kDb, Options(5), iter.get(), nullptr, &meta).ok());
  EXPECT_GT(meta.file_size, 0u);
  EXPECT_EQ(1u, meta.smallest_seqno);
  EXPECT_EQ(1000u, meta.largest_seqno);
  // Durable: a crash that drops everything unsynced keeps the table whole.
  fs_->SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, 1);
  uint64_t size;
  ASSERT_TRUE(fs_->GetFileSize(TableFileName(kDb, 5), &size).ok());
  EXPECT_EQ(meta.file_size, size);
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs_->NewRandomAccessFile(TableFileName(kDb, 5), &file).ok());
  std::unique_ptr<TableReader> reader;
  TableReaderOptions ro;
  ro.expected_file_number = 5;
  ro.expected_db_id = "db";
  ASSERT_TRUE(TableReader::Open(ro, std::move(file), size, "000005.sst", &reader).ok());
  EXPECT_EQ(1000u, reader->properties().num_entries);
  EXPECT_EQ(meta.smallest, reader->properties().smallest_key);
  EXPECT_EQ(meta.largest, reader->properties().largest_key);
  // Every entry is there in order.
  auto mit = MemTable::NewIterator(mem_);
  auto tit = reader->NewIterator(ReadBlockOptions());
  for (mit->SeekToFirst(), tit->SeekToFirst(); mit->Valid(); mit->Next(), tit->Next()) {
    ASSERT_TRUE(tit->Valid());
    ASSERT_EQ(mit->key(), tit->key());
    ASSERT_EQ(mit->value(), tit->value());
  }
  EXPECT_FALSE(tit->Valid());
}

TEST_F(FlushTest, EmptyMemtableWritesNothing) {
  FileMetaData meta;
  meta.number = 7;
  auto iter = MemTable::NewIterator(mem_);
  ASSERT_TRUE(WriteLevel0Table(fs_.get(), kDb, Options(7), iter.get(), nullptr, &meta).ok());
  EXPECT_EQ(0u, meta.file_size);
  EXPECT_TRUE(fs_->FileExists(TableFileName(kDb, 7)).IsNotFound());
}

TEST_F(FlushTest, EveryFailureRemovesThePartialTable) {
  mem_->Add(1, ValueType::kValue, "k", "v");
  using Op = FaultInjectionFileSystem::OpKind;
  for (Op op : {Op::kCreate, Op::kAppend, Op::kFlush, Op::kSync, Op::kSyncDir}) {
    fs_->InjectFault({op, "", FaultInjectionFileSystem::Errno::kENOSPC, 0, 1});
    FileMetaData meta;
    meta.number = 9;
    auto iter = MemTable::NewIterator(mem_);
    Status s = WriteLevel0Table(fs_.get(), kDb, Options(9), iter.get(), nullptr, &meta);
    EXPECT_TRUE(s.IsNoSpace()) << static_cast<int>(op) << " " << s.ToString();
    EXPECT_TRUE(fs_->FileExists(TableFileName(kDb, 9)).IsNotFound()) << static_cast<int>(op);
    fs_->ClearFaults();
  }
}

TEST_F(FlushTest, WritesTheMemtablesRangeTombstones) {
  mem_->Add(1, ValueType::kValue, "b", "v1");
  mem_->Add(2, ValueType::kRangeDeletion, "a", "c");
  mem_->Add(3, ValueType::kRangeDeletion, "m", "z");
  mem_->Add(4, ValueType::kValue, "d", "v4");
  FileMetaData meta;
  meta.number = 11;
  auto iter = MemTable::NewIterator(mem_);
  const auto tombstones = mem_->RangeTombstones();
  ASSERT_TRUE(
      WriteLevel0Table(fs_.get(), kDb, Options(11), iter.get(), tombstones.get(), &meta).ok());
  EXPECT_EQ(IKeyString("a", 2, ValueType::kRangeDeletion), meta.smallest);
  std::string sentinel;
  AppendRangeTombstoneSentinel(&sentinel, "z");
  EXPECT_EQ(sentinel, meta.largest);
  EXPECT_EQ(1u, meta.smallest_seqno);
  EXPECT_EQ(4u, meta.largest_seqno);
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs_->NewRandomAccessFile(TableFileName(kDb, 11), &file).ok());
  std::unique_ptr<TableReader> reader;
  ASSERT_TRUE(TableReader::Open(TableReaderOptions(), std::move(file), meta.file_size,
                                "000011.sst", &reader)
                  .ok());
  ASSERT_NE(nullptr, reader->range_tombstones());
  EXPECT_EQ(2u, reader->range_tombstones()->num_entries());
  EXPECT_EQ(2u, reader->properties().num_entries);
}

TEST_F(FlushTest, AMemtableOfTombstonesAloneStillMakesATable) {
  mem_->Add(5, ValueType::kRangeDeletion, "k", "p");
  FileMetaData meta;
  meta.number = 12;
  auto iter = MemTable::NewIterator(mem_);
  const auto tombstones = mem_->RangeTombstones();
  ASSERT_TRUE(
      WriteLevel0Table(fs_.get(), kDb, Options(12), iter.get(), tombstones.get(), &meta).ok());
  EXPECT_GT(meta.file_size, 0u);
  EXPECT_EQ(IKeyString("k", 5, ValueType::kRangeDeletion), meta.smallest);
  EXPECT_EQ(5u, meta.smallest_seqno);
  EXPECT_EQ(5u, meta.largest_seqno);
  EXPECT_TRUE(fs_->FileExists(TableFileName(kDb, 12)).ok());
}

}  // namespace synapsed
