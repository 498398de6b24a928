// The database on each I/O engine, with and without direct I/O, on the real
// disk: writes through flushes and compactions (write-behind, O_DIRECT
// outputs), then Get, MultiGet (batched reads on a read queue) and full
// scans (readahead) must all equal a model, before and after a reopen.
// Also: one failed block read fails only the MultiGet keys that need that
// block, and a kernel that refuses io_uring gets posix and a LOG line.

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "io/fault_injection_fs.h"
#include "synapsed/cache.h"
#include "synapsed/db.h"
#include "synapsed/file_system.h"
#include "synapsed/options.h"
#include "testutil/forwarding_file_system.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

using test::NumberKey;
using test::TempDir;

class IoDbTest : public ::testing::TestWithParam<std::tuple<IoEngine, bool>> {
 protected:
  IoDbTest() {
    std::shared_ptr<FileSystem> fs;
    uring_ok_ = FileSystem::IoUring(&fs).ok();
    options_.create_if_missing = true;
    options_.io_engine = std::get<0>(GetParam());
    options_.use_direct_reads = std::get<1>(GetParam());
    options_.use_direct_io_for_flush_and_compaction = std::get<1>(GetParam());
    // Small everything: many tables, several levels, real compactions,
    // blocks that miss a small cache.
    options_.write_buffer_size = 64 << 10;
    options_.target_file_size_base = 64 << 10;
    options_.max_bytes_for_level_base = 256 << 10;
    options_.block_size = 1024;
    options_.block_cache = NewARCCache(64 << 10);
  }

  void SetUp() override {
    if (std::get<0>(GetParam()) == IoEngine::kIoUring && !uring_ok_) {
      GTEST_SKIP() << "io_uring is unavailable here";
    }
  }

  void Open() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path() + "/db", &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void CheckAgainstModel() {
    // Get, for every key written and some never written.
    for (const auto& [k, v] : model_) {
      std::string got;
      Status s = db_->Get(ReadOptions(), k, &got);
      ASSERT_TRUE(s.ok()) << k << ": " << s.ToString();
      ASSERT_EQ(v, got) << k;
    }
    // MultiGet in batches of 32 random keys, present or not.
    Random rnd(7);
    for (int batch = 0; batch < 200; batch++) {
      std::vector<std::string> keys;
      for (int i = 0; i < 32; i++) keys.push_back(NumberKey(rnd.Uniform(kKeys + 100)));
      std::vector<std::string_view> views(keys.begin(), keys.end());
      std::vector<std::string> values;
      std::vector<Status> statuses = db_->MultiGet(ReadOptions(), views, &values);
      for (size_t i = 0; i < keys.size(); i++) {
        auto it = model_.find(keys[i]);
        if (it == model_.end()) {
          ASSERT_TRUE(statuses[i].IsNotFound()) << keys[i] << ": " << statuses[i].ToString();
        } else {
          ASSERT_TRUE(statuses[i].ok()) << keys[i] << ": " << statuses[i].ToString();
          ASSERT_EQ(it->second, values[i]) << keys[i];
        }
      }
    }
    // A full scan, which reads ahead, without filling the cache.
    ReadOptions scan;
    scan.fill_cache = false;
    auto it = db_->NewIterator(scan);
    auto m = model_.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(model_.end(), m);
      ASSERT_EQ(m->first, it->key());
      ASSERT_EQ(m->second, it->value());
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(model_.end(), m);
  }

  static constexpr uint64_t kKeys = 20000;
  bool uring_ok_ = false;
  TempDir dir_{"io_db_test"};
  Options options_;
  std::unique_ptr<DB> db_;
  std::map<std::string, std::string> model_;
};

