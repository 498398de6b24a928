// BlockPrefetcher: what it serves equals the file, windows go out only for
// sequential runs, and a failed window read is the failing call's status.
// Run on the in-memory fault-injection file system and, where io_uring
// works, on a real file through io_uring read queues.

#include "sstable/block_prefetcher.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "io/fault_injection_fs.h"
#include "io/read_queue_pool.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

constexpr size_t kFileBytes = 3 << 20;

class BlockPrefetcherTest : public ::testing::TestWithParam<bool /*io_uring*/> {
 protected:
  void SetUp() override {
    Random rnd(17);
    contents_ = test::RandomBytes(&rnd, kFileBytes);
    if (GetParam()) {
      if (!FileSystem::IoUring(&fs_).ok()) GTEST_SKIP() << "io_uring is unavailable here";
      path_ = dir_.path() + "/file";
      std::unique_ptr<WritableFile> w;
      ASSERT_TRUE(fs_->NewWritableFile(path_, &w).ok());
      ASSERT_TRUE(w->Append(contents_).ok());
      ASSERT_TRUE(w->Close().ok());
    } else {
      fault_fs_ = std::make_shared<FaultInjectionFileSystem>();
      fs_ = fault_fs_;
      path_ = "/file";
      ASSERT_TRUE(fault_fs_->WriteFileFromString(path_, contents_, true).ok());
    }
    ASSERT_TRUE(fs_->NewRandomAccessFile(path_, &file_).ok());
    pool_ = std::make_unique<ReadQueuePool>(fs_, 8);
    options_.read_queues = pool_.get();
  }

  // Reads [offset, offset + n) through p and checks the bytes.
  void ReadAndCheck(BlockPrefetcher* p, uint64_t offset, size_t n) {
    std::string out;
    Status s = p->Read(offset, n, &out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(contents_.substr(offset, n), out) << "at " << offset;
  }

  test::TempDir dir_{"prefetcher_test"};
  std::string contents_;
  std::string path_;
  std::shared_ptr<FileSystem> fs_;
  std::shared_ptr<FaultInjectionFileSystem> fault_fs_;
  std::unique_ptr<RandomAccessFile> file_;
  std::unique_ptr<ReadQueuePool> pool_;
  ReadBlockOptions options_;
};

TEST_P(BlockPrefetcherTest, SequentialBlocksComeFromWindowsAndMatchTheFile) {
  Random rnd(3);
  BlockPrefetcher p(file_.get(), kFileBytes - 4096, options_);
  uint64_t offset = 0;
  int blocks = 0;
  while (true) {
    const size_t n = 100 + rnd.Uniform(6000);
    if (offset + n > kFileBytes - 4096) break;
    ReadAndCheck(&p, offset, n);
    offset += n;
    blocks++;
  }
  EXPECT_GT(blocks, 500);
  EXPECT_GT(p.windows_issued(), 8u);  // windows grow to 256 KiB: about 12 for 3 MiB
  EXPECT_GT(p.window_hits(), static_cast<uint64_t>(blocks) * 9 / 10);
  // The last block, up to the limit, reads fine too.
  ReadAndCheck(&p, offset, kFileBytes - 4096 - offset);
}

TEST_P(BlockPrefetcherTest, RandomBlocksIssueNoWindow) {
  Random rnd(5);
  BlockPrefetcher p(file_.get(), kFileBytes, options_);
  for (int i = 0; i < 300; i++) {
    const size_t n = 100 + rnd.Uniform(6000);
    ReadAndCheck(&p, rnd.Uniform(kFileBytes - n), n);
  }
  EXPECT_EQ(0u, p.windows_issued());
}

TEST_P(BlockPrefetcherTest, ZeroTriggerReadsAheadFromTheFirstBlockAndStopsAtTheLimit) {
  options_.readahead_after_blocks = 0;
  options_.readahead_initial_bytes = 1 << 20;
  options_.readahead_max_bytes = 1 << 20;
  const uint64_t limit = kFileBytes / 2 + 123;
  BlockPrefetcher p(file_.get(), limit, options_);
  ReadAndCheck(&p, 0, 4000);
  EXPECT_EQ(1u, p.windows_issued());
  uint64_t offset = 4000;
  while (offset + 4000 <= limit) {
    ReadAndCheck(&p, offset, 4000);
    offset += 4000;
  }
  EXPECT_EQ(2u, p.windows_issued());  // [4000, 1 MiB + 4000) and the rest up to limit
}

TEST_P(BlockPrefetcherTest, AJumpDropsTheWindowsAndRestartsTheCount) {
  BlockPrefetcher p(file_.get(), kFileBytes, options_);
  for (uint64_t off = 0; off < 10 * 4096; off += 4096) ReadAndCheck(&p, off, 4096);
  const uint64_t issued = p.windows_issued();
  EXPECT_GT(issued, 0u);
  ReadAndCheck(&p, 2 << 20, 4096);  // out of sequence: read directly
  ReadAndCheck(&p, 1 << 20, 4096);
  EXPECT_EQ(issued, p.windows_issued());
}

TEST_P(BlockPrefetcherTest, AFailedWindowIsTheReadersErrorAndReadsRecover) {
  if (fault_fs_ == nullptr) GTEST_SKIP() << "faults are injected in memory only";
  BlockPrefetcher p(file_.get(), kFileBytes, options_);
  ReadAndCheck(&p, 0, 4096);
  ReadAndCheck(&p, 4096, 4096);
  FaultInjectionFileSystem::FaultSpec fault;
  fault.op = FaultInjectionFileSystem::OpKind::kRead;
  fault.count = -1;
  fault_fs_->InjectFault(fault);
  std::string out;
  // The third block in sequence is read directly (failing), or the window
  // issued after it fails when the fourth is read from it.
  Status s = p.Read(8192, 4096, &out);
  if (s.ok()) s = p.Read(12288, 4096, &out);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  fault_fs_->ClearFaults();
  ReadAndCheck(&p, 16384, 4096);
  ReadAndCheck(&p, 20480, 4096);
}

INSTANTIATE_TEST_SUITE_P(FileSystems, BlockPrefetcherTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IoUring" : "InMemory"; });

}  // namespace
}  // namespace synapsed
