#include "tools/stress/driver.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "synapsed/db.h"
#include "tools/stress/expected_state.h"
#include "util/random.h"

namespace synapsed::stress {

namespace {

using Clock = std::chrono::steady_clock;

// Whether the file system under dir takes O_DIRECT (tmpfs does not).
bool DirectIoWorks(const std::string& dir) {
  Options options;
  options.create_if_missing = true;
  options.use_direct_reads = true;
  options.use_direct_io_for_flush_and_compaction = true;
  std::unique_ptr<DB> db;
  const bool ok = DB::Open(options, dir, &db).ok() && db->Close().ok();
  db.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ok;
}

// One worker process.
struct Child {
  pid_t pid = -1;
  int status = 0;
  bool exited = false;

  bool Start(const std::string& path, const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::string name = "synapsed_stress";
    argv.push_back(name.data());
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(nullptr);
    pid = fork();
    if (pid == 0) {
      execv(path.c_str(), argv.data());
      _exit(127);
    }
    return pid > 0;
  }
  // Waits until the child exits or until deadline; true if it exited.
  bool WaitUntil(Clock::time_point deadline) {
    while (!exited) {
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        exited = true;
        break;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return exited;
  }
  void Kill() {
    if (exited) return;
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) != pid) {
    }
    exited = true;
  }
  bool KilledBySigkill() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
  bool ExitedZero() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  std::string Describe() const {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "died of signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
  }
};

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += " " + a;
  return s;
}

// The worker's flags for one round.
std::vector<std::string> WorkerArgs(const DriverConfig& c, uint64_t seed, const DbConfig& db,
                                    double seconds, bool verify_only) {
  std::vector<std::string> args = {
      "--db=" + c.worker.db, "--expected_state=" + c.worker.expected_state,
      "--max_key=" + std::to_string(c.worker.max_key),
      "--threads=" + std::to_string(c.worker.threads), "--seed=" + std::to_string(seed)};
  if (seconds > 0) args.push_back("--seconds=" + std::to_string(seconds));
  if (verify_only) args.push_back("--verify_only");
  for (std::string& f : db.ToFlags()) args.push_back(std::move(f));
  return args;
}

// Self test: give one key that no write is in flight for a value id that was
// never written, so the next verification must report it.
void CorruptExpectedState(ExpectedState* state) {
  for (uint32_t k = 0; k < state->num_keys(); k++) {
    if (state->View(k).pending) continue;
    state->SetValue(k, state->NewValueId());
    std::printf(
        "self test: %s now expects a value that was never written; the next "
        "verification must fail\n",
        KeyString(k).c_str());
    return;
  }
}

}  // namespace

int RunKillLoop(const DriverConfig& c, DriverReport* report) {
  const Clock::time_point start = Clock::now();
  std::error_code ec;
  std::filesystem::remove_all(c.worker.db, ec);
  std::filesystem::create_directories(std::filesystem::path(c.worker.db).parent_path(), ec);
  std::filesystem::remove(c.worker.expected_state, ec);
  const bool direct_io_ok = DirectIoWorks(c.worker.db + ".direct_probe");
  std::unique_ptr<ExpectedState> state;
  Status s = ExpectedState::Open(c.worker.expected_state, c.worker.max_key, &state);
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_stress: expected state: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "kill loop: --seed=%llu --kills=%d --clean_every=%d --max_key=%u --threads=%d, "
      "database %s, expected state %s, O_DIRECT %s\n",
      static_cast<unsigned long long>(c.seed), c.kills, c.clean_every, c.worker.max_key,
      c.worker.threads, c.worker.db.c_str(), c.worker.expected_state.c_str(),
      direct_io_ok ? "available" : "unavailable");

  Random rnd(c.seed);
  std::string failure;
  std::vector<std::string> args;
  for (int round = 1; failure.empty(); round++) {
    const bool last = report->kills >= static_cast<uint64_t>(c.kills);
    const bool clean = !last && c.clean_every > 0 && round % c.clean_every == 0;
    const DbConfig db = DbConfig::Random(&rnd, direct_io_ok);
    const uint64_t worker_seed = rnd.Next64() >> 1;
    int delay_ms = c.kill_delay_ms_min +
                   static_cast<int>(rnd.Uniform(c.kill_delay_ms_max - c.kill_delay_ms_min + 1));
    if (c.early_kill_one_in > 0 && rnd.OneIn(c.early_kill_one_in)) {
      delay_ms = static_cast<int>(rnd.Uniform(61));
    }
    args = WorkerArgs(c, worker_seed, db, clean ? c.clean_seconds : 0, last);
    const char* what = last ? "verify only" : clean ? "clean close" : "kill";
    std::printf("round %d: %s", round, what);
    if (!last && !clean) std::printf(" after %d ms", delay_ms);
    std::printf(":%s\n", Join(args).c_str());
    report->rounds++;

    Child child;
    if (!child.Start(c.self_path, args)) {
      failure = "fork failed";
      break;
    }
    if (last || clean) {
      const auto limit = std::chrono::seconds(60) +
                         std::chrono::milliseconds(static_cast<int>(c.clean_seconds * 1000));
      if (!child.WaitUntil(Clock::now() + limit)) {
        child.Kill();
        failure = "the worker did not finish within " + std::to_string(limit.count()) + " ms";
      } else if (!child.ExitedZero()) {
        failure = "the worker " + child.Describe();
      }
      if (clean) report->clean_rounds++;
    } else {
      if (child.WaitUntil(Clock::now() + std::chrono::milliseconds(delay_ms))) {
        failure = "the worker " + child.Describe() + " before it was killed";
      } else {
        child.Kill();
        if (!child.KilledBySigkill()) failure = "the worker " + child.Describe();
        report->kills++;
      }
    }
    if (state->failures() != 0) failure = state->first_failure();
    if (failure.empty() && round == c.corrupt_at_round) CorruptExpectedState(state.get());
    if (last) break;
  }

  report->verifications = state->verifications();
  report->keys_checked = state->keys_checked();
  report->pending_keys = state->pending_keys_checked();
  report->ops = state->ops();
  report->failures = failure.empty() ? 0 : 1;
  report->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!failure.empty()) {
    std::printf(
        "synapsed_stress: FAILED in round %llu of the kill loop with --seed=%llu: %s\n"
        "  rerun the loop: synapsed_stress --kill_loop --seed=%llu --kills=%d "
        "--clean_every=%d --max_key=%u --threads=%d\n"
        "  this round's worker:%s\n"
        "  kept: database %s, expected state %s\n",
        static_cast<unsigned long long>(report->rounds), static_cast<unsigned long long>(c.seed),
        failure.c_str(), static_cast<unsigned long long>(c.seed), c.kills, c.clean_every,
        c.worker.max_key, c.worker.threads, Join(args).c_str(), c.worker.db.c_str(),
        c.worker.expected_state.c_str());
    return 1;
  }
  if (!c.keep_db) {
    state.reset();
    std::filesystem::remove_all(c.worker.db, ec);
    std::filesystem::remove(c.worker.expected_state, ec);
  }
  return 0;
}

}  // namespace synapsed::stress
