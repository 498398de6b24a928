// Tests of the in-memory FaultInjectionFileSystem: the durability model, crash
// modes, armed crashes, dead handles, injected faults and helpers.
#include "io/fault_injection_fs.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

using FaultFS = FaultInjectionFileSystem;
using CrashMode = FaultFS::CrashMode;
using OpKind = FaultFS::OpKind;
using Errno = FaultFS::Errno;

bool Contains(const Status& s, std::string_view text) {
  return s.ToString().find(text) != std::string::npos;
}

class FaultInjectionFsTest : public testing::Test {
 protected:
  FaultInjectionFsTest() { EXPECT_TRUE(fs_.CreateDirIfMissing("/db").ok()); }

  // Creates path with data; sync_data and sync_dir choose what is durable.
  void Write(const std::string& path, const std::string& data, bool sync_data, bool sync_dir) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_.NewWritableFile(path, &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    if (sync_data) {
      ASSERT_TRUE(f->Sync().ok());
    }
    ASSERT_TRUE(f->Close().ok());
    if (sync_dir) {
      ASSERT_TRUE(fs_.SyncDir(path.substr(0, path.rfind('/'))).ok());
    }
  }

  // The contents of path, or "<missing>".
  std::string Read(const std::string& path) {
    std::string data;
    Status s = fs_.ReadFileToString(path, &data);
    if (s.IsNotFound()) return "<missing>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return data;
  }

  FaultFS fs_;
};

TEST_F(FaultInjectionFsTest, BasicFileOperations) {
  Write("/db/a", "hello", false, false);
  EXPECT_EQ("hello", Read("/db/a"));
  EXPECT_EQ("hello", Read("db//a"));  // one file, however spelled
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize("/db/a", &size).ok());
  EXPECT_EQ(5u, size);
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db/sub").ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db/sub").ok());
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren("/db", &names).ok());
  EXPECT_EQ((std::vector<std::string>{"a", "sub"}), names);
  EXPECT_TRUE(fs_.FileExists("/").ok());
  EXPECT_TRUE(fs_.FileExists("/db/sub").ok());
  EXPECT_TRUE(fs_.FileExists("/db/b").IsNotFound());
  EXPECT_TRUE(fs_.CreateDirIfMissing("/db/a").IsIOError());

  std::unique_ptr<WritableFile> f;
  Status s = fs_.NewWritableFile("/nodir/x", &f);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(Contains(s, "/nodir/x"));
  std::unique_ptr<SequentialFile> sf;
  s = fs_.NewSequentialFile("/db/missing", &sf);
  EXPECT_TRUE(s.IsNotFound() && Contains(s, "/db/missing")) << s.ToString();
  EXPECT_TRUE(fs_.RemoveFile("/db/missing").IsNotFound());
  EXPECT_TRUE(fs_.GetFileSize("/db/missing", &size).IsNotFound());

  ASSERT_TRUE(fs_.Truncate("/db/a", 2).ok());
  EXPECT_EQ("he", Read("/db/a"));
  ASSERT_TRUE(fs_.Truncate("/db/a", 4).ok());
  EXPECT_EQ(std::string("he\0\0", 4), Read("/db/a"));
  EXPECT_TRUE(fs_.RemoveDir("/db").IsIOError());  // not empty
  ASSERT_TRUE(fs_.RemoveDir("/db/sub").ok());
  ASSERT_TRUE(fs_.RemoveFile("/db/a").ok());
  EXPECT_TRUE(fs_.ListAllFiles().empty());
}

