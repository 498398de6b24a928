// The ReadQueue contract (file_system.h), run against every queue we have:
// the synchronous default (FileSystem::Default()), the io_uring one, each
// with and without O_DIRECT files, and the shuffling queue of the in-memory
// FaultInjectionFileSystem. Then what only one of them promises: the
// fault file system's shuffled, seeded order and per-request faults, and
// the io_uring queue's fallbacks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "io/fault_injection_fs.h"
#include "synapsed/file_system.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

enum class Backend { kDefault, kIoUring, kFault };

struct QueueParam {
  Backend backend;
  bool direct;  // files opened with FileOptions::use_direct_io
  const char* name;
};
void PrintTo(const QueueParam& param, std::ostream* os) { *os << param.name; }

// A request with the memory it owns and what it must read.
struct OwnedRead {
  ReadRequest req;
  std::vector<char> scratch;
  std::string expected;
  int reaped = 0;
};

// What RandomAccessFile::Read returns for data at (offset, n).
std::string Expected(const std::string& data, uint64_t offset, size_t n) {
  if (offset >= data.size()) return std::string();
  return data.substr(static_cast<size_t>(offset), n);
}

// Forwards to another file, as a wrapping FileSystem's file would (so it
// is not one of the io_uring queue's own files). A read at fail_offset
// fails.
class WrappedFile final : public RandomAccessFile {
 public:
  explicit WrappedFile(const RandomAccessFile* inner, uint64_t fail_offset = UINT64_MAX)
      : inner_(inner), fail_offset_(fail_offset) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    if (offset == fail_offset_) {
      *result = std::string_view();
      return Status::IOError("wrapped read", "failed on purpose");
    }
    return inner_->Read(offset, n, result, scratch);
  }

 private:
  const RandomAccessFile* const inner_;
  const uint64_t fail_offset_;
};

