// Tests of the posix FileSystem (FileSystem::Default()) against a real
// temporary directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/posix_file.h"
#include "synapsed/file_system.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {
namespace {

class PosixFileSystemTest : public testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  void WriteFile(const std::string& name, const std::string& data) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_->NewWritableFile(Path(name), &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    ASSERT_TRUE(f->Close().ok());
  }

  std::string ReadFile(const std::string& name) {
    std::unique_ptr<SequentialFile> f;
    Status s = fs_->NewSequentialFile(Path(name), &f);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return "";
    std::string out;
    std::vector<char> scratch(4096);
    while (true) {
      std::string_view chunk;
      EXPECT_TRUE(f->Read(scratch.size(), &chunk, scratch.data()).ok());
      out.append(chunk);
      if (chunk.size() < scratch.size()) break;
    }
    return out;
  }

  test::TempDir dir_{"posix_fs_test"};
  std::shared_ptr<FileSystem> fs_ = FileSystem::Default();
};

TEST_F(PosixFileSystemTest, DefaultIsOneObject) {
  EXPECT_EQ(fs_.get(), FileSystem::Default().get());
}

TEST_F(PosixFileSystemTest, WriteReadRoundTripAcrossBufferSizes) {
  Random rnd(301);
  // Pieces below, at and far above the 64 KiB buffer, so Append exercises
  // buffering, spilling and writing through.
  const size_t sizes[] = {1, 100, 65535, 1, 65536, 200000, 7, 131072, 3};
  std::string expected;
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_->NewWritableFile(Path("big"), &f).ok());
  for (size_t n : sizes) {
    std::string piece = test::RandomBytes(&rnd, n);
    ASSERT_TRUE(f->Append(piece).ok());
    expected += piece;
    EXPECT_EQ(expected.size(), f->Size());
  }
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Close().ok());
  uint64_t size = 0;
  ASSERT_TRUE(fs_->GetFileSize(Path("big"), &size).ok());
  EXPECT_EQ(expected.size(), size);
  EXPECT_EQ(expected, ReadFile("big"));
}

TEST_F(PosixFileSystemTest, SmallAppendsAreBufferedUntilFlush) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_->NewWritableFile(Path("buffered"), &f).ok());
  ASSERT_TRUE(f->Append("hello").ok());
  EXPECT_EQ(5u, f->Size());  // counts buffered bytes
  uint64_t size = 99;
  ASSERT_TRUE(fs_->GetFileSize(Path("buffered"), &size).ok());
  EXPECT_EQ(0u, size);  // still in user space
  ASSERT_TRUE(f->Flush().ok());
  ASSERT_TRUE(fs_->GetFileSize(Path("buffered"), &size).ok());
  EXPECT_EQ(5u, size);
  ASSERT_TRUE(f->Close().ok());
  EXPECT_TRUE(f->Append("x").IsIOError());
  EXPECT_TRUE(f->Close().IsIOError());
}

TEST_F(PosixFileSystemTest, DestructorFlushesAndCloses) {
  {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(fs_->NewWritableFile(Path("d"), &f).ok());
    ASSERT_TRUE(f->Append("unflushed").ok());
  }
  EXPECT_EQ("unflushed", ReadFile("d"));
}

TEST_F(PosixFileSystemTest, NewWritableFileTruncates) {
  WriteFile("t", "long old contents");
  WriteFile("t", "new");
  EXPECT_EQ("new", ReadFile("t"));
}

TEST_F(PosixFileSystemTest, SequentialReadSkipAndShortReadAtEof) {
  WriteFile("seq", "0123456789");
  std::unique_ptr<SequentialFile> f;
  ASSERT_TRUE(fs_->NewSequentialFile(Path("seq"), &f).ok());
  char scratch[16];
  std::string_view r;
  ASSERT_TRUE(f->Read(3, &r, scratch).ok());
  EXPECT_EQ("012", r);
  ASSERT_TRUE(f->Skip(2).ok());
  ASSERT_TRUE(f->Read(16, &r, scratch).ok());
  EXPECT_EQ("56789", r);  // short: end of file
  ASSERT_TRUE(f->Read(16, &r, scratch).ok());
  EXPECT_TRUE(r.empty());
  ASSERT_TRUE(f->Skip(100).ok());  // past the end: stays at the end
  ASSERT_TRUE(f->Read(16, &r, scratch).ok());
  EXPECT_TRUE(r.empty());
}