TEST_F(FaultInjectionFsTest, ReadsSeeAppendsMadeAfterOpen) {
  std::unique_ptr<WritableFile> w;
  ASSERT_TRUE(fs_.NewWritableFile("/db/log", &w).ok());
  ASSERT_TRUE(w->Append("abc").ok());
  std::unique_ptr<SequentialFile> sf;
  std::unique_ptr<RandomAccessFile> rf;
  ASSERT_TRUE(fs_.NewSequentialFile("/db/log", &sf).ok());
  ASSERT_TRUE(fs_.NewRandomAccessFile("/db/log", &rf).ok());
  char scratch[16];
  std::string_view r;
  ASSERT_TRUE(sf->Read(16, &r, scratch).ok());
  EXPECT_EQ("abc", r);
  ASSERT_TRUE(w->Append("def").ok());
  ASSERT_TRUE(sf->Read(16, &r, scratch).ok());
  EXPECT_EQ("def", r);
  ASSERT_TRUE(rf->Read(1, 4, &r, scratch).ok());
  EXPECT_EQ("bcde", r);
  ASSERT_TRUE(rf->Read(10, 4, &r, scratch).ok());
  EXPECT_TRUE(r.empty());
  ASSERT_TRUE(sf->Skip(100).ok());
  ASSERT_TRUE(w->Append("g").ok());
  ASSERT_TRUE(sf->Read(16, &r, scratch).ok());
  EXPECT_EQ("g", r);  // the skip stopped at the end as it was then
  EXPECT_EQ(7u, w->Size());
}

TEST_F(FaultInjectionFsTest, CrashKeepsOnlyDurableData) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_.NewWritableFile("/db/log", &f).ok());
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("def").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  EXPECT_EQ("abcdef", Read("/db/log"));
  EXPECT_EQ(1u, fs_.sync_count());
  EXPECT_EQ(2u, fs_.syncdir_count());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("abc", Read("/db/log"));
}

TEST_F(FaultInjectionFsTest, DirectoryEntriesNeedSyncDir) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  Write("/db/synced_data_only", "data", /*sync_data=*/true, /*sync_dir=*/false);
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("<missing>", Read("/db/synced_data_only"));

  Write("/db/entry_only", "data", /*sync_data=*/false, /*sync_dir=*/true);
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("", Read("/db/entry_only"));  // the entry survives, the bytes do not

  ASSERT_TRUE(fs_.RemoveFile("/db/entry_only").ok());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("", Read("/db/entry_only"));  // an unsynced removal is undone
}

TEST_F(FaultInjectionFsTest, UnsyncedDirectoryVanishesWithItsFiles) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db/sub").ok());
  Write("/db/sub/f", "x", true, true);  // synced within sub, but sub itself is not
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_TRUE(fs_.FileExists("/db/sub").IsNotFound());
  EXPECT_TRUE(fs_.ListAllFiles().empty());
}

TEST_F(FaultInjectionFsTest, RenameIsTwoDirectoryEntryChanges) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  // CURRENT-style install: old CURRENT durable, new one written to a temp
  // file, synced, renamed over it.
  Write("/db/CURRENT", "old", true, true);
  Write("/db/CURRENT.tmp", "new", true, false);
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  EXPECT_EQ("new", Read("/db/CURRENT"));
  EXPECT_EQ("<missing>", Read("/db/CURRENT.tmp"));
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("old", Read("/db/CURRENT"));  // rename not dir-synced
  EXPECT_EQ("<missing>", Read("/db/CURRENT.tmp"));

  Write("/db/CURRENT.tmp", "new", true, false);
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("new", Read("/db/CURRENT"));
  EXPECT_EQ("<missing>", Read("/db/CURRENT.tmp"));
}

TEST_F(FaultInjectionFsTest, CrossDirectoryRenameRecoversPerDirectory) {
  ASSERT_TRUE(fs_.CreateDirIfMissing("/a").ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing("/b").ok());
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  Write("/a/f", "payload", true, true);

  // Only the target directory synced: the inode ends up under both names.
  ASSERT_TRUE(fs_.RenameFile("/a/f", "/b/f").ok());
  ASSERT_TRUE(fs_.SyncDir("/b").ok());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("payload", Read("/a/f"));
  EXPECT_EQ("payload", Read("/b/f"));

  // Reset: only /a/f, durable. Now only the source directory synced: the
  // file is under neither name.
  ASSERT_TRUE(fs_.RemoveFile("/b/f").ok());
  ASSERT_TRUE(fs_.SyncDir("/b").ok());
  ASSERT_TRUE(fs_.RenameFile("/a/f", "/b/f").ok());
  ASSERT_TRUE(fs_.SyncDir("/a").ok());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("<missing>", Read("/a/f"));
  EXPECT_EQ("<missing>", Read("/b/f"));
}

