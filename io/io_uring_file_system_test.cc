// WritableFile under every FileOptions combination, on the posix file
// system (FileSystem::Default()) and the io_uring one: use_direct_io x
// write_behind. What the engine relies on (file_system.h): after Flush or
// Sync the file holds exactly the bytes appended, Size() counts them all,
// Close ends the file, and a failed write is reported -- by write-behind
// files, from every later call (sticky), even once the device would take
// the bytes again.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "synapsed/file_system.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

constexpr size_t kMiB = 1 << 20;

struct WriteParam {
  bool io_uring;
  bool direct;
  bool write_behind;
  const char* name;
};
void PrintTo(const WriteParam& param, std::ostream* os) { *os << param.name; }

// Makes writes past limit_bytes fail with EFBIG (RLIMIT_FSIZE, SIGXFSZ
// ignored) until Restore() or destruction. The limit is the process's, so
// it holds for io_uring's workers too.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t limit_bytes) {
    getrlimit(RLIMIT_FSIZE, &old_limit_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = old_limit_;
    limit.rlim_cur = limit_bytes;
    active_ = setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() { Restore(); }
  bool active() const { return active_; }
  void Restore() {
    if (!active_) return;
    setrlimit(RLIMIT_FSIZE, &old_limit_);
    signal(SIGXFSZ, old_handler_);
    active_ = false;
  }

 private:
  struct rlimit old_limit_ = {};
  sighandler_t old_handler_ = SIG_DFL;
  bool active_ = false;
};