class ReadQueueTest : public testing::TestWithParam<QueueParam> {
 protected:
  void SetUp() override {
    switch (GetParam().backend) {
      case Backend::kDefault:
        fs_ = FileSystem::Default();
        dir_ = temp_.path();
        break;
      case Backend::kIoUring: {
        Status s = FileSystem::IoUring(&fs_);
        if (s.IsNotSupported()) GTEST_SKIP() << s.ToString();
        ASSERT_TRUE(s.ok()) << s.ToString();
        dir_ = temp_.path();
        break;
      }
      case Backend::kFault:
        fault_fs_ = std::make_shared<FaultInjectionFileSystem>();
        fault_fs_->SetReadQueueSeed(1234);
        fs_ = fault_fs_;
        dir_ = "/rq";
        ASSERT_TRUE(fs_->CreateDirIfMissing(dir_).ok());
        break;
    }
    // A file system that refuses O_DIRECT says so at open: nothing to test.
    WriteFile("probe", "x");
    std::unique_ptr<RandomAccessFile> probe;
    Status s = fs_->NewRandomAccessFileWithOptions(Path("probe"), Options(), &probe);
    if (s.IsNotSupported()) GTEST_SKIP() << s.ToString();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  FileOptions Options() const { return FileOptions{GetParam().direct, false}; }

  void WriteFile(const std::string& name, const std::string& data) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_->NewWritableFile(Path(name), &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    ASSERT_TRUE(f->Close().ok());
  }

  // Writes size random bytes to name and opens it for the queue.
  std::string MakeFile(const std::string& name, size_t size, std::unique_ptr<RandomAccessFile>* f) {
    std::string data = test::RandomBytes(&rnd_, size);
    WriteFile(name, data);
    Status s = fs_->NewRandomAccessFileWithOptions(Path(name), Options(), f);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return data;
  }

  // A block-aligned offset in [0, size + 8 KiB].
  uint64_t AlignedOffset(size_t size) { return 4096 * rnd_.Uniform(size / 4096 + 3); }

  std::unique_ptr<ReadQueue> NewQueue(size_t depth) {
    std::unique_ptr<ReadQueue> q;
    Status s = fs_->NewReadQueue(depth, &q);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(depth, q ? q->depth() : 0);
    return q;
  }

  static void Prepare(OwnedRead* r, const RandomAccessFile* file, const std::string& data,
                      uint64_t offset, size_t n) {
    // A pattern, so a result that does not come from the read shows.
    r->scratch.assign(n + 1, '\xA5');
    r->req.file = file;
    r->req.offset = offset;
    r->req.size = n;
    r->req.scratch = r->scratch.data();
    r->req.tag = r;
    r->expected = Expected(data, offset, n);
  }

  // Adds every read, then reaps until pending() is 0, checking the
  // accounting after each call; waits or not at random.
  void RunBatch(ReadQueue* q, std::vector<OwnedRead>* reads) {
    for (OwnedRead& r : *reads) {
      ASSERT_LT(q->pending(), q->depth());
      q->Add(&r.req);
    }
    ASSERT_EQ(reads->size(), q->pending());
    if (rnd_.OneIn(2)) q->Submit();
    size_t left = reads->size();
    while (left > 0) {
      const bool wait = rnd_.OneIn(2);
      ReadRequest* req = q->Reap(wait);
      if (req == nullptr) {
        ASSERT_FALSE(wait) << "Reap(true) returned null with " << left << " pending";
        continue;
      }
      OwnedRead* r = static_cast<OwnedRead*>(req->tag);
      ASSERT_EQ(&r->req, req);
      ASSERT_EQ(1, ++r->reaped) << "reaped twice";
      left--;
      ASSERT_EQ(left, q->pending());
    }
    EXPECT_EQ(nullptr, q->Reap(false));
    EXPECT_EQ(nullptr, q->Reap(true));
  }

  static void ExpectRead(const OwnedRead& r) {
    ASSERT_EQ(1, r.reaped);
    ASSERT_TRUE(r.req.status.ok()) << r.req.status.ToString();
    if (!r.req.result.empty()) {
      EXPECT_EQ(r.scratch.data(), r.req.result.data());
    }
    EXPECT_EQ(r.expected.size(), r.req.result.size()) << "offset " << r.req.offset;
    EXPECT_TRUE(r.req.result == r.expected) << "offset " << r.req.offset << " size " << r.req.size;
  }

  // Reads every (offset, size) pair of file data in batches of depth.
  void ReadAll(const RandomAccessFile* f, const std::string& data,
               const std::vector<std::pair<uint64_t, size_t>>& spans, size_t depth) {
    auto q = NewQueue(depth);
    for (size_t i = 0; i < spans.size(); i += depth) {
      std::vector<OwnedRead> reads(std::min(depth, spans.size() - i));
      for (size_t j = 0; j < reads.size(); j++) {
        Prepare(&reads[j], f, data, spans[i + j].first, spans[i + j].second);
      }
      RunBatch(q.get(), &reads);
      for (const OwnedRead& r : reads) ExpectRead(r);
    }
  }

  test::TempDir temp_{"read_queue_test"};
  std::shared_ptr<FileSystem> fs_;
  std::shared_ptr<FaultInjectionFileSystem> fault_fs_;
  std::string dir_;
  Random rnd_{301};
};

TEST_P(ReadQueueTest, EmptyQueueReapsNull) {
  auto q = NewQueue(4);
  EXPECT_EQ(0u, q->pending());
  EXPECT_EQ(nullptr, q->Reap(false));
  EXPECT_EQ(nullptr, q->Reap(true));
  q->Submit();
  EXPECT_EQ(nullptr, q->Reap(true));
  std::unique_ptr<ReadQueue> none;
  EXPECT_TRUE(fs_->NewReadQueue(0, &none).IsInvalidArgument());
}

TEST_P(ReadQueueTest, RandomBatchesMatchTheFile) {
  const size_t sizes[] = {0, 1, 4096, 4097, 8192, 300000 + 123};
  std::vector<std::unique_ptr<RandomAccessFile>> files(std::size(sizes));
  std::vector<std::string> data(std::size(sizes));
  for (size_t i = 0; i < files.size(); i++) {
    data[i] = MakeFile("f" + std::to_string(i), sizes[i], &files[i]);
  }
  const size_t depth = 16;
  auto q = NewQueue(depth);
  for (int batch = 0; batch < 40; batch++) {
    std::vector<OwnedRead> reads(1 + rnd_.Uniform(depth));
    for (OwnedRead& r : reads) {
      const size_t i = rnd_.Uniform(files.size());
      // Offsets up to past the end; sizes from 0 to tens of KiB.
      const uint64_t offset =
          rnd_.OneIn(4) ? AlignedOffset(data[i].size()) : rnd_.Uniform(data[i].size() + 10000);
      const size_t n = rnd_.OneIn(8) ? 0 : rnd_.Skewed(17);
      Prepare(&r, files[i].get(), data[i], offset, n);
    }
    RunBatch(q.get(), &reads);
    for (const OwnedRead& r : reads) ExpectRead(r);
  }
}

// Regression (UBSan): a 0-byte read of a direct file at an aligned offset
// spans no block, so no bounce buffer was ever allocated, and copying the
// 0 bytes out passed memcpy a null source (posix and io_uring alike).
TEST_P(ReadQueueTest, ZeroSizeReadsAreEmpty) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("z", 10000, &f);
  ReadAll(f.get(), data,
          {{0, 0}, {1, 0}, {4096, 0}, {9999, 0}, {10000, 0}, {12288, 0}, {1u << 30, 0}}, 4);
}