TEST_F(FaultInjectionFsTest, RenamedOpenFileKeepsItsInode) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_.NewWritableFile("/db/x", &f).ok());
  ASSERT_TRUE(f->Append("1").ok());
  ASSERT_TRUE(fs_.RenameFile("/db/x", "/db/y").ok());
  ASSERT_TRUE(f->Append("2").ok());
  EXPECT_EQ("12", Read("/db/y"));
}

// Builds the same history on a fresh file system and crashes it with seed.
// The log has 100 durable bytes and 1000 unsynced; "/db/new" is an unsynced
// entry.
struct TornResult {
  std::string log;
  bool new_exists;
};
TornResult CrashKeepRandom(uint64_t seed, const std::string& durable, const std::string& tail) {
  FaultFS fs;
  EXPECT_TRUE(fs.CreateDirIfMissing("/db").ok());
  EXPECT_TRUE(fs.SyncDir("/").ok());
  std::unique_ptr<WritableFile> f;
  EXPECT_TRUE(fs.NewWritableFile("/db/log", &f).ok());
  EXPECT_TRUE(f->Append(durable).ok());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_TRUE(fs.SyncDir("/db").ok());
  EXPECT_TRUE(f->Append(tail).ok());
  EXPECT_TRUE(fs.WriteFileFromString("/db/new", "n", /*durable=*/false).ok());
  fs.SimulateCrash(CrashMode::kKeepRandomUnsynced, seed);
  TornResult r;
  EXPECT_TRUE(fs.ReadFileToString("/db/log", &r.log).ok());
  r.new_exists = fs.FileExists("/db/new").ok();
  return r;
}

TEST(FaultInjectionFsCrashTest, KeepRandomUnsyncedKeepsAPrefixNeverAHole) {
  Random rnd(42);
  const std::string durable = test::RandomBytes(&rnd, 100);
  const std::string tail = test::RandomBytes(&rnd, 1000);
  const std::string full = durable + tail;
  int partial = 0, none = 0, all = 0, new_kept = 0;
  for (uint64_t seed = 0; seed < 200; seed++) {
    TornResult r = CrashKeepRandom(seed, durable, tail);
    ASSERT_GE(r.log.size(), durable.size()) << "seed " << seed;
    ASSERT_EQ(full.substr(0, r.log.size()), r.log) << "seed " << seed;  // a prefix
    if (r.log.size() == durable.size())
      none++;
    else if (r.log.size() == full.size())
      all++;
    else
      partial++;
    if (r.new_exists) new_kept++;
    TornResult again = CrashKeepRandom(seed, durable, tail);
    EXPECT_EQ(r.log, again.log) << "seed " << seed << " not reproducible";
    EXPECT_EQ(r.new_exists, again.new_exists);
  }
  EXPECT_GT(partial, 100);  // torn appends are the common case
  EXPECT_GT(new_kept, 0);   // entries go both ways
  EXPECT_LT(new_kept, 200);
  (void)none;
  (void)all;
}

TEST_F(FaultInjectionFsTest, KeepRandomUnsyncedAfterTruncationPicksAValidState) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  Write("/db/f", "old-contents", true, true);
  for (uint64_t seed = 0; seed < 50; seed++) {
    ASSERT_TRUE(fs_.WriteFileFromString("/db/f", "old-contents", /*durable=*/true).ok());
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_.NewWritableFile("/db/f", &f).ok());  // O_TRUNC, not synced
    ASSERT_TRUE(f->Append("NEW").ok());
    fs_.SimulateCrash(CrashMode::kKeepRandomUnsynced, seed);
    std::string got = Read("/db/f");
    EXPECT_TRUE(got == "old-contents" || std::string("NEW").substr(0, got.size()) == got) << got;
  }
}

