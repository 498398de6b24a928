#include "tools/bench/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <latch>
#include <mutex>
#include <thread>

#include "synapsed/file_system.h"
#include "tools/bench/generators.h"
#include "util/histogram.h"
#include "util/random.h"

namespace synapsed::bench {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Shares a write rate among writer threads: each caller reserves its bytes'
// slot on a common timeline and sleeps until the slot comes.
class RateLimiter {
 public:
  explicit RateLimiter(uint64_t bytes_per_second) : rate_(bytes_per_second) {}
  void Request(uint64_t bytes) {
    if (rate_ == 0) return;
    Clock::time_point slot;
    {
      std::lock_guard<std::mutex> l(mu_);
      Clock::time_point now = Clock::now();
      if (next_ < now) next_ = now;
      slot = next_;
      next_ += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(bytes) / rate_));
    }
    std::this_thread::sleep_until(slot);
  }

 private:
  const uint64_t rate_;
  std::mutex mu_;
  Clock::time_point next_ = Clock::now();
};

std::string CpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model, cache;
  int count = 0;
  while (std::getline(f, line)) {
    auto value = [&] { return line.substr(line.find(':') + 2); };
    if (line.rfind("model name", 0) == 0) {
      model = value();
      count++;
    } else if (line.rfind("cache size", 0) == 0) {
      cache = value();
    }
  }
  return std::to_string(count) + " * " + model + "\nCPUCache:   " + cache;
}

}  // namespace

// The benchmark being run: set by RunOne, read by every thread.
struct Runner::Shared {
  KeyOrder order = KeyOrder::kRandom;
  uint64_t ops = 0;  // per thread
  bool sync = false;
  bool deletes = false;
  int key_size = 16;
  std::atomic<bool> readers_done{false};
  std::unique_ptr<RateLimiter> limiter;
  std::mutex mu;
  Status error;  // the first engine error
};

struct Runner::ThreadState {
  // seed: as db_bench, the base seed plus a count of every thread started
  // before this one in the run, so each benchmark draws different keys (a
  // readrandom after a fillrandom does not just revisit the written keys).
  ThreadState(int tid, uint64_t seed, const BenchConfig& c, int key_size)
      : id(tid), seed(seed), rnd(seed), keys(key_size), values(c.compression_ratio, seed) {}
  int id;
  uint64_t seed;
  Random rnd;
  KeyGenerator keys;
  ValueGenerator values;
  Histogram hist;
  uint64_t ops = 0;
  uint64_t bytes = 0;
  uint64_t found = 0;
  uint64_t next_report = 100;
  Clock::time_point start, finish, deadline;
  Clock::time_point op_start;
  FILE* progress = nullptr;
  bool measure = false;

  // Before each operation (latency histogram only when asked for).
  void StartOp() {
    if (measure) op_start = Clock::now();
  }
  // After each operation of n ops.
  void FinishedOps(uint64_t n) {
    if (measure)
      hist.Add(std::chrono::duration<double, std::micro>(Clock::now() - op_start).count());
    ops += n;
    if (progress != nullptr && ops >= next_report) {
      next_report += next_report < 1000     ? 100
                     : next_report < 5000   ? 500
                     : next_report < 10000  ? 1000
                     : next_report < 50000  ? 5000
                     : next_report < 100000 ? 10000
                     : next_report < 500000 ? 50000
                                            : 100000;
      std::fprintf(progress, "... finished %llu ops%30s\r", static_cast<unsigned long long>(ops),
                   "");
      std::fflush(progress);
    }
  }
  // True when the count (or --duration) is used up.
  bool Done(uint64_t done, uint64_t limit) const {
    if (deadline != Clock::time_point()) return Clock::now() >= deadline;
    return done >= limit;
  }
};

Runner::Runner(BenchConfig config, std::FILE* out, std::FILE* progress)
    : config_(std::move(config)), out_(out), progress_(progress), shared_(new Shared) {
  if (config_.seed == 0) {
    config_.seed = static_cast<uint64_t>(
        std::chrono::system_clock::now().time_since_epoch().count() & 0xffffffffffffull);
    std::fprintf(out_, "Set seed to %llu because --seed was 0\n",
                 static_cast<unsigned long long>(config_.seed));
  }
  shared_->limiter = std::make_unique<RateLimiter>(config_.write_rate_limit_bytes);
}