TEST_P(ReadQueueTest, ReadsPastTheEndAreShort) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("eof", 10000, &f);
  ReadAll(f.get(), data,
          {{9000, 4096},
           {9999, 1},
           {9999, 2},
           {10000, 10},
           {0, 20000},
           {8192, 4096},
           {12288, 4096},
           {10001, 1},
           {1u << 30, 100}},
          3);
  std::unique_ptr<RandomAccessFile> empty;
  const std::string none = MakeFile("empty", 0, &empty);
  ReadAll(empty.get(), none, {{0, 1}, {0, 4096}, {5, 5}}, 2);
}

// O_DIRECT wants aligned offsets, sizes and buffers; callers give none of
// them (the scratch of a std::vector<char> is not 4 KiB aligned either).
TEST_P(ReadQueueTest, UnalignedReads) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("u", 65536 + 100, &f);
  std::vector<std::pair<uint64_t, size_t>> spans;
  for (uint64_t offset : {0, 1, 511, 4095, 4096, 4097, 8191, 65535, 65536 + 99}) {
    for (size_t n : {1, 2, 511, 4095, 4096, 4097, 12289}) spans.emplace_back(offset, n);
  }
  ReadAll(f.get(), data, spans, 8);
  // A file that ends on a 512-byte boundary but not a 4 KiB one: a direct
  // read aligned to 512 bytes gets all it asked for up to the end, and
  // must then stop at the 0 the next read returns.
  std::unique_ptr<RandomAccessFile> g;
  const std::string sector_data = MakeFile("s", 65536 + 512, &g);
  spans.clear();
  for (uint64_t offset : {65024, 65535, 65536, 66047, 66048, 66049}) {
    for (size_t n : {1, 512, 513, 4096, 8192}) spans.emplace_back(offset, n);
  }
  // Reads past the size a thread's reused bounce buffer keeps, between
  // ones below it.
  spans.emplace_back(0, size_t{1} << 20);
  spans.emplace_back(511, 300000);
  spans.emplace_back(4097, 100);
  ReadAll(g.get(), sector_data, spans, 8);
}