TEST_F(FaultInjectionFsTest, ArmedCrashFiresBeforeOpK) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  const uint64_t base = fs_.mutating_ops();
  fs_.ArmCrash(3, CrashMode::kDropUnsynced, 1);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_.NewWritableFile("/db/log", &f).ok());  // op 1
  ASSERT_TRUE(f->Append("abc").ok());                    // op 2
  EXPECT_FALSE(fs_.crashed_by_arm());
  Status s = f->Sync();  // op 3: crash, then fail
  EXPECT_TRUE(s.IsIOError() && Contains(s, "crashed") && Contains(s, "/db/log")) << s.ToString();
  EXPECT_TRUE(fs_.crashed_by_arm());
  EXPECT_EQ(base + 3, fs_.mutating_ops());
  EXPECT_EQ(0u, fs_.sync_count());
  EXPECT_EQ("<missing>", Read("/db/log"));               // its creation was never dir-synced
  EXPECT_TRUE(f->Append("x").IsIOError());               // the old handle is dead
  EXPECT_EQ(base + 3, fs_.mutating_ops());               // and dead calls are not counted
  ASSERT_TRUE(fs_.NewWritableFile("/db/log", &f).ok());  // new opens work
  ASSERT_TRUE(f->Append("y").ok());
  EXPECT_EQ("y", Read("/db/log"));
}

// The loop a crash test runs: crash at every op of a workload in turn and
// check that what was acknowledged as synced survives.
TEST(FaultInjectionFsCrashTest, CrashAtEveryOpKeepsSyncedRecords) {
  for (uint64_t k = 1; k < 40; k++) {
    FaultFS fs;
    ASSERT_TRUE(fs.CreateDirIfMissing("/db").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    fs.ArmCrash(k, k % 2 ? CrashMode::kDropUnsynced : CrashMode::kKeepRandomUnsynced, k);
    std::string synced;  // acknowledged durable contents of /db/log
    std::string written;
    std::unique_ptr<WritableFile> f;
    bool created = false;
    Status s = fs.NewWritableFile("/db/log", &f);
    if (s.ok()) s = fs.SyncDir("/db");
    if (s.ok()) created = true;
    for (int i = 0; s.ok() && i < 10; i++) {
      std::string record = "record" + std::to_string(i) + ";";
      s = f->Append(record);
      if (s.ok()) written += record;
      if (s.ok() && i % 3 == 2) {
        s = f->Sync();
        if (s.ok()) synced = written;
      }
    }
    if (s.ok()) {
      EXPECT_FALSE(fs.crashed_by_arm()) << k;
      continue;
    }
    ASSERT_TRUE(fs.crashed_by_arm()) << k << ": " << s.ToString();
    std::string after;
    Status rs = fs.ReadFileToString("/db/log", &after);
    if (created) {
      ASSERT_TRUE(rs.ok()) << k;
      EXPECT_EQ(synced, after.substr(0, synced.size())) << k;
      EXPECT_EQ(written.substr(0, after.size()), after) << k;
    }
  }
}

TEST_F(FaultInjectionFsTest, HandlesAndLocksDieInACrash) {
  Write("/db/f", "data", true, true);
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  std::unique_ptr<WritableFile> w;
  std::unique_ptr<SequentialFile> sf;
  std::unique_ptr<RandomAccessFile> rf;
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_.NewWritableFile("/db/w", &w).ok());
  ASSERT_TRUE(fs_.NewSequentialFile("/db/f", &sf).ok());
  ASSERT_TRUE(fs_.NewRandomAccessFile("/db/f", &rf).ok());
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", &lock).ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());

  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  char scratch[8];
  std::string_view r;
  for (Status s : {w->Append("zzz"), w->Flush(), w->Sync(), w->Close(), sf->Read(4, &r, scratch),
                   sf->Skip(1), rf->Read(0, 4, &r, scratch)}) {
    EXPECT_TRUE(s.IsIOError() && Contains(s, "file system crashed")) << s.ToString();
  }
  EXPECT_EQ("", Read("/db/w"));  // the dead append changed nothing
  EXPECT_EQ("data", Read("/db/f"));

  // The crash released the lock; the new holder keeps it when the dead
  // handle is destroyed.
  std::unique_ptr<FileLock> lock2;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", &lock2).ok());
  lock.reset();
  std::unique_ptr<FileLock> lock3;
  EXPECT_TRUE(fs_.LockFile("/db/LOCK", &lock3).IsIOError());
}