class WritableFileTest : public testing::TestWithParam<WriteParam> {
 protected:
  void SetUp() override {
    if (GetParam().io_uring) {
      Status s = FileSystem::IoUring(&fs_);
      if (s.IsNotSupported()) GTEST_SKIP() << s.ToString();
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    std::unique_ptr<WritableFile> probe;
    Status s = Open("probe", &probe);
    if (s.IsNotSupported()) GTEST_SKIP() << s.ToString();  // no O_DIRECT here
    ASSERT_TRUE(s.ok()) << s.ToString();
    // A pool to cut appended pieces from: random bytes are slow to make.
    pool_ = test::RandomBytes(&rnd_, 3 * kMiB);
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  FileOptions Options() const { return FileOptions{GetParam().direct, GetParam().write_behind}; }
  bool Sticky() const { return GetParam().io_uring && GetParam().write_behind; }

  Status Open(const std::string& name, std::unique_ptr<WritableFile>* f) {
    return fs_->NewWritableFileWithOptions(Path(name), Options(), f);
  }

  // n bytes cut from the pool at a random place.
  std::string Piece(size_t n) { return pool_.substr(rnd_.Uniform(pool_.size() - n + 1), n); }

  // 0 bytes up to more than 2 MiB, around the 4 KiB blocks and 1 MiB buffers.
  size_t RandomAppendSize() {
    switch (rnd_.Uniform(10)) {
      case 0:
        return 0;
      case 1:
      case 2:
      case 3:
        return rnd_.Uniform(100);
      case 4:
      case 5:
        return rnd_.Uniform(8193);
      case 6: {
        const size_t edges[] = {4095, 4096, 4097, kMiB - 1, kMiB, kMiB + 1};
        return edges[rnd_.Uniform(std::size(edges))];
      }
      case 7:
      case 8:
        return rnd_.Uniform(kMiB + 1);
      default:
        return 2 * kMiB + rnd_.Uniform(300000);
    }
  }

  // The file's bytes, read with a fresh, plain (not direct) posix file.
  static std::string ReadBack(const std::string& path) {
    std::shared_ptr<FileSystem> fs = FileSystem::Default();
    uint64_t size = 0;
    EXPECT_TRUE(fs->GetFileSize(path, &size).ok());
    std::unique_ptr<RandomAccessFile> f;
    EXPECT_TRUE(fs->NewRandomAccessFile(path, &f).ok());
    if (f == nullptr) return "<unreadable>";
    std::string scratch(size + 1, '\0');
    std::string_view result;
    EXPECT_TRUE(f->Read(0, scratch.size(), &result, scratch.data()).ok());
    return std::string(result);
  }

  // After Flush or Sync: the file is exactly what was appended.
  void ExpectFileIs(const std::string& name, const WritableFile& f, const std::string& expected) {
    uint64_t size = 0;
    ASSERT_TRUE(fs_->GetFileSize(Path(name), &size).ok());
    EXPECT_EQ(expected.size(), size);
    EXPECT_EQ(expected.size(), f.Size());
    EXPECT_TRUE(ReadBack(Path(name)) == expected) << "contents differ at size " << size;
  }

  // The first failure reported, then the rest of a sticky file's life:
  // every call returns that failure, even once the limit is lifted (a
  // sync after a lost write must never succeed). Other files may retry.
  void ExpectStickyFailure(const Status& first, FileSizeLimit* limit, WritableFile* f,
                           const std::string& path) {
    EXPECT_TRUE(first.IsIOError()) << first.ToString();
    EXPECT_NE(std::string::npos, first.ToString().find(dir_.path())) << first.ToString();
    if (!Sticky()) {
      limit->Restore();
      f->Close().PermitUncheckedError();  // posix files retry; not what is tested
      return;
    }
    const std::string error = first.ToString();
    EXPECT_EQ(error, f->Append("x").ToString());
    EXPECT_EQ(error, f->Flush().ToString());
    EXPECT_EQ(error, f->Sync().ToString());
    limit->Restore();
    EXPECT_EQ(error, f->Append("x").ToString());
    EXPECT_EQ(error, f->Sync().ToString());
    EXPECT_EQ(error, f->Flush().ToString());
    EXPECT_EQ(error, f->Close().ToString());
    EXPECT_TRUE(f->Sync().IsIOError());  // closed now
    // Closed means done: no write of the file's lands after Close returns.
    const std::string closed = ReadBack(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(closed == ReadBack(path)) << "the file changed after Close";
  }

  test::TempDir dir_{"writable_file_test"};
  std::shared_ptr<FileSystem> fs_ = FileSystem::Default();
  Random rnd_{301};
  std::string pool_;
};

TEST_P(WritableFileTest, RandomAppendsFlushesAndSyncsReadBack) {
  for (int round = 0; round < 3; round++) {
    const std::string name = "random" + std::to_string(round);
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(Open(name, &f).ok());
    std::string expected;
    int checks = 0;
    for (int op = 0; op < 60 && expected.size() < 12 * kMiB; op++) {
      const std::string piece = Piece(RandomAppendSize());
      ASSERT_TRUE(f->Append(piece).ok()) << "append of " << piece.size();
      expected += piece;
      ASSERT_EQ(expected.size(), f->Size());
      const uint64_t what = rnd_.Uniform(6);
      if (what > 1) continue;
      Status s = what == 0 ? f->Flush() : f->Sync();
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_NO_FATAL_FAILURE(ExpectFileIs(name, *f, expected)) << "after op " << op;
      checks++;
    }
    EXPECT_GT(checks, 3);
    ASSERT_TRUE(f->Close().ok());
    EXPECT_EQ(expected.size(), f->Size());
    f.reset();
    uint64_t size = 0;
    ASSERT_TRUE(fs_->GetFileSize(Path(name), &size).ok());
    EXPECT_EQ(expected.size(), size);
    EXPECT_TRUE(ReadBack(Path(name)) == expected);
    // And through the same file system and options (direct reads if so).
    std::unique_ptr<RandomAccessFile> r;
    ASSERT_TRUE(fs_->NewRandomAccessFileWithOptions(Path(name), Options(), &r).ok());
    std::string scratch(expected.size() + 4096, '\0');
    std::string_view got;
    ASSERT_TRUE(r->Read(0, scratch.size(), &got, scratch.data()).ok());
    EXPECT_TRUE(got == expected);
  }
}

TEST_P(WritableFileTest, CallsAfterCloseFail) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Open("closed", &f).ok());
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Close().ok());
  for (const Status& s : {f->Append("x"), f->Flush(), f->Sync(), f->Close()}) {
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("closed")) << s.ToString();
  }
  EXPECT_EQ(3u, f->Size());
  EXPECT_EQ("abc", ReadBack(Path("closed")));
}