Runner::~Runner() {
  if (db_) db_->Close().PermitUncheckedError();  // reported by Run when it matters
}

void Runner::PrintHeader() {
  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", std::localtime(&now));
  const double raw_mb = (config_.key_size + config_.value_size) * double(config_.num) / 1048576;
  const double file_mb =
      (config_.key_size + config_.value_size * config_.compression_ratio) * config_.num / 1048576;
  std::fprintf(out_,
               "synapsed:   version 0.1.0\nDate:       %s\nCPU:        %s\n"
               "Keys:       %d bytes each (+ 0 bytes user-defined timestamp)\n"
               "Values:     %d bytes each (%d bytes after compression)\n"
               "Entries:    %lld\nPrefix:    0 bytes\nKeys per prefix:    0\n"
               "RawSize:    %.1f MB (estimated)\nFileSize:   %.1f MB (estimated)\n"
               "Write rate: %llu bytes/second\nRead rate: 0 ops/second\n"
               "Compression: NoCompression\n"
               "------------------------------------------------\n",
               date, CpuModel().c_str(), config_.key_size, config_.value_size,
               static_cast<int>(config_.value_size * config_.compression_ratio + 0.5),
               static_cast<long long>(config_.num), raw_mb, file_mb,
               static_cast<unsigned long long>(config_.write_rate_limit_bytes));
  std::fflush(out_);
}

Status Runner::OpenDb(bool fresh) {
  if (db_) {
    Status s = db_->Close();
    db_.reset();
    if (!s.ok()) return s;
  }
  Options options;
  options.create_if_missing = true;
  options.max_write_batch_group_size_bytes = config_.max_write_batch_group_size_bytes;
  options.compression = config_.compression;
  options.zstd_level = config_.zstd_level;
  if (config_.cache_size > 0) {
    if (block_cache_ == nullptr)
      block_cache_ = NewARCCache(static_cast<size_t>(config_.cache_size));
    options.block_cache = block_cache_;
  } else {
    options.no_block_cache = true;
  }
  options.bloom_bits_per_key = config_.bloom_bits;
  options.block_size = static_cast<size_t>(config_.block_size);
  options.write_buffer_size = static_cast<size_t>(config_.write_buffer_size);
  options.max_write_buffer_number = config_.max_write_buffer_number;
  options.max_open_files = config_.open_files;
  const Options& c = config_.compaction;
  options.compaction_style = c.compaction_style;
  options.max_background_jobs = c.max_background_jobs;
  options.level0_file_num_compaction_trigger = config_.level0_file_num_compaction_trigger;
  options.level0_slowdown_writes_trigger = c.level0_slowdown_writes_trigger;
  options.level0_stop_writes_trigger = c.level0_stop_writes_trigger;
  options.max_bytes_for_level_multiplier = c.max_bytes_for_level_multiplier;
  options.level_compaction_dynamic_level_bytes = c.level_compaction_dynamic_level_bytes;
  options.max_compaction_bytes = c.max_compaction_bytes;
  options.compaction_options_universal = c.compaction_options_universal;
  options.soft_pending_compaction_bytes_limit = c.soft_pending_compaction_bytes_limit;
  options.hard_pending_compaction_bytes_limit = c.hard_pending_compaction_bytes_limit;
  options.bottommost_compression = c.bottommost_compression;
  options.target_file_size_base = config_.target_file_size_base;
  options.max_bytes_for_level_base = config_.max_bytes_for_level_base;
  options.io_engine = config_.io_engine;
  options.use_direct_reads = config_.use_direct_reads;
  options.use_direct_io_for_flush_and_compaction = config_.use_direct_io_for_flush_and_compaction;
  if (fresh) {
    Status s = DestroyDB(config_.db, options);
    if (!s.ok()) return s;
    // The parent (e.g. /tmp/synapsedtest-<uid>) may not exist yet.
    std::string parent = config_.db.substr(0, config_.db.find_last_of('/'));
    if (!parent.empty()) {
      s = FileSystem::Default()->CreateDirIfMissing(parent);
      if (!s.ok()) return s;
    }
  }
  return DB::Open(options, config_.db, &db_);
}