TEST_F(FaultInjectionFsTest, LockIsExclusiveAndNamesThePath) {
  std::unique_ptr<FileLock> lock, second;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", &lock).ok());
  EXPECT_TRUE(fs_.FileExists("/db/LOCK").ok());
  Status s = fs_.LockFile("/db//LOCK", &second);
  EXPECT_TRUE(s.IsIOError() && Contains(s, "/db//LOCK") && Contains(s, "held")) << s.ToString();
  lock.reset();
  EXPECT_TRUE(fs_.LockFile("/db/LOCK", &second).ok());
  EXPECT_TRUE(fs_.LockFile("/nodir/LOCK", &lock).IsNotFound());
}

TEST_F(FaultInjectionFsTest, InjectedEioOnceLeavesContentsUnchanged) {
  std::unique_ptr<WritableFile> wal, other;
  ASSERT_TRUE(fs_.NewWritableFile("/db/000001.log", &wal).ok());
  ASSERT_TRUE(fs_.NewWritableFile("/db/000002.sst", &other).ok());
  fs_.InjectFault({.op = OpKind::kAppend,
                   .path_substring = ".log",
                   .error = Errno::kEIO,
                   .skip = 0,
                   .count = 1});
  ASSERT_TRUE(other->Append("sst").ok());  // path does not match
  Status s = wal->Append("lost");
  EXPECT_TRUE(s.IsIOError() && !s.IsNoSpace()) << s.ToString();
  EXPECT_TRUE(Contains(s, "append /db/000001.log") && Contains(s, "injected")) << s.ToString();
  EXPECT_EQ("", Read("/db/000001.log"));
  EXPECT_EQ(0u, wal->Size());
  ASSERT_TRUE(wal->Append("kept").ok());  // count was 1
  EXPECT_EQ("kept", Read("/db/000001.log"));
}

TEST_F(FaultInjectionFsTest, PersistentNoSpaceAfterSkip) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_.NewWritableFile("/db/log", &f).ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  fs_.InjectFault(
      {.op = OpKind::kSync, .path_substring = "", .error = Errno::kENOSPC, .skip = 2, .count = -1});
  ASSERT_TRUE(f->Append("a").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("b").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append("c").ok());
  for (int i = 0; i < 3; i++) {
    Status s = f->Sync();
    EXPECT_TRUE(s.IsNoSpace() && Contains(s, "sync /db/log") && Contains(s, "injected"))
        << s.ToString();
  }
  EXPECT_EQ(2u, fs_.sync_count());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("ab", Read("/db/log"));  // the failed syncs made nothing durable

  fs_.ClearFaults();
  ASSERT_TRUE(fs_.NewWritableFile("/db/log2", &f).ok());
  EXPECT_TRUE(f->Sync().ok());
}

