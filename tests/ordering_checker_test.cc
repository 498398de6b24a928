// The ordering checker (testutil/ordering_checker.h) fails on each rule a
// hand-made sequence of file operations breaks, and accepts the engine's
// order. Each case builds a durable database by hand (log 1, MANIFEST-2
// naming it, CURRENT), then performs one wrong order.
#include "testutil/ordering_checker.h"

#include <gtest/gtest.h>

#include "engine/filename.h"
#include "engine/version_edit.h"
#include "testutil/testutil.h"
#include "wal/log_writer.h"

namespace synapsed {
namespace {

constexpr char kDb[] = "/db";

class OrderingCheckerTest : public ::testing::Test {
 protected:
  OrderingCheckerTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    checker_ = test::OrderingChecker::Attach(fs_.get(), kDb);
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
    EXPECT_TRUE(fs_->SyncDir("/").ok());
    WriteFile(LogFileName(kDb, 1), "", true);
    StartManifest(2, /*log_number=*/1, {});
    SwitchCurrent(2, /*sync_temp=*/true);
    EXPECT_TRUE(fs_->SyncDir(kDb).ok());
    EXPECT_TRUE(checker_->violations().empty());
  }

  // Creates path with data; syncs it if sync. The directory is not synced.
  void WriteFile(const std::string& path, const std::string& data, bool sync) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_->NewWritableFile(path, &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    if (sync) {
      ASSERT_TRUE(f->Sync().ok());
    }
    ASSERT_TRUE(f->Close().ok());
  }

  static FileMetaData Table(uint64_t number, uint64_t size) {
    FileMetaData f;
    f.number = number;
    f.file_size = size;
    f.smallest = test::IKey("a", 1);
    f.largest = test::IKey("b", 1);
    f.smallest_seqno = f.largest_seqno = 1;
    return f;
  }

  // MANIFEST-m with a snapshot naming log_number and tables, synced.
  void StartManifest(uint64_t m, uint64_t log_number, const std::vector<FileMetaData>& tables,
                     bool sync = true) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_->NewWritableFile(ManifestFileName(kDb, m), &f).ok());
    manifest_ = std::make_unique<wal::Writer>(std::move(f), m);
    VersionEdit snapshot;
    snapshot.SetComparatorName("synapsed.BytewiseComparator");
    snapshot.SetLogNumber(log_number);
    snapshot.SetNextFileNumber(100);
    snapshot.SetLastSequence(10);
    for (const auto& t : tables) snapshot.AddFile(0, t);
    std::string record;
    snapshot.EncodeTo(&record);
    ASSERT_TRUE(manifest_->AddRecord(record).ok());
    if (sync) {
      ASSERT_TRUE(manifest_->Sync().ok());
    }
  }

  // Appends an edit to the MANIFEST last started and syncs it.
  void AppendEdit(VersionEdit edit) {
    edit.SetNextFileNumber(100);
    edit.SetLastSequence(10);
    std::string record;
    edit.EncodeTo(&record);
    ASSERT_TRUE(manifest_->AddRecord(record).ok());
    ASSERT_TRUE(manifest_->Sync().ok());
  }

  // Writes m.dbtmp naming MANIFEST-m and renames it over CURRENT (no SyncDir).
  void SwitchCurrent(uint64_t m, bool sync_temp) {
    WriteFile(TempFileName(kDb, m), ManifestFileName("", m).substr(1) + "\n", sync_temp);
    ASSERT_TRUE(fs_->RenameFile(TempFileName(kDb, m), CurrentFileName(kDb)).ok());
  }

  // The one violation recorded, which must contain what.
  void ExpectViolation(const std::string& what) {
    auto v = checker_->violations();
    ASSERT_EQ(1u, v.size()) << (v.empty() ? std::string("none") : v[0]);
    EXPECT_NE(std::string::npos, v[0].find(what)) << v[0];
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
  std::shared_ptr<test::OrderingChecker> checker_;
  std::unique_ptr<wal::Writer> manifest_;
};