Status Runner::Run() {
  PrintHeader();
  for (const auto& name : config_.benchmarks) {
    Status s = RunOne(name);
    if (!s.ok()) return s;
  }
  if (config_.statistics && db_) {
    std::string stats;
    if (db_->GetProperty("synapsed.stats", &stats))
      std::fprintf(out_, "STATISTICS:\n%s", stats.c_str());
  }
  if (db_) {
    Status s = db_->Close();
    db_.reset();
    return s;
  }
  return Status::OK();
}

void Runner::Fail(const Status& s) {
  std::lock_guard<std::mutex> l(shared_->mu);
  if (shared_->error.ok()) shared_->error = s;
}

Status Runner::RunOne(const std::string& name) {
  const bool fill =
      name == "fillseq" || name == "fillrandom" || name == "filluniquerandom" || name == "fillsync";
  if (fill && config_.use_existing_db) {
    std::fprintf(out_, "%-12s : skipped (--use_existing_db is true)\n", name.c_str());
    return Status::OK();
  }
  if (fill || !db_) {
    Status s = OpenDb(fill);
    if (!s.ok()) return s;
  }
  Shared& sh = *shared_;
  sh.order = KeyOrder::kRandom;
  sh.ops = static_cast<uint64_t>(config_.num);
  sh.sync = config_.sync;
  sh.deletes = false;
  sh.key_size = config_.key_size;
  Method method = &Runner::DoWrite;
  bool extra_writer = false;
  if (name == "fillseq") {
    sh.order = KeyOrder::kSequential;
  } else if (name == "filluniquerandom") {
    sh.order = KeyOrder::kUnique;
  } else if (name == "fillsync") {
    sh.ops = std::max<uint64_t>(1, sh.ops / 1000);
    sh.sync = true;
  } else if (name == "fillrandom" || name == "overwrite") {
    // random order, the defaults above
  } else if (name == "deleterandom") {
    sh.deletes = true;
  } else if (name == "stats" || name == "levelstats") {
    std::string stats;
    if (db_->GetProperty("synapsed.stats", &stats)) std::fprintf(out_, "\n%s\n", stats.c_str());
    return Status::OK();
  } else if (name == "flush") {
    return db_->Flush();
  } else if (name == "compact") {
    return db_->CompactRange(nullptr, nullptr);
  } else if (name == "waitforcompaction") {
    // A memtable still being flushed is not counted as a pending compaction,
    // but its level-0 file may make one due: wait for the flushes first.
    std::string imm, pending;
    while ((db_->GetProperty("synapsed.num-immutable-mem-table", &imm) && imm != "0") ||
           (db_->GetProperty("synapsed.compaction-pending", &pending) && pending == "1")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Status::OK();
  } else {
    sh.ops = static_cast<uint64_t>(config_.reads_or_num());
    if (name == "readrandom") {
      method = &Runner::DoReadRandom;
    } else if (name == "readmissing") {
      sh.key_size = config_.key_size + 1;  // as db_bench: one byte longer, never present
      method = &Runner::DoReadRandom;
    } else if (name == "readseq") {
      method = &Runner::DoReadSeq;
    } else if (name == "readreverse") {
      method = &Runner::DoReadReverse;
    } else if (name == "seekrandom") {
      method = &Runner::DoSeekRandom;
    } else if (name == "multireadrandom") {
      method = &Runner::DoMultiReadRandom;
    } else if (name == "readwhilewriting") {
      method = &Runner::DoReadRandom;
      extra_writer = true;
    } else {
      return Status::InvalidArgument("unknown benchmark", name);
    }
  }
  Result r = RunThreads(name, config_.threads, method, extra_writer);
  {
    std::lock_guard<std::mutex> l(sh.mu);
    if (!sh.error.ok()) return sh.error;
  }
  std::fprintf(out_, "DB path: [%s]\n%s", config_.db.c_str(), FormatResultLine(r).c_str());
  std::fflush(out_);
  results_.push_back(r);
  return Status::OK();
}

Result Runner::RunThreads(const std::string& name, int n, Method method, bool extra_writer) {
  std::vector<std::unique_ptr<ThreadState>> states;
  const int total = n + (extra_writer ? 1 : 0);
  for (int i = 0; i < total; i++) {
    // The background writer writes keys of the normal size.
    int key_size = i == n ? config_.key_size : shared_->key_size;
    states.push_back(
        std::make_unique<ThreadState>(i, config_.seed + threads_started_++, config_, key_size));
    states.back()->measure = config_.histogram;
    states.back()->progress = i == 0 ? progress_ : nullptr;
  }
  shared_->readers_done = false;
  std::latch ready(total);
  std::vector<std::thread> threads;
  for (int i = 0; i < total; i++) {
    threads.emplace_back([&, i] {
      ThreadState* t = states[i].get();
      ready.arrive_and_wait();
      t->start = Clock::now();
      if (config_.duration_seconds > 0)
        t->deadline = t->start + std::chrono::seconds(config_.duration_seconds);
      if (i == n) {
        DoBackgroundWriter(t);
      } else {
        (this->*method)(t);
      }
      t->finish = Clock::now();
    });
  }
  for (int i = 0; i < n; i++) threads[i].join();
  shared_->readers_done = true;
  for (int i = n; i < total; i++) threads[i].join();
  if (progress_ != nullptr) std::fprintf(progress_, "%60s\r", "");

  Result r;
  r.name = name;
  Histogram hist;
  uint64_t found = 0;
  Clock::time_point first = states[0]->start, last = states[0]->finish;
  for (int i = 0; i < n; i++) {
    const ThreadState& t = *states[i];
    r.ops += t.ops;
    r.bytes += t.bytes;
    found += t.found;
    r.thread_seconds += Seconds(t.start, t.finish);
    first = std::min(first, t.start);
    last = std::max(last, t.finish);
    hist.Merge(t.hist);
  }
  r.elapsed_seconds = Seconds(first, last);
  if (method != &Runner::DoWrite && method != &Runner::DoReadSeq &&
      method != &Runner::DoReadReverse) {
    r.message = "(" + std::to_string(found) + " of " + std::to_string(r.ops) + " found)";
  }
  if (config_.histogram) {
    const bool writes = method == &Runner::DoWrite;
    std::fprintf(out_, "Microseconds per %s:\n%s\n", writes ? "write" : "read",
                 hist.ToString().c_str());
  }
  return r;
}

void Runner::DoWrite(ThreadState* t) {
  const Shared& sh = *shared_;
  KeySequence keys(sh.order, static_cast<uint64_t>(config_.num), t->seed);
  WriteOptions wo;
  wo.sync = sh.sync;
  WriteBatch batch;
  uint64_t done = 0;
  int64_t range_tombstones = 0;
  std::string range_begin;
  while (!t->Done(done, sh.ops)) {
    batch.Clear();
    uint64_t bytes = 0;
    int64_t j = 0;
    for (; j < config_.batch_size && (t->deadline != Clock::time_point() || done + j < sh.ops);
         j++) {
      std::string_view key = t->keys.Key(keys.Next());
      if (sh.deletes) {
        batch.Delete(key);
        bytes += key.size();
      } else {
        std::string_view value = t->values.Generate(config_.value_size);
        batch.Put(key, value);
        bytes += key.size() + value.size();
      }
      // db_bench's range tombstones: every writes_per_range_tombstone
      // writes past writes_before_delete_range, one range of
      // range_tombstone_width keys from a random start.
      const int64_t written =
          static_cast<int64_t>(done) + j + 1 - config_.writes_before_delete_range;
      if (config_.writes_per_range_tombstone > 0 && written > 0 &&
          written % config_.writes_per_range_tombstone == 0 &&
          range_tombstones < config_.max_num_range_tombstones) {
        const uint64_t first = t->rnd.Uniform(static_cast<uint64_t>(config_.num));
        range_begin.assign(t->keys.Key(first));
        std::string_view range_end =
            t->keys.Key(first + static_cast<uint64_t>(config_.range_tombstone_width));
        // (Keys shorter than 8 bytes hold the number's low bytes: a range
        // that wraps around is skipped, not reversed.)
        if (range_begin < range_end) {
          Status s = batch.DeleteRange(range_begin, range_end);
          if (!s.ok()) {
            Fail(s);
            return;
          }
          range_tombstones++;
          bytes += range_begin.size() + range_end.size();
        }
      }
    }
    shared_->limiter->Request(bytes);
    t->StartOp();
    Status s = db_->Write(wo, &batch);
    if (!s.ok()) {
      Fail(s);
      return;
    }
    t->bytes += bytes;
    done += j;
    t->FinishedOps(j);
  }
}

void Runner::DoBackgroundWriter(ThreadState* t) {
  WriteOptions wo;
  wo.sync = config_.sync;
  while (!shared_->readers_done.load(std::memory_order_acquire)) {
    std::string_view key = t->keys.Key(t->rnd.Uniform(config_.num));
    std::string_view value = t->values.Generate(config_.value_size);
    shared_->limiter->Request(key.size() + value.size());
    Status s = db_->Put(wo, key, value);
    if (!s.ok()) {
      Fail(s);
      return;
    }
  }
}

void Runner::DoReadRandom(ThreadState* t) {
  std::string value;
  ReadOptions ro;
  uint64_t done = 0;
  while (!t->Done(done, shared_->ops)) {
    std::string_view key = t->keys.Key(t->rnd.Uniform(config_.num));
    t->StartOp();
    Status s = db_->Get(ro, key, &value);
    if (s.ok()) {
      t->found++;
      t->bytes += key.size() + value.size();
    } else if (!s.IsNotFound()) {
      Fail(s);
      return;
    }
    done++;
    t->FinishedOps(1);
  }
}

void Runner::DoReadSeq(ThreadState* t) {
  auto it = db_->NewIterator(ReadOptions());
  uint64_t done = 0;
  for (it->SeekToFirst(); it->Valid() && !t->Done(done, shared_->ops); it->Next()) {
    t->StartOp();
    t->bytes += it->key().size() + it->value().size();
    done++;
    t->FinishedOps(1);
  }
  if (!it->status().ok()) Fail(it->status());
}

void Runner::DoReadReverse(ThreadState* t) {
  auto it = db_->NewIterator(ReadOptions());
  uint64_t done = 0;
  for (it->SeekToLast(); it->Valid() && !t->Done(done, shared_->ops); it->Prev()) {
    t->StartOp();
    t->bytes += it->key().size() + it->value().size();
    done++;
    t->FinishedOps(1);
  }
  if (!it->status().ok()) Fail(it->status());
}

void Runner::DoSeekRandom(ThreadState* t) {
  auto it = db_->NewIterator(ReadOptions());
  uint64_t done = 0;
  while (!t->Done(done, shared_->ops)) {
    std::string_view key = t->keys.Key(t->rnd.Uniform(config_.num));
    t->StartOp();
    it->Seek(key);
    if (it->Valid() && it->key() == key) t->found++;
    for (int64_t j = 0; j < config_.seek_nexts && it->Valid(); j++) {
      t->bytes += it->key().size() + it->value().size();
      it->Next();
    }
    if (!it->status().ok()) {
      Fail(it->status());
      return;
    }
    done++;
    t->FinishedOps(1);
  }
}

void Runner::DoMultiReadRandom(ThreadState* t) {
  std::vector<std::string> keys(static_cast<size_t>(config_.batch_size));
  std::vector<std::string_view> views(keys.size());
  std::vector<std::string> values;
  uint64_t done = 0;
  while (!t->Done(done, shared_->ops)) {
    for (size_t i = 0; i < keys.size(); i++) {
      keys[i] = t->keys.Key(t->rnd.Uniform(config_.num));
      views[i] = keys[i];
    }
    t->StartOp();
    std::vector<Status> statuses = db_->MultiGet(ReadOptions(), views, &values);
    for (size_t i = 0; i < statuses.size(); i++) {
      if (statuses[i].ok()) {
        t->found++;
        t->bytes += keys[i].size() + values[i].size();
      } else if (!statuses[i].IsNotFound()) {
        Fail(statuses[i]);
        return;
      }
    }
    done += keys.size();
    t->FinishedOps(keys.size());
  }
}

}  // namespace synapsed::bench