TEST_F(FaultInjectionFsTest, InjectedFaultsOnFileSystemCalls) {
  Write("/db/a", "x", false, false);
  fs_.InjectFault({.op = OpKind::kRename,
                   .path_substring = "CURRENT",
                   .error = Errno::kEIO,
                   .skip = 0,
                   .count = 1});
  Status s = fs_.RenameFile("/db/a", "/db/CURRENT");  // matches on the target
  EXPECT_TRUE(s.IsIOError() && Contains(s, "rename /db/a to /db/CURRENT")) << s.ToString();
  EXPECT_EQ("x", Read("/db/a"));
  EXPECT_EQ("<missing>", Read("/db/CURRENT"));

  for (OpKind op :
       {OpKind::kCreate, OpKind::kOpenRead, OpKind::kRemove, OpKind::kTruncate, OpKind::kSyncDir,
        OpKind::kCreateDir, OpKind::kLock, OpKind::kRead, OpKind::kFlush}) {
    fs_.InjectFault({.op = op, .path_substring = "", .error = Errno::kEIO, .skip = 0, .count = 1});
  }
  std::unique_ptr<WritableFile> w;
  std::unique_ptr<SequentialFile> sf;
  std::unique_ptr<FileLock> lock;
  EXPECT_TRUE(fs_.NewWritableFile("/db/b", &w).IsIOError());
  EXPECT_EQ("<missing>", Read("/db/b"));
  EXPECT_TRUE(fs_.NewSequentialFile("/db/a", &sf).IsIOError());
  EXPECT_TRUE(fs_.RemoveFile("/db/a").IsIOError());
  EXPECT_TRUE(fs_.Truncate("/db/a", 0).IsIOError());
  EXPECT_EQ("x", Read("/db/a"));
  EXPECT_TRUE(fs_.SyncDir("/db").IsIOError());
  EXPECT_EQ(0u, fs_.syncdir_count());
  EXPECT_TRUE(fs_.CreateDirIfMissing("/db/sub").IsIOError());
  EXPECT_TRUE(fs_.FileExists("/db/sub").IsNotFound());
  EXPECT_TRUE(fs_.LockFile("/db/LOCK", &lock).IsIOError());
  ASSERT_TRUE(fs_.NewSequentialFile("/db/a", &sf).ok());
  char scratch[4];
  std::string_view r;
  EXPECT_TRUE(sf->Read(4, &r, scratch).IsIOError());
  ASSERT_TRUE(sf->Read(4, &r, scratch).ok());
  EXPECT_EQ("x", r);
  ASSERT_TRUE(fs_.NewWritableFile("/db/b", &w).ok());
  EXPECT_TRUE(w->Close().IsIOError());      // Close flushes: a kFlush fault hits it
  EXPECT_TRUE(w->Append("y").IsIOError());  // and it is closed regardless
}

// The engine opens table files with FileOptions; here they are plain files,
// counted, crashed and faulted exactly as the calls without options.
TEST_F(FaultInjectionFsTest, FileOptionsOpenPlainFiles) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  const FileOptions options{.use_direct_io = true, .write_behind = true};
  const uint64_t ops = fs_.mutating_ops();
  std::unique_ptr<WritableFile> w;
  ASSERT_TRUE(fs_.NewWritableFileWithOptions("/db/t.sst", options, &w).ok());
  EXPECT_EQ(ops + 1, fs_.mutating_ops());
  ASSERT_TRUE(w->Append("0123456789").ok());
  EXPECT_EQ("0123456789", Read("/db/t.sst"));  // in the file when Append returns
  ASSERT_TRUE(w->Sync().ok());
  ASSERT_TRUE(w->Append("unsynced").ok());
  ASSERT_TRUE(w->Close().ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("0123456789", Read("/db/t.sst"));

  std::unique_ptr<RandomAccessFile> r;
  ASSERT_TRUE(fs_.NewRandomAccessFileWithOptions("/db/t.sst", options, &r).ok());
  char scratch[8];
  std::string_view got;
  ASSERT_TRUE(r->Read(3, 5, &got, scratch).ok());  // unaligned, as callers of direct files may
  EXPECT_EQ("34567", got);

  for (OpKind op : {OpKind::kCreate, OpKind::kOpenRead}) {
    fs_.InjectFault({.op = op, .path_substring = "", .error = Errno::kEIO, .skip = 0, .count = 1});
  }
  EXPECT_TRUE(fs_.NewWritableFileWithOptions("/db/u.sst", options, &w).IsIOError());
  EXPECT_EQ("<missing>", Read("/db/u.sst"));
  EXPECT_TRUE(fs_.NewRandomAccessFileWithOptions("/db/t.sst", options, &r).IsIOError());
}

