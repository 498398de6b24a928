// Process kills: a child process (kill_writer) writes without sync and is
// killed with SIGKILL at a random moment; every write it acknowledged must be
// there on reopen, and nothing else but possibly the one in flight.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "synapsed/db.h"
#include "testutil/testutil.h"
#include "tests/kill_workload.h"

namespace synapsed {

namespace {

// Runs the child from batch `start`, kills it delay_ms after it starts (or,
// with after_open, after it has opened the database), and returns the last
// index it acknowledged (start - 1 if none) and whether it had opened.
uint64_t RunAndKill(const std::string& db, uint64_t start, int delay_ms, bool after_open,
                    bool* opened) {
  int fds[2];
  EXPECT_EQ(0, pipe(fds));
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string start_arg = std::to_string(start);
    execl(KILL_WRITER_PATH, "kill_writer", db.c_str(), start_arg.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while (after_open && out.find('\n') == std::string::npos &&
         (n = read(fds[0], buf, sizeof(buf))) > 0) {
    out.append(buf, n);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  kill(pid, SIGKILL);
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "child exited on its own: " << wstatus;
  // Only complete lines count as acknowledged.
  out.resize(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  *opened = out.rfind("open\n", 0) == 0;
  uint64_t last = start - 1;
  size_t pos = out.size() > 1 ? out.rfind('\n', out.size() - 2) : std::string::npos;
  std::string line = out.substr(pos == std::string::npos ? 0 : pos + 1);
  if (!line.empty() && line != "open\n") last = std::stoull(line);
  return last;
}

}  // namespace

TEST(KillTest, AcknowledgedWritesSurviveSigkill) {
  test::TempDir dir("kill_test");
  const std::string db_path = dir.path() + "/db";
  std::map<std::string, std::string> model;
  uint64_t applied = 0;  // batches 1..applied are in the database
  int kills = 0, opened_kills = 0;
  for (int round = 0; round < 30; round++) {
    bool opened = false;
    // Two rounds in three kill mid-write; the third kills at any moment from
    // exec on, which can land in recovery.
    const bool after_open = round % 3 != 2;
    const int delay = 5 + static_cast<int>((round * 37) % 120);
    const uint64_t acked = RunAndKill(db_path, applied + 1, delay, after_open, &opened);
    kills++;
    if (opened) opened_kills++;

    Options options;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, db_path, &db);
    if (s.IsInvalidArgument() && !opened && applied == 0) continue;  // killed before creating
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.ToString();
    std::map<std::string, std::string> actual;
    auto it = db->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) actual[std::string(it->key())] = it->value();
    ASSERT_TRUE(it->status().ok());
    it.reset();
    // Everything acknowledged, plus at most the write in flight.
    uint64_t last = actual.count("last") ? std::stoull(actual["last"]) : 0;
    ASSERT_GE(last, acked) << "round " << round << ": an acknowledged write was lost";
    ASSERT_LE(last, acked + 1) << "round " << round;
    for (uint64_t i = applied + 1; i <= last; i++) test::ApplyKillBatch(i, &model);
    applied = last;
    ASSERT_EQ(model, actual) << "round " << round << ": not the state after batch " << last;
    ASSERT_TRUE(db->Close().ok());
  }
  EXPECT_EQ(30, kills);
  EXPECT_GE(opened_kills, 20);
  EXPECT_GT(applied, 100u);
  std::printf("kills=%d writes_verified=%llu\n", kills, static_cast<unsigned long long>(applied));
}

}  // namespace synapsed