TEST_P(IoDbTest, EveryReadPathMatchesTheModelThroughCompactionsAndReopen) {
  Open();
  Random rnd(301);
  for (int round = 0; round < 3; round++) {
    for (uint64_t i = 0; i < kKeys; i++) {
      const uint64_t n = rnd.Uniform(kKeys);
      std::string value = test::RandomBytes(&rnd, 50 + rnd.Uniform(150));
      ASSERT_TRUE(db_->Put(WriteOptions(), NumberKey(n), value).ok());
      model_[NumberKey(n)] = value;
    }
    for (int d = 0; d < 20; d++) {
      const uint64_t n = rnd.Uniform(kKeys);
      ASSERT_TRUE(db_->Delete(WriteOptions(), NumberKey(n)).ok());
      model_.erase(NumberKey(n));
    }
    const uint64_t b = rnd.Uniform(kKeys - 50);
    ASSERT_TRUE(db_->DeleteRange(WriteOptions(), NumberKey(b), NumberKey(b + 40)).ok());
    model_.erase(model_.lower_bound(NumberKey(b)), model_.lower_bound(NumberKey(b + 40)));
  }
  ASSERT_TRUE(db_->Flush().ok());
  std::string levels;
  ASSERT_TRUE(db_->GetProperty("synapsed.num-files-at-level0", &levels));
  CheckAgainstModel();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  CheckAgainstModel();
  ASSERT_TRUE(db_->Close().ok());
  Open();
  CheckAgainstModel();
  ASSERT_TRUE(db_->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(
    EnginesAndDirectIo, IoDbTest,
    ::testing::Combine(::testing::Values(IoEngine::kPosix, IoEngine::kIoUring), ::testing::Bool()),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == IoEngine::kPosix ? "Posix" : "IoUring") +
             (std::get<1>(info.param) ? "Direct" : "Buffered");
    });

// Two tables with disjoint keys; reads of one fail. MultiGet answers the
// keys of the other, and only the keys whose lookup reaches the failing
// table get its error.
TEST(IoDbFaultTest, FailedBlockReadFailsOnlyTheKeysThatNeedIt) {
  auto fs = std::make_shared<FaultInjectionFileSystem>();
  Options options;
  options.create_if_missing = true;
  options.file_system = fs;
  options.no_block_cache = true;  // every lookup reads its block
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  for (int i = 0; i < 500; i++) ASSERT_TRUE(db->Put(WriteOptions(), NumberKey(i), "a").ok());
  ASSERT_TRUE(db->Flush().ok());
  std::vector<std::string> first_tables;
  for (const auto& f : fs->ListAllFiles()) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".sst") first_tables.push_back(f);
  }
  ASSERT_EQ(1u, first_tables.size());
  for (int i = 1000; i < 1500; i++) {
    ASSERT_TRUE(db->Put(WriteOptions(), NumberKey(i), "b").ok());
  }
  ASSERT_TRUE(db->Flush().ok());
  std::string ignored;
  ASSERT_TRUE(db->Get(ReadOptions(), NumberKey(1), &ignored).ok());     // both tables open:
  ASSERT_TRUE(db->Get(ReadOptions(), NumberKey(1001), &ignored).ok());  // only blocks read now

  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = FaultInjectionFileSystem::OpKind::kRead;
  fault.path_substring = first_tables[0].substr(first_tables[0].rfind('/') + 1);
  fault.count = -1;
  fs->InjectFault(fault);
  std::vector<std::string> keys;
  for (int i = 0; i < 16; i++) keys.push_back(NumberKey(i * 31));         // first table
  for (int i = 0; i < 16; i++) keys.push_back(NumberKey(1000 + i * 31));  // second table
  keys.push_back(NumberKey(700));  // in neither table's range: no read at all
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<std::string> values;
  std::vector<Status> statuses = db->MultiGet(ReadOptions(), views, &values);
  for (size_t i = 0; i < 16; i++) {
    EXPECT_TRUE(statuses[i].IsIOError()) << keys[i] << ": " << statuses[i].ToString();
    EXPECT_NE(std::string::npos, statuses[i].ToString().find(fault.path_substring));
    EXPECT_TRUE(values[i].empty());
  }
  for (size_t i = 16; i < 32; i++) {
    EXPECT_TRUE(statuses[i].ok()) << keys[i] << ": " << statuses[i].ToString();
    EXPECT_EQ("b", values[i]);
  }
  EXPECT_TRUE(statuses[32].IsNotFound()) << statuses[32].ToString();
  fs->ClearFaults();
  statuses = db->MultiGet(ReadOptions(), views, &values);
  for (size_t i = 0; i < 32; i++) EXPECT_TRUE(statuses[i].ok()) << statuses[i].ToString();
  ASSERT_TRUE(db->Close().ok());
}