TEST_F(OrderingCheckerTest, AcceptsTheEnginesOrder) {
  // Flush: table synced, directory synced, edit synced, then the old log goes.
  WriteFile(LogFileName(kDb, 4), "data", true);
  WriteFile(TableFileName(kDb, 5), std::string(300, 't'), true);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  VersionEdit flush;
  flush.AddFile(0, Table(5, 300));
  flush.SetLogNumber(4);
  AppendEdit(flush);
  WriteFile(LogFileName(kDb, 1), "old", false);  // so its removal is checked
  ASSERT_TRUE(fs_->RemoveFile(LogFileName(kDb, 1)).ok());
  // Compaction: the input leaves in a durable edit, then is deleted.
  VersionEdit compaction;
  compaction.DeleteFile(0, 5);
  AppendEdit(compaction);
  ASSERT_TRUE(fs_->RemoveFile(TableFileName(kDb, 5)).ok());
  // MANIFEST switch: new snapshot, directory, CURRENT, directory, delete the old.
  StartManifest(6, 4, {});
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  SwitchCurrent(6, true);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  ASSERT_TRUE(fs_->RemoveFile(ManifestFileName(kDb, 2)).ok());
  EXPECT_TRUE(checker_->violations().empty()) << checker_->violations()[0];
  EXPECT_GE(checker_->checks(), 8u);
}

TEST_F(OrderingCheckerTest, TableEntryNotDurableWhenTheEditIs) {
  WriteFile(TableFileName(kDb, 5), std::string(300, 't'), true);  // no SyncDir
  VersionEdit e;
  e.AddFile(0, Table(5, 300));
  AppendEdit(e);
  ExpectViolation("names 000005.sst, whose directory entry is not durable");
}

TEST_F(OrderingCheckerTest, TableDataNotDurableWhenTheEditIs) {
  WriteFile(TableFileName(kDb, 5), std::string(300, 't'), false);  // never synced
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  VersionEdit e;
  e.AddFile(0, Table(5, 300));
  AppendEdit(e);
  ExpectViolation("names 000005.sst of 300 bytes; 0 are durable");
}

TEST_F(OrderingCheckerTest, LogNamedByTheEditNotDurable) {
  WriteFile(LogFileName(kDb, 7), "", true);  // no SyncDir
  VersionEdit e;
  e.SetLogNumber(7);
  AppendEdit(e);
  ExpectViolation("needs logs from 000007.log, whose directory entry is not durable");
}

TEST_F(OrderingCheckerTest, CurrentNamesAManifestWhoseSnapshotIsNotDurable) {
  StartManifest(6, 1, {}, /*sync=*/false);
  SwitchCurrent(6, true);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  ExpectViolation("names MANIFEST-000006, whose snapshot is not durable");
}

TEST_F(OrderingCheckerTest, CurrentRenamedBeforeItsContentsAreDurable) {
  StartManifest(6, 1, {});
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  SwitchCurrent(6, /*sync_temp=*/false);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  ExpectViolation("durable CURRENT holds \"\", not a MANIFEST name");
}

TEST_F(OrderingCheckerTest, LogRemovedBeforeTheEditObsoletingItIsDurable) {
  WriteFile(LogFileName(kDb, 1), "acknowledged writes", true);
  ASSERT_TRUE(fs_->RemoveFile(LogFileName(kDb, 1)).ok());
  ExpectViolation("before remove /db/000001.log: the durable MANIFEST-000002 still needs logs");
}

TEST_F(OrderingCheckerTest, TableRemovedWhileTheDurableManifestNamesIt) {
  WriteFile(TableFileName(kDb, 5), std::string(300, 't'), true);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  VersionEdit e;
  e.AddFile(0, Table(5, 300));
  AppendEdit(e);
  ASSERT_TRUE(fs_->RemoveFile(TableFileName(kDb, 5)).ok());
  ExpectViolation("before remove /db/000005.sst: the durable MANIFEST-000002 still names it");
}

TEST_F(OrderingCheckerTest, TableMovedAwayWhileTheDurableManifestNamesIt) {
  WriteFile(TableFileName(kDb, 5), std::string(300, 't'), true);
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  VersionEdit e;
  e.AddFile(0, Table(5, 300));
  AppendEdit(e);
  ASSERT_TRUE(fs_->CreateDirIfMissing(LostDirName(kDb)).ok());
  ASSERT_TRUE(fs_->RenameFile(TableFileName(kDb, 5), LostDirName(kDb) + "/000005.sst").ok());
  ExpectViolation("before rename /db/000005.sst");
}

TEST_F(OrderingCheckerTest, OldManifestRemovedBeforeTheSwitchIsDurable) {
  StartManifest(6, 1, {});
  ASSERT_TRUE(fs_->SyncDir(kDb).ok());
  SwitchCurrent(6, true);  // renamed, the directory not yet synced
  ASSERT_TRUE(fs_->RemoveFile(ManifestFileName(kDb, 2)).ok());
  ExpectViolation("before remove /db/MANIFEST-000002: durable CURRENT still names it");
}

}  // namespace
}  // namespace synapsed