TEST_P(WritableFileTest, DestructorWritesEverything) {
  const std::string data = Piece(kMiB + kMiB / 2 + 100);
  {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(Open("unclosed", &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    ASSERT_TRUE(f->Flush().ok());  // a partial block already written (direct)
    ASSERT_TRUE(f->Append("tail").ok());
  }
  EXPECT_TRUE(ReadBack(Path("unclosed")) == data + "tail");
}

TEST_P(WritableFileTest, OpeningAgainTruncates) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Open("again", &f).ok());
  ASSERT_TRUE(f->Append(Piece(2 * kMiB + 5)).ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(Open("again", &f).ok());
  ASSERT_TRUE(f->Append("short").ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ("short", ReadBack(Path("again")));
}

// Writes that cross a file size limit fail (EFBIG, after a short write
// where one straddles it). Full buffers written behind the appends: the
// failure surfaces from a later Append or from Flush.
TEST_P(WritableFileTest, FailedWriteIsReported) {
  const uint64_t limit = 2 * kMiB + 3 * 4096;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Open("limited", &f).ok());
  FileSizeLimit file_size_limit(limit);
  ASSERT_TRUE(file_size_limit.active());
  Status first;
  for (int i = 0; i < 5 && first.ok(); i++) first = f->Append(Piece(kMiB));
  if (first.ok()) first = f->Flush();
  ASSERT_FALSE(first.ok()) << "5 MiB went into a file limited to " << limit << " bytes";
  ExpectStickyFailure(first, &file_size_limit, f.get(), Path("limited"));
}

// The last, partial buffer written by Sync itself (io_uring: linked to its
// fdatasync, which the kernel cancels when the write fails): Sync fails.
TEST_P(WritableFileTest, SyncOfAFailingWriteFails) {
  const uint64_t limit = 3 * 4096;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(Open("sync_limited", &f).ok());
  FileSizeLimit file_size_limit(limit);
  ASSERT_TRUE(file_size_limit.active());
  ASSERT_TRUE(f->Append(Piece(20000)).ok());  // buffered: nothing written yet
  Status first = f->Sync();
  ASSERT_FALSE(first.ok()) << "Sync wrote 20000 bytes into a file limited to " << limit;
  ExpectStickyFailure(first, &file_size_limit, f.get(), Path("sync_limited"));
}

// Regression: after a write failed, Close returned at once and the file
// (its descriptor, ring and buffers) went away while earlier writes were
// still in flight; they landed after Close returned, from freed buffers.
// Direct writes below the limit go to the device while the one past it
// fails at once, so the failure is seen with the others in flight.
TEST_P(WritableFileTest, CloseAfterAFailureWaitsForWritesInFlight) {
  const uint64_t limit = 3 * kMiB;
  for (int round = 0; round < 5; round++) {
    const std::string name = "inflight" + std::to_string(round);
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(Open(name, &f).ok());
    FileSizeLimit file_size_limit(limit);
    ASSERT_TRUE(file_size_limit.active());
    Status first;
    for (int i = 0; i < 6 && first.ok(); i++) first = f->Append(Piece(kMiB));
    if (first.ok()) first = f->Flush();
    ASSERT_FALSE(first.ok());
    f->Close().PermitUncheckedError();  // the failure, or a later one
    const std::string closed = ReadBack(Path(name));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(closed == ReadBack(Path(name))) << "the file changed after Close";
  }
}

std::string ParamName(const testing::TestParamInfo<WriteParam>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllOptions, WritableFileTest,
                         testing::Values(WriteParam{false, false, false, "Posix"},
                                         WriteParam{false, false, true, "PosixWriteBehind"},
                                         WriteParam{false, true, false, "PosixDirect"},
                                         WriteParam{false, true, true, "PosixDirectWriteBehind"},
                                         WriteParam{true, false, false, "IoUring"},
                                         WriteParam{true, false, true, "IoUringWriteBehind"},
                                         WriteParam{true, true, false, "IoUringDirect"},
                                         WriteParam{true, true, true, "IoUringDirectWriteBehind"}),
                         ParamName);

}  // namespace
}  // namespace synapsed