// Default()'s files, with the FileSystem base class's answer to FileOptions:
// no direct I/O (as a file system without O_DIRECT support, tmpfs, gives).
class NoDirectIoFileSystem final : public test::ForwardingFileSystem {
 public:
  NoDirectIoFileSystem() : ForwardingFileSystem(FileSystem::Default()) {}
};

// Asking for direct I/O where the file system cannot give it fails Open at
// once (not every table read or flush later), and leaves nothing behind.
TEST(IoDbOptionsTest, DirectIoWithoutFileSystemSupportFailsOpen) {
  TempDir dir("io_db_test");
  for (int which = 0; which < 3; which++) {
    Options options;
    options.create_if_missing = true;
    options.file_system = std::make_shared<NoDirectIoFileSystem>();
    options.use_direct_reads = which == 0;
    options.use_direct_io_for_flush_and_compaction = which == 1;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, dir.path() + "/db", &db);
    if (which == 2) {
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_TRUE(db->Close().ok());
      continue;
    }
    EXPECT_TRUE(s.IsNotSupported()) << which << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("direct I/O")) << s.ToString();
    std::vector<std::string> children;
    ASSERT_TRUE(FileSystem::Default()->GetChildren(dir.path() + "/db", &children).ok());
    for (const auto& c : children) EXPECT_EQ(std::string::npos, c.find("dbtmp")) << c;
  }
}

// Makes io_uring_setup fail with ENOSYS in this process, as on a kernel
// without io_uring (seccomp: the filter only answers that one call).
bool RefuseIoUringSetup() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])),
                            filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// In a child process (a fresh probe): the database opens on posix, works,
// and its LOG says why.
void OpenWithoutIoUring(const std::string& dir) {
  if (!RefuseIoUringSetup()) {
    fprintf(stderr, "seccomp unavailable\n");
    _exit(2);
  }
  std::shared_ptr<FileSystem> fs;
  if (FileSystem::IoUring(&fs).ok()) _exit(3);
  Options options;
  options.create_if_missing = true;
  options.io_engine = IoEngine::kIoUring;
  std::unique_ptr<DB> db;
  if (!DB::Open(options, dir, &db).ok()) _exit(4);
  if (!db->Put(WriteOptions(), "k", "v").ok() || !db->Flush().ok()) _exit(5);
  std::vector<std::string_view> keys = {"k", "x"};
  std::vector<std::string> values;
  auto statuses = db->MultiGet(ReadOptions(), keys, &values);
  if (!statuses[0].ok() || values[0] != "v" || !statuses[1].IsNotFound()) _exit(6);
  if (!db->Close().ok()) _exit(7);
  db.reset();
  std::unique_ptr<SequentialFile> log;
  if (!FileSystem::Default()->NewSequentialFile(dir + "/LOG", &log).ok()) _exit(8);
  char buf[4096];
  std::string_view text;
  if (!log->Read(sizeof(buf), &text, buf).ok()) _exit(9);
  if (text.find("io: io_uring is unavailable") == std::string_view::npos ||
      text.find("using posix") == std::string_view::npos) {
    _exit(10);
  }
  _exit(0);
}

TEST(IoDbDeathTest, WithoutIoUringTheDatabaseUsesPosixAndSaysSoInItsLog) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: a fresh probe
  TempDir dir("io_db_test");
  EXPECT_EXIT(OpenWithoutIoUring(dir.path() + "/db"), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace synapsed