TEST_F(FaultInjectionFsTest, CorruptByteFlipsCurrentAndDurable) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  Write("/db/sst", "abcd", true, true);
  ASSERT_TRUE(fs_.CorruptByte("/db/sst", 1, 0x01).ok());
  EXPECT_EQ("accd", Read("/db/sst"));
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ("accd", Read("/db/sst"));  // rot is on the device
  EXPECT_TRUE(fs_.CorruptByte("/db/sst", 4, 0x01).IsInvalidArgument());
  EXPECT_TRUE(fs_.CorruptByte("/db/none", 0, 0x01).IsNotFound());
}

TEST_F(FaultInjectionFsTest, WriteFileFromStringAndListAllFiles) {
  ASSERT_TRUE(fs_.SyncDir("/").ok());
  ASSERT_TRUE(fs_.CreateDirIfMissing("/db/sub").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(fs_.WriteFileFromString("/db/sub/durable", "d", true).ok());
  ASSERT_TRUE(fs_.WriteFileFromString("/db/volatile", "v", false).ok());
  EXPECT_EQ((std::vector<std::string>{"/db/sub/durable", "/db/volatile"}), fs_.ListAllFiles());
  const uint64_t ops = fs_.mutating_ops();
  fs_.SimulateCrash(CrashMode::kDropUnsynced, 0);
  EXPECT_EQ((std::vector<std::string>{"/db/sub/durable"}), fs_.ListAllFiles());
  EXPECT_EQ("d", Read("/db/sub/durable"));
  EXPECT_EQ(ops, fs_.mutating_ops());  // helpers and crashes are not counted
  EXPECT_TRUE(fs_.WriteFileFromString("/nodir/x", "v", false).IsNotFound());
}

TEST(FaultInjectionFsCrashTest, DirectoryRenameCyclesAreBrokenByACrash) {
  // /x/y durable; then y moves to the root and x into y, nothing dir-synced.
  // Mixing old and new entries could make x and y contain each other; every
  // crash must still leave a tree in which each file appears once.
  for (uint64_t seed = 0; seed < 32; seed++) {
    FaultFS fs;
    ASSERT_TRUE(fs.CreateDirIfMissing("/x").ok());
    ASSERT_TRUE(fs.CreateDirIfMissing("/x/y").ok());
    ASSERT_TRUE(fs.WriteFileFromString("/x/y/f", "f", /*durable=*/true).ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    ASSERT_TRUE(fs.SyncDir("/x").ok());
    ASSERT_TRUE(fs.RenameFile("/x/y", "/y").ok());
    ASSERT_TRUE(fs.RenameFile("/x", "/y/x").ok());
    EXPECT_TRUE(fs.RenameFile("/y", "/y/x/y").IsInvalidArgument());
    fs.SimulateCrash(CrashMode::kKeepRandomUnsynced, seed);
    EXPECT_LE(fs.ListAllFiles().size(), 1u) << seed;
  }
}

TEST_F(FaultInjectionFsTest, ConcurrentUse) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([this, t] {
      const std::string path = "/db/f" + std::to_string(t);
      std::unique_ptr<WritableFile> w;
      std::unique_ptr<RandomAccessFile> r;
      if (!fs_.NewWritableFile(path, &w).ok() || !fs_.NewRandomAccessFile(path, &r).ok()) return;
      char scratch[8];
      for (int i = 0; i < 500; i++) {
        std::string_view got;
        EXPECT_TRUE(w->Append("12345678").ok());
        EXPECT_TRUE(r->Read(8 * i, 8, &got, scratch).ok());
        EXPECT_EQ("12345678", got);
        if (i % 50 == 0) {
          EXPECT_TRUE(w->Sync().ok());
        }
        std::vector<std::string> names;
        EXPECT_TRUE(fs_.GetChildren("/db", &names).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(4u, fs_.ListAllFiles().size());
}

}  // namespace
}  // namespace synapsed