TEST_P(ReadQueueTest, FullDepthBatchesAndPendingAccounting) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("full", 200000, &f);
  const size_t depth = 32;
  auto q = NewQueue(depth);
  for (int round = 0; round < 3; round++) {
    std::vector<OwnedRead> reads(depth);
    for (size_t i = 0; i < depth; i++) {
      Prepare(&reads[i], f.get(), data, i * 6000 + round, 5000 + i);
    }
    RunBatch(q.get(), &reads);  // checks pending() after every Add and Reap
    for (const OwnedRead& r : reads) ExpectRead(r);
  }
}

TEST_P(ReadQueueTest, ManyFilesInOneBatch) {
  const int kFiles = 40;
  std::vector<std::unique_ptr<RandomAccessFile>> files(kFiles);
  std::vector<std::string> data(kFiles);
  for (int i = 0; i < kFiles; i++) {
    data[i] = MakeFile("m" + std::to_string(i), 1000 + 777 * i, &files[i]);
  }
  const size_t depth = 64;
  auto q = NewQueue(depth);
  std::vector<OwnedRead> reads(depth);
  for (size_t j = 0; j < depth; j++) {
    const size_t i = j % kFiles;
    Prepare(&reads[j], files[i].get(), data[i], rnd_.Uniform(data[i].size()), 1 + j * 100);
  }
  RunBatch(q.get(), &reads);
  for (const OwnedRead& r : reads) ExpectRead(r);
}

TEST_P(ReadQueueTest, ReapWithoutWaitingThenWaiting) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("nw", 100000, &f);
  auto q = NewQueue(8);
  std::vector<OwnedRead> reads(8);
  for (size_t i = 0; i < reads.size(); i++) Prepare(&reads[i], f.get(), data, i * 9999, 3000);
  for (OwnedRead& r : reads) q->Add(&r.req);
  q->Submit();
  size_t reaped = 0;
  // Whatever is done now, then the rest by waiting: together, each once.
  while (ReadRequest* req = q->Reap(false)) {
    static_cast<OwnedRead*>(req->tag)->reaped++;
    reaped++;
  }
  EXPECT_EQ(reads.size() - reaped, q->pending());
  while (q->pending() > 0) {
    ReadRequest* req = q->Reap(true);
    ASSERT_NE(nullptr, req);
    static_cast<OwnedRead*>(req->tag)->reaped++;
  }
  for (const OwnedRead& r : reads) ExpectRead(r);
}

// Regression: the io_uring queue reads a file that is not its own (one
// wrapped by another FileSystem) at once, and freed its slot then, so
// pending() stopped counting it before it was reaped; a caller that reaps
// while pending() > 0 never saw it.
TEST_P(ReadQueueTest, WrappedFilesInTheSameBatch) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("w", 50000, &f);
  WrappedFile wrapped(f.get());
  auto q = NewQueue(10);
  std::vector<OwnedRead> reads(10);
  for (size_t i = 0; i < reads.size(); i++) {
    Prepare(&reads[i], i % 2 ? &wrapped : f.get(), data, i * 5001, 4000);
  }
  q->Add(&reads[1].req);
  EXPECT_EQ(1u, q->pending());
  ReadRequest* first = q->Reap(true);
  ASSERT_EQ(&reads[1].req, first);
  reads[1].reaped = 0;  // RunBatch below adds it again
  EXPECT_EQ(0u, q->pending());
  RunBatch(q.get(), &reads);
  for (const OwnedRead& r : reads) ExpectRead(r);
}

TEST_P(ReadQueueTest, OneFailedReadFailsNothingElse) {
  std::unique_ptr<RandomAccessFile> f;
  const std::string data = MakeFile("e", 50000, &f);
  WrappedFile failing(f.get(), /*fail_offset=*/777);
  auto q = NewQueue(9);
  std::vector<OwnedRead> reads(9);
  for (size_t i = 0; i < reads.size(); i++) {
    const bool bad = i == 4;
    Prepare(&reads[i], bad ? &failing : f.get(), data, bad ? 777 : i * 4000 + 1, 4000);
  }
  RunBatch(q.get(), &reads);
  for (size_t i = 0; i < reads.size(); i++) {
    if (i == 4) {
      EXPECT_TRUE(reads[i].req.status.IsIOError()) << reads[i].req.status.ToString();
    } else {
      ExpectRead(reads[i]);
    }
  }
}