TEST_F(PosixFileSystemTest, RandomAccessReadsIncludingConcurrent) {
  Random rnd(7);
  const std::string data = test::RandomBytes(&rnd, 300000);
  WriteFile("ra", data);
  std::unique_ptr<RandomAccessFile> f;
  ASSERT_TRUE(fs_->NewRandomAccessFile(Path("ra"), &f).ok());
  std::vector<char> scratch(100);
  std::string_view r;
  ASSERT_TRUE(f->Read(1000, 100, &r, scratch.data()).ok());
  EXPECT_EQ(data.substr(1000, 100), r);
  ASSERT_TRUE(f->Read(data.size() - 10, 100, &r, scratch.data()).ok());
  EXPECT_EQ(data.substr(data.size() - 10), r);  // short at EOF
  ASSERT_TRUE(f->Read(data.size() + 5, 100, &r, scratch.data()).ok());
  EXPECT_TRUE(r.empty());

  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Random trnd(t + 1);
      std::vector<char> buf(4096);
      for (int i = 0; i < 200; i++) {
        uint64_t off = trnd.Uniform(data.size());
        std::string_view got;
        if (!f->Read(off, buf.size(), &got, buf.data()).ok() ||
            got != std::string_view(data).substr(off, buf.size())) {
          mismatches[t]++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(0, m);
}

TEST_F(PosixFileSystemTest, GetChildrenListsEntriesWithoutDots) {
  WriteFile("a", "1");
  WriteFile("b", "2");
  ASSERT_TRUE(fs_->CreateDirIfMissing(Path("sub")).ok());
  std::vector<std::string> names;
  ASSERT_TRUE(fs_->GetChildren(dir_.path(), &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ((std::vector<std::string>{"a", "b", "sub"}), names);
  Status s = fs_->GetChildren(Path("nope"), &names);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

TEST_F(PosixFileSystemTest, RenameReplacesTarget) {
  WriteFile("src", "new");
  WriteFile("dst", "old");
  ASSERT_TRUE(fs_->RenameFile(Path("src"), Path("dst")).ok());
  EXPECT_EQ("new", ReadFile("dst"));
  EXPECT_TRUE(fs_->FileExists(Path("src")).IsNotFound());
  EXPECT_TRUE(fs_->RenameFile(Path("src"), Path("dst")).IsNotFound());
}

TEST_F(PosixFileSystemTest, TruncateShrinksAndExtendsWithZeros) {
  WriteFile("tr", "abcdef");
  ASSERT_TRUE(fs_->Truncate(Path("tr"), 3).ok());
  EXPECT_EQ("abc", ReadFile("tr"));
  ASSERT_TRUE(fs_->Truncate(Path("tr"), 5).ok());
  EXPECT_EQ(std::string("abc\0\0", 5), ReadFile("tr"));
}

TEST_F(PosixFileSystemTest, MissingFileIsNotFoundNamingThePath) {
  const std::string missing = Path("missing");
  std::unique_ptr<SequentialFile> sf;
  std::unique_ptr<RandomAccessFile> rf;
  uint64_t size;
  std::vector<Status> results = {fs_->NewSequentialFile(missing, &sf),
                                 fs_->NewRandomAccessFile(missing, &rf),
                                 fs_->GetFileSize(missing, &size),
                                 fs_->RemoveFile(missing),
                                 fs_->FileExists(missing),
                                 fs_->Truncate(missing, 0)};
  for (const Status& s : results) {
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(missing)) << s.ToString();
  }
  std::unique_ptr<WritableFile> wf;
  EXPECT_TRUE(fs_->NewWritableFile(Path("nodir/x"), &wf).IsNotFound());
}

TEST_F(PosixFileSystemTest, RemoveFileAndExists) {
  WriteFile("r", "x");
  EXPECT_TRUE(fs_->FileExists(Path("r")).ok());
  ASSERT_TRUE(fs_->RemoveFile(Path("r")).ok());
  EXPECT_TRUE(fs_->FileExists(Path("r")).IsNotFound());
}

TEST_F(PosixFileSystemTest, DirectoriesCreateSyncRemove) {
  const std::string sub = Path("d1");
  ASSERT_TRUE(fs_->CreateDirIfMissing(sub).ok());
  ASSERT_TRUE(fs_->CreateDirIfMissing(sub).ok());  // already there: fine
  ASSERT_TRUE(fs_->SyncDir(sub).ok());
  ASSERT_TRUE(fs_->SyncDir(dir_.path()).ok());
  WriteFile("plain", "x");
  Status s = fs_->CreateDirIfMissing(Path("plain"));
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_TRUE(fs_->CreateDirIfMissing(Path("no/such/parent")).IsNotFound());
  WriteFile("d1/f", "x");
  EXPECT_TRUE(fs_->RemoveDir(sub).IsIOError());  // not empty
  ASSERT_TRUE(fs_->RemoveFile(sub + "/f").ok());
  ASSERT_TRUE(fs_->RemoveDir(sub).ok());
  EXPECT_TRUE(fs_->FileExists(sub).IsNotFound());
  EXPECT_TRUE(fs_->SyncDir(sub).IsNotFound());
}

TEST_F(PosixFileSystemTest, NoSpaceIsReported) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(fs_->NewWritableFile("/dev/full", &f).ok());
  ASSERT_TRUE(f->Append("x").ok());  // buffered
  Status s = f->Flush();
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("flush /dev/full")) << s.ToString();
  // The unwritten byte stays buffered; Close tries again and fails again.
  EXPECT_TRUE(f->Close().IsNoSpace());
}

TEST_F(PosixFileSystemTest, LockHeldTwiceInProcessFailsNamingThePath) {
  const std::string lock_path = Path("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_->LockFile(lock_path, &lock).ok());
  std::unique_ptr<FileLock> second;
  Status s = fs_->LockFile(lock_path, &second);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(nullptr, second);
  EXPECT_NE(std::string::npos, s.ToString().find(lock_path)) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("already held")) << s.ToString();
  lock.reset();
  ASSERT_TRUE(fs_->LockFile(lock_path, &second).ok());  // released by the destructor
}

// Regression (review): a lock keyed by the path string let "d/LOCK" and
// "d/./LOCK" both lock in one process, and closing any other descriptor of
// the file dropped the process's fcntl lock. OFD locks have neither problem.
TEST_F(PosixFileSystemTest, LockHoldsAcrossSpellingsAndOtherDescriptors) {
  const std::string lock_path = Path("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_->LockFile(lock_path, &lock).ok());
  std::unique_ptr<FileLock> other;
  EXPECT_TRUE(fs_->LockFile(dir_.path() + "/./LOCK", &other).IsIOError());
  EXPECT_TRUE(fs_->LockFile(dir_.path() + "//LOCK", &other).IsIOError());
  {
    std::unique_ptr<SequentialFile> reader;
    ASSERT_TRUE(fs_->NewSequentialFile(lock_path, &reader).ok());
  }  // closing this descriptor must not release the lock
  EXPECT_TRUE(fs_->LockFile(lock_path, &other).IsIOError());
}

// The child process tries the lock while the parent holds it, then again
// after the parent released it, and reports through its exit code. It is
// forked before the parent locks, so it holds no descriptor of the lock.
TEST_F(PosixFileSystemTest, LockExcludesOtherProcesses) {
  const std::string lock_path = Path("LOCK");
  int to_child[2], to_parent[2];
  ASSERT_EQ(0, pipe(to_child));
  ASSERT_EQ(0, pipe(to_parent));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: no gtest assertions here; only the exit code counts.
    char c;
    if (read(to_child[0], &c, 1) != 1) _exit(10);
    std::unique_ptr<FileLock> lock;
    Status s = fs_->LockFile(lock_path, &lock);
    int code = 0;
    if (s.ok())
      code = 1;
    else if (s.ToString().find(lock_path) == std::string::npos)
      code = 2;
    else if (s.ToString().find("another process") == std::string::npos)
      code = 3;
    if (write(to_parent[1], "x", 1) != 1) _exit(11);
    if (code != 0) _exit(code);
    if (read(to_child[0], &c, 1) != 1) _exit(12);
    s = fs_->LockFile(lock_path, &lock);
    _exit(s.ok() ? 0 : 4);
  }
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_->LockFile(lock_path, &lock).ok());
  ASSERT_EQ(1, write(to_child[1], "x", 1));
  char c;
  ASSERT_EQ(1, read(to_parent[0], &c, 1));
  lock.reset();
  ASSERT_EQ(1, write(to_child[1], "x", 1));
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1: got the lock, 2: path missing, 3: wrong reason, "
                                       "4: could not lock after release";
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
}

// Direct reads align to what the file system asks (512 bytes on ext4 and
// xfs over 512-byte-sector devices), never to less than 512 or more than the
// 4 KiB buffers are aligned to; buffered files do not align at all.
TEST_F(PosixFileSystemTest, DirectReadAlignmentIsWhatTheFileSystemReports) {
  WriteFile("a", std::string(10000, 'a'));
  const int fd = open(Path("a").c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "no O_DIRECT here";
  const size_t align = DirectReadAlignment(fd);
  EXPECT_GE(align, 512u);
  EXPECT_LE(align, kDirectIoAlignment);
  EXPECT_EQ(0u, align & (align - 1)) << align;
#ifdef STATX_DIOALIGN
  // What the kernel says, asked here directly: taken when usable.
  struct statx st {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) == 0 && (st.stx_mask & STATX_DIOALIGN)) {
    const size_t reported = st.stx_dio_offset_align;
    const bool usable = reported >= 512 && reported <= kDirectIoAlignment &&
                        (reported & (reported - 1)) == 0 && st.stx_dio_mem_align <= reported;
    EXPECT_EQ(usable ? reported : kDirectIoAlignment, align);
  }
#endif
  PosixRandomAccessFile direct(Path("a"), fd, /*direct=*/true);
  EXPECT_EQ(align, direct.read_alignment());
  // Offsets as small as the alignment are accepted by the kernel.
  char buf[16];
  std::string_view got;
  ASSERT_TRUE(direct.Read(align + 3, sizeof(buf), &got, buf).ok());
  EXPECT_EQ(std::string(sizeof(buf), 'a'), got);
  const int plain_fd = open(Path("a").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(plain_fd, 0);
  PosixRandomAccessFile plain(Path("a"), plain_fd, /*direct=*/false);
  EXPECT_EQ(1u, plain.read_alignment());
}

// ReadAligned lands a direct read in the caller's buffer: the result points
// into scratch at offset % read_alignment(), and the read wrote exactly the
// whole units around the range (AlignedReadBytes), nothing past them, so the
// span is the reported alignment's and not a coarser one. Buffered files read
// at scratch itself. Reads crossing end of file come back short.
TEST_F(PosixFileSystemTest, ReadAlignedLandsInTheCallersBufferWithoutACopy) {
  std::string contents(20000, '\0');
  Random rnd(17);
  for (char& c : contents) c = static_cast<char>('a' + rnd.Uniform(26));
  WriteFile("r", contents);
  const int fd = open(Path("r").c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "no O_DIRECT here";
  PosixRandomAccessFile direct(Path("r"), fd, /*direct=*/true);
  const int plain_fd = open(Path("r").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(plain_fd, 0);
  PosixRandomAccessFile plain(Path("r"), plain_fd, /*direct=*/false);
  const size_t align = direct.read_alignment();
  constexpr char kUntouched = '#';
  for (const PosixRandomAccessFile* file : {&direct, &plain}) {
    const size_t a = file->read_alignment();
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{align - 1}, uint64_t{align},
                            uint64_t{3 * align + 7}, uint64_t{19990}, uint64_t{20000}}) {
      for (size_t n : {size_t{0}, size_t{1}, size_t{100}, align, size_t{2500}, size_t{9000}}) {
        const size_t span = file->AlignedReadBytes(offset, n);
        EXPECT_EQ(0u, span % a);
        EXPECT_LE(offset % a + n, span);
        EXPECT_GT(offset % a + n + a, span);
        std::unique_ptr<char, void (*)(void*)> buf(
            static_cast<char*>(std::aligned_alloc(
                kDirectIoAlignment, AlignUp(span, kDirectIoAlignment) + kDirectIoAlignment)),
            std::free);
        std::fill_n(buf.get(), span + kDirectIoAlignment, kUntouched);
        std::string_view got;
        ASSERT_TRUE(file->ReadAligned(offset, n, &got, buf.get()).ok()) << offset << " " << n;
        const size_t want =
            offset >= contents.size() ? 0 : std::min<size_t>(n, contents.size() - offset);
        EXPECT_EQ(contents.substr(std::min<size_t>(offset, contents.size()), want), got)
            << offset << " " << n;
        if (want > 0) {
          EXPECT_EQ(buf.get() + offset % a, got.data()) << offset << " " << n;
        }
        EXPECT_EQ(std::string(kDirectIoAlignment, kUntouched),
                  std::string(buf.get() + span, kDirectIoAlignment))
            << "read past the aligned span: offset " << offset << " n " << n;
      }
    }
  }
}

TEST_F(PosixFileSystemTest, DescriptorsAreCloseOnExec) {
  WriteFile("c", "x");
  std::unique_ptr<WritableFile> wf;
  ASSERT_TRUE(fs_->NewWritableFile(Path("w"), &wf).ok());
  std::unique_ptr<SequentialFile> sf;
  ASSERT_TRUE(fs_->NewSequentialFile(Path("c"), &sf).ok());
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_->LockFile(Path("LOCK"), &lock).ok());
  // Find our descriptors through /proc (Linux, as is the io_uring backend);
  // compare by the last two components since /tmp may be a symlink.
  const std::string base = dir_.path().substr(dir_.path().rfind('/'));
  int checked = 0;
  for (int fd = 3; fd < 1024; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) continue;
    char link[512];
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof(link) - 1);
    if (n <= 0) continue;
    std::string target(link, static_cast<size_t>(n));
    if (target.find(base + "/") == std::string::npos) continue;
    EXPECT_TRUE(flags & FD_CLOEXEC) << target;
    checked++;
  }
  EXPECT_EQ(3, checked);
}

}  // namespace
}  // namespace synapsed