// Destroying a queue with reads in flight (data synced and dropped from the
// page cache, so the reads go to the device) and one added but never
// submitted: no hang, no crash (ASan), no scratch written once the
// destructor returns, the unsubmitted read never done, the file still fine.
// (Whether io_uring's destructor really waits cannot be seen from here:
// tearing the ring down runs the pending completions anyway.)
TEST_P(ReadQueueTest, DestroyWithReadsInFlight) {
  const size_t kRead = 512 * 1024;
  const std::string data = test::RandomBytes(&rnd_, 8 * kRead);
  {
    std::unique_ptr<WritableFile> w;
    ASSERT_TRUE(fs_->NewWritableFile(Path("inflight"), &w).ok());
    ASSERT_TRUE(w->Append(data).ok());
    ASSERT_TRUE(w->Sync().ok());
    ASSERT_TRUE(w->Close().ok());
  }
  if (GetParam().backend != Backend::kFault) {
    const int fd = ::open(Path("inflight").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(0, ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
    ::close(fd);
  }
  std::unique_ptr<RandomAccessFile> f;
  ASSERT_TRUE(fs_->NewRandomAccessFileWithOptions(Path("inflight"), Options(), &f).ok());
  std::vector<OwnedRead> reads(8);
  auto q = NewQueue(reads.size() + 1);
  for (size_t i = 0; i < reads.size(); i++) {
    Prepare(&reads[i], f.get(), data, i * kRead, kRead);
    q->Add(&reads[i].req);
  }
  q->Submit();
  OwnedRead unsubmitted;  // added, never submitted: must not be read either
  Prepare(&unsubmitted, f.get(), data, 0, 100);
  q->Add(&unsubmitted.req);
  q.reset();
  std::vector<std::vector<char>> after;
  for (const OwnedRead& r : reads) after.push_back(r.scratch);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (size_t i = 0; i < reads.size(); i++) {
    EXPECT_TRUE(after[i] == reads[i].scratch) << "read " << i << " landed after the queue died";
  }
  EXPECT_EQ(std::vector<char>(101, '\xA5'), unsubmitted.scratch);
  // The file is still fine for a new queue.
  ReadAll(f.get(), data, {{0, 10}, {kRead - 1, 2}}, 2);
}

std::string ParamName(const testing::TestParamInfo<QueueParam>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllQueues, ReadQueueTest,
                         testing::Values(QueueParam{Backend::kDefault, false, "Default"},
                                         QueueParam{Backend::kDefault, true, "DefaultDirect"},
                                         QueueParam{Backend::kIoUring, false, "IoUring"},
                                         QueueParam{Backend::kIoUring, true, "IoUringDirect"},
                                         QueueParam{Backend::kFault, false, "Fault"},
                                         QueueParam{Backend::kFault, true, "FaultDirect"}),
                         ParamName);

// ---- the fault-injecting file system's queue --------------------------------

using OpKind = FaultInjectionFileSystem::OpKind;
using Errno = FaultInjectionFileSystem::Errno;

class FaultReadQueueTest : public testing::Test {
 protected:
  FaultReadQueueTest() {
    EXPECT_TRUE(fs_.CreateDirIfMissing("/db").ok());
    for (const char* name : {"/db/a", "/db/b", "/db/c"}) {
      EXPECT_TRUE(fs_.WriteFileFromString(name, std::string(1000, name[4]), false).ok());
      std::unique_ptr<RandomAccessFile> f;
      EXPECT_TRUE(fs_.NewRandomAccessFile(name, &f).ok());
      files_.push_back(std::move(f));
    }
  }

  // n reads of 10 bytes, spread over the three files; tag = add index.
  std::vector<ReadRequest> Requests(size_t n) {
    std::vector<ReadRequest> reqs(n);
    scratch_.assign(n, std::vector<char>(10));
    for (size_t i = 0; i < n; i++) {
      reqs[i].file = files_[i % files_.size()].get();
      reqs[i].offset = i;
      reqs[i].size = 10;
      reqs[i].scratch = scratch_[i].data();
      reqs[i].tag = reinterpret_cast<void*>(i);
    }
    return reqs;
  }

  // The add indexes in completion order, for one queue made after seed.
  std::vector<size_t> CompletionOrder(uint64_t seed, size_t n) {
    fs_.SetReadQueueSeed(seed);
    std::unique_ptr<ReadQueue> q;
    EXPECT_TRUE(fs_.NewReadQueue(n, &q).ok());
    std::vector<ReadRequest> reqs = Requests(n);
    for (ReadRequest& r : reqs) q->Add(&r);
    std::vector<size_t> order;
    while (ReadRequest* r = q->Reap(true)) {
      EXPECT_TRUE(r->status.ok()) << r->status.ToString();
      order.push_back(reinterpret_cast<size_t>(r->tag));
    }
    return order;
  }

  FaultInjectionFileSystem fs_;
  std::vector<std::unique_ptr<RandomAccessFile>> files_;
  std::vector<std::vector<char>> scratch_;
};

TEST_F(FaultReadQueueTest, InjectedReadFaultFailsExactlyOneRequest) {
  // By path: the one request on /db/b that the fault matches first.
  fs_.InjectFault({.op = OpKind::kRead,
                   .path_substring = "/db/b",
                   .error = Errno::kEIO,
                   .skip = 0,
                   .count = 1});
  std::unique_ptr<ReadQueue> q;
  ASSERT_TRUE(fs_.NewReadQueue(12, &q).ok());
  std::vector<ReadRequest> reqs = Requests(12);
  for (ReadRequest& r : reqs) q->Add(&r);
  int failed = 0;
  while (ReadRequest* r = q->Reap(true)) {
    const size_t i = reinterpret_cast<size_t>(r->tag);  // read i is of file i % 3
    if (r->status.ok()) {
      EXPECT_EQ(std::string(10, static_cast<char>('a' + i % 3)), r->result);
      continue;
    }
    failed++;
    EXPECT_EQ(1u, i % 3) << "the fault names /db/b";
    EXPECT_TRUE(r->status.IsIOError());
    EXPECT_NE(std::string::npos, r->status.ToString().find("injected")) << r->status.ToString();
    EXPECT_TRUE(r->result.empty());
  }
  EXPECT_EQ(1, failed);

  // Any path, after two that succeed, ENOSPC: again exactly one.
  fs_.InjectFault(
      {.op = OpKind::kRead, .path_substring = "", .error = Errno::kENOSPC, .skip = 2, .count = 1});
  reqs = Requests(12);
  for (ReadRequest& r : reqs) q->Add(&r);
  failed = 0;
  while (ReadRequest* r = q->Reap(true)) failed += r->status.IsNoSpace() ? 1 : 0;
  EXPECT_EQ(1, failed);
}

TEST_F(FaultReadQueueTest, CompletionOrderIsShuffledAndReproducible) {
  const size_t n = 16;
  std::vector<size_t> added(n);
  for (size_t i = 0; i < n; i++) added[i] = i;
  std::set<std::vector<size_t>> orders;
  for (uint64_t seed = 0; seed < 8; seed++) {
    std::vector<size_t> order = CompletionOrder(seed, n);
    EXPECT_EQ(order, CompletionOrder(seed, n)) << "seed " << seed;
    std::vector<size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(added, sorted) << "each request reaped exactly once";
    EXPECT_NE(added, order) << "seed " << seed << " completed in the order added";
    orders.insert(order);
  }
  EXPECT_GT(orders.size(), 1u) << "every seed gave the same order";
}

TEST_F(FaultReadQueueTest, ReapWithoutWaitingSometimesFindsNothingDone) {
  std::unique_ptr<ReadQueue> q;
  ASSERT_TRUE(fs_.NewReadQueue(1, &q).ok());
  std::vector<ReadRequest> reqs = Requests(1);
  int nulls = 0;
  for (int round = 0; round < 50; round++) {
    q->Add(&reqs[0]);
    ReadRequest* r;
    while ((r = q->Reap(false)) == nullptr) {
      nulls++;
      EXPECT_EQ(1u, q->pending());
    }
    EXPECT_EQ(&reqs[0], r);
    EXPECT_EQ(0u, q->pending());
  }
  EXPECT_GT(nulls, 0);
}

TEST_F(FaultReadQueueTest, ReadsOfHandlesFromBeforeACrashFail) {
  std::unique_ptr<ReadQueue> q;
  ASSERT_TRUE(fs_.NewReadQueue(3, &q).ok());
  std::vector<ReadRequest> reqs = Requests(3);
  for (ReadRequest& r : reqs) q->Add(&r);
  q->Submit();
  fs_.SimulateCrash(FaultInjectionFileSystem::CrashMode::kDropUnsynced, 0);
  int crashed = 0;
  while (ReadRequest* r = q->Reap(true)) {
    crashed += r->status.ToString().find("file system crashed") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(3, crashed);
}

// ---- the io_uring queue's fallbacks ------------------------------------------

// Descriptors 0..255 that are open.
std::vector<int> OpenDescriptors() {
  std::vector<int> fds;
  for (int fd = 0; fd < 256; fd++) {
    if (::fcntl(fd, F_GETFD) >= 0) fds.push_back(fd);
  }
  return fds;
}

// Regression: when the ring of a new queue could not be set up (here: a
// depth above the kernel's 32768 entries), the io_uring file system fell
// back to a synchronous queue, but the failed queue's destructor still tore
// down its never-initialized ring, closing descriptor 0 -- whatever file
// (a table, the LOCK) held that number.
TEST(IoUringReadQueueTest, RingSetupFailureClosesNoDescriptor) {
  std::shared_ptr<FileSystem> fs;
  Status s = FileSystem::IoUring(&fs);
  if (s.IsNotSupported()) GTEST_SKIP() << s.ToString();
  ASSERT_TRUE(s.ok()) << s.ToString();
  int held = -1;
  if (::fcntl(0, F_GETFD) < 0) held = ::open("/dev/null", O_RDONLY);  // takes 0
  const std::vector<int> before = OpenDescriptors();
  ASSERT_FALSE(before.empty());
  ASSERT_EQ(0, before[0]);
  std::unique_ptr<ReadQueue> q;
  ASSERT_TRUE(fs->NewReadQueue(65536, &q).ok());
  EXPECT_EQ(before, OpenDescriptors());

  test::TempDir dir("read_queue_test");
  {
    std::unique_ptr<WritableFile> w;
    ASSERT_TRUE(fs->NewWritableFile(dir.path() + "/f", &w).ok());
    ASSERT_TRUE(w->Append("0123456789").ok());
    ASSERT_TRUE(w->Close().ok());
  }
  std::unique_ptr<RandomAccessFile> f;
  ASSERT_TRUE(fs->NewRandomAccessFile(dir.path() + "/f", &f).ok());
  char scratch[4];
  ReadRequest req;
  req.file = f.get();
  req.offset = 3;
  req.size = 4;
  req.scratch = scratch;
  q->Add(&req);
  ASSERT_EQ(&req, q->Reap(true));
  ASSERT_TRUE(req.status.ok()) << req.status.ToString();
  EXPECT_EQ("3456", req.result);
  if (held >= 0) ::close(held);
}

}  // namespace
}  // namespace synapsed
