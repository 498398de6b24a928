// DBImpl: construction, the read path, snapshots and properties. Open and
// recovery are in db_open.cc, the write path in db_write.cc, flushes in
// db_flush.cc.
#include "engine/db_impl.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "cache/table_cache.h"
#include "compaction/merging_iterator.h"
#include "engine/db_iter.h"
#include "engine/filename.h"
#include "engine/level_iterator.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"
#include "wal/log_writer.h"

namespace synapsed {

Snapshot::~Snapshot() = default;

class DBImpl::SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : seq_(seq) {}
  uint64_t sequence() const override { return seq_; }

 private:
  const SequenceNumber seq_;
};

namespace {
// The file system of options: the one given, or the process-wide one of
// io_engine, falling back to posix where io_uring is refused.
std::shared_ptr<FileSystem> ChooseFileSystem(const Options& options, std::string* note) {
  if (options.file_system != nullptr) {
    *note = "io: the file system given in Options::file_system";
    return options.file_system;
  }
  if (options.io_engine == IoEngine::kIoUring) {
    std::shared_ptr<FileSystem> fs;
    Status s = FileSystem::IoUring(&fs);
    if (s.ok()) {
      *note = "io: io_uring";
      return fs;
    }
    *note = "io: io_uring is unavailable (" + s.ToString() + "); using posix";
    return FileSystem::Default();
  }
  *note = "io: posix";
  return FileSystem::Default();
}

// MultiGet's reads in flight at once, per queue.
constexpr size_t kReadQueueDepth = 64;
}  // namespace

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options),
      fs_(ChooseFileSystem(options, &io_engine_note_)),
      dbname_(std::move(dbname)),
      read_queues_(fs_, kReadQueueDepth),
      versions_(std::make_unique<VersionSet>(fs_, dbname_)),
      picker_(NewCompactionPicker(options)),
      flush_cv_(&mu_),
      bg_work_cv_(&mu_),
      bg_done_cv_(&mu_) {}

DBImpl::~DBImpl() {
  // Destruction without Close: close anyway; nobody is left to hear an error.
  Close().PermitUncheckedError();
}

Status DBImpl::CheckOpen() const {
  return closed_.load(std::memory_order_acquire) ? Status::Aborted("database is closed")
                                                 : Status::OK();
}

SequenceNumber DBImpl::ReadSequence(const ReadOptions& options) const {
  return options.snapshot != nullptr ? options.snapshot->sequence()
                                     : last_sequence_.load(std::memory_order_acquire);
}

TableBuilderOptions DBImpl::TableOptions(uint64_t file_number, bool bottommost) const {
  TableBuilderOptions t;
  t.block_size = options_.block_size;
  const CompressionType compression = bottommost && options_.bottommost_compression
                                          ? *options_.bottommost_compression
                                          : options_.compression;
  switch (compression) {
    case CompressionType::kNone:
      t.compression = BlockCompression::kNone;
      break;
    case CompressionType::kLZ4:
      t.compression = BlockCompression::kLZ4;
      break;
    case CompressionType::kZstd:
      t.compression = BlockCompression::kZstd;
      break;
  }
  t.zstd_level = options_.zstd_level;
  t.bloom_bits_per_key = options_.bloom_bits_per_key;
  t.file_number = file_number;
  t.db_id = db_id_;
  return t;
}

std::shared_ptr<MemTable> DBImpl::NewMemTable() const {
  // An eighth of the buffer (as RocksDB's arena_block_size), so a small
  // write_buffer_size is not used up by the first block.
  return std::make_shared<MemTable>(
      std::clamp<size_t>(options_.write_buffer_size / 8, 256, Arena::kBlockSize));
}

void DBImpl::InstallView() {
  auto view = std::make_shared<ReadView>();
  view->mem = mem_;
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) view->imm.push_back(it->mem);
  view->version = versions_->current();
  pending_compaction_bytes_.store(picker_->EstimatePendingBytes(*view->version),
                                  std::memory_order_relaxed);
  std::shared_ptr<const ReadView> old;
  MutexLock l(&view_mu_);
  old = std::move(view_);  // released after view_mu_ (the last reference may free a lot)
  view_ = std::move(view);
}

std::shared_ptr<const DBImpl::ReadView> DBImpl::GetView() const {
  MutexLock l(&view_mu_);
  return view_;
}

namespace {
ReadBlockOptions BlockOptions(const ReadOptions& options) {
  ReadBlockOptions r;
  r.verify_checksum = options.verify_checksums;
  r.fill_cache = options.fill_cache;
  return r;
}
}  // namespace

FileOptions DBImpl::TableWriteOptions() const {
  FileOptions f;
  f.use_direct_io = options_.use_direct_io_for_flush_and_compaction;
  f.write_behind = true;
  return f;
}

ReadBlockOptions DBImpl::IteratorBlockOptions(const ReadOptions& options) const {
  ReadBlockOptions r = BlockOptions(options);
  r.read_queues = &read_queues_;
  return r;
}

Status DBImpl::GetFromView(const ReadOptions& options, SequenceNumber seq, const ReadView& view,
                           std::string_view key, std::string* value) {
  LookupKey lkey(key, seq);
  bool found_value = false;
  // The highest sequence (<= seq) of a range tombstone covering key seen so
  // far, newest source first: a version older than it is deleted, and the
  // first source that has one decides (every version below is older).
  SequenceNumber covering = 0;
  if (view.mem->Get(lkey, value, &found_value, &covering)) {
    return found_value ? Status::OK() : Status::NotFound(std::string_view());
  }
  for (const auto& imm : view.imm) {
    if (imm->Get(lkey, value, &found_value, &covering)) {
      return found_value ? Status::OK() : Status::NotFound(std::string_view());
    }
  }
  const ReadBlockOptions block_options = BlockOptions(options);
  TableGet result = TableGet::kAbsent;
  Status s = view.version->Get(table_cache_.get(), block_options, lkey.internal_key(), &result,
                               value, &covering);
  if (!s.ok()) return s;
  if (result == TableGet::kValue) return Status::OK();
  value->clear();
  return Status::NotFound(std::string_view());
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  Status s = CheckOpen();
  if (!s.ok()) return s;
  // The view first, then the sequence (see the threading notes).
  const std::shared_ptr<const ReadView> view = GetView();
  const SequenceNumber seq = ReadSequence(options);
  return GetFromView(options, seq, *view, key, value);
}

namespace {
// The iterator handed out after Close: always invalid, status Aborted.
class ErrorIterator final : public Iterator {
 public:
  explicit ErrorIterator(Status s) : status_(std::move(s)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void SeekForPrev(std::string_view) override {}
  void Next() override {}
  void Prev() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  Status status_;
};
}  // namespace

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  Status s = CheckOpen();
  if (!s.ok()) return std::make_unique<ErrorIterator>(s);
  std::shared_ptr<const ReadView> view = GetView();
  const SequenceNumber seq = ReadSequence(options);
  const ReadBlockOptions block_options = IteratorBlockOptions(options);
  std::vector<std::unique_ptr<InternalIterator>> children;
  // Each source's range tombstones, asked per key by the DB iterator: the
  // memtables' and level 0's lists now, deeper levels' per table as the
  // keys reach them.
  std::vector<std::unique_ptr<RangeDelCursor>> range_dels;
  auto add_tombstones = [&](std::shared_ptr<const FragmentedRangeTombstoneList> list) {
    if (list != nullptr) range_dels.push_back(NewFragmentCursor(std::move(list), seq));
  };
  children.push_back(MemTable::NewIterator(view->mem));
  add_tombstones(view->mem->RangeTombstones());
  for (const auto& imm : view->imm) {
    children.push_back(MemTable::NewIterator(imm));
    add_tombstones(imm->RangeTombstones());
  }
  for (const auto& f : view->version->files(0)) {
    children.push_back(
        table_cache_->NewIterator(block_options, f->number, f->file_size, &f->table));
    std::shared_ptr<const TableReader> reader;
    s = table_cache_->FindTable(f->number, f->file_size, &reader, &f->table);
    if (s.ok()) {
      add_tombstones(reader->range_tombstones());
    } else {
      range_dels.push_back(NewErrorRangeDelCursor(s));
    }
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (view->version->NumFiles(level) == 0) continue;
    children.push_back(
        NewLevelIterator(table_cache_.get(), block_options, view->version->files(level)));
    range_dels.push_back(
        NewLevelRangeDelCursor(table_cache_.get(), view->version->files(level), seq));
  }
  // The view stays pinned while the iterator lives: its memtables, and (for
  // when compaction deletes files) the version whose tables it reads.
  return NewDBIterator(NewMergingIterator(std::move(children)), seq, options.iterate_lower_bound,
                       options.iterate_upper_bound, std::move(view),
                       NewMergedRangeDelCursor(std::move(range_dels)));
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock l(&mu_);
  auto snap = std::make_unique<SnapshotImpl>(last_sequence_.load(std::memory_order_acquire));
  const Snapshot* handle = snap.get();
  snapshots_.emplace(handle, std::move(snap));
  return handle;
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  MutexLock l(&mu_);
  snapshots_.erase(snapshot);
}

std::string DBImpl::WriteAmplificationReport(const Version& version) const {
  std::string out =
      "Level  Files  Size(bytes)     Score  Read-in(bytes)  Read-own(bytes)  Write(bytes)    "
      "W-Amp  Comps  Time(s)\n";
  char buf[256];
  uint64_t total_files = 0, total_bytes = 0, total_in = 0, total_own = 0, total_written = 0;
  uint64_t total_comps = 0, total_micros = 0;
  for (int level = 0; level < kNumLevels; level++) {
    const LevelStats& st = level_stats_[level];
    const uint64_t bytes = TotalBytes(version.files(level));
    const uint64_t in = st.bytes_read.load(std::memory_order_relaxed);
    const uint64_t own = st.bytes_read_own.load(std::memory_order_relaxed);
    const uint64_t written = st.bytes_written.load(std::memory_order_relaxed);
    const uint64_t comps = st.compactions.load(std::memory_order_relaxed);
    const uint64_t micros = st.micros.load(std::memory_order_relaxed);
    // RocksDB's per-level W-Amp: bytes written into the level per byte that
    // came in from above (level 0: flushes, 1.0).
    const double wamp = level == 0 ? (written > 0 ? 1.0 : 0.0)
                                   : (in == 0 ? 0.0 : static_cast<double>(written) / in);
    std::snprintf(buf, sizeof(buf),
                  "L%-5d %-6d %-15" PRIu64 " %-6.2f %-15" PRIu64 " %-16" PRIu64 " %-15" PRIu64
                  " %-6.2f %-6" PRIu64 " %.3f\n",
                  level, version.NumFiles(level), bytes, picker_->LevelScore(version, level), in,
                  own, written, wamp, comps, micros / 1e6);
    out += buf;
    total_files += static_cast<uint64_t>(version.NumFiles(level));
    total_bytes += bytes;
    total_in += in;
    total_own += own;
    total_written += written;
    total_comps += comps;
    total_micros += micros;
  }
  const uint64_t flushed = stat_flush_bytes_.load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof(buf),
                "Sum    %-6" PRIu64 " %-15" PRIu64 "        %-15" PRIu64 " %-16" PRIu64
                " %-15" PRIu64 " %-6.2f %-6" PRIu64 " %.3f\n",
                total_files, total_bytes, total_in, total_own, total_written,
                flushed == 0 ? 0.0 : static_cast<double>(total_written) / flushed, total_comps,
                total_micros / 1e6);
  out += buf;
  const uint64_t user = stat_user_bytes_.load(std::memory_order_relaxed);
  const uint64_t wal = stat_wal_bytes_.load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof(buf),
                "Write amplification (RocksDB's: table bytes written / bytes flushed): %.2f\n"
                "Write amplification per user byte ((WAL + table bytes) / %" PRIu64
                " user bytes): %.2f\n",
                flushed == 0 ? 0.0 : static_cast<double>(total_written) / flushed, user,
                user == 0 ? 0.0 : static_cast<double>(wal + total_written) / user);
  out += buf;
  return out;
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  constexpr std::string_view kPrefix = "synapsed.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  name.remove_prefix(kPrefix.size());
  const std::shared_ptr<const ReadView> view = GetView();
  const Cache::Stats cache = block_cache_ ? block_cache_->GetStats() : Cache::Stats();
  constexpr std::string_view kFilesAtLevel = "num-files-at-level";
  if (name == "num-entries-active-mem-table") {
    *value = std::to_string(view->mem->num_entries());
  } else if (name == "num-deletes-active-mem-table") {
    *value = std::to_string(view->mem->num_deletes());
  } else if (name == "num-range-deletes-active-mem-table") {
    *value = std::to_string(view->mem->num_range_deletes());
  } else if (name == "cur-size-active-mem-table") {
    *value = std::to_string(view->mem->ApproximateMemoryUsage());
  } else if (name == "num-immutable-mem-table") {
    *value = std::to_string(view->imm.size());
  } else if (name.substr(0, kFilesAtLevel.size()) == kFilesAtLevel) {
    const std::string_view digits = name.substr(kFilesAtLevel.size());
    int level = 0;
    if (digits.empty() || digits.size() > 2) return false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      level = level * 10 + (c - '0');
    }
    if (level >= kNumLevels) return false;
    *value = std::to_string(view->version->NumFiles(level));
  } else if (name == "compaction-pending") {
    MutexLock l(&mu_);
    *value =
        picker_->NeedsCompaction(*versions_->current()) || running_compactions_ > 0 ? "1" : "0";
  } else if (name == "estimate-pending-compaction-bytes") {
    *value = std::to_string(pending_compaction_bytes_.load(std::memory_order_relaxed));
  } else if (name == "num-running-compactions") {
    MutexLock l(&mu_);
    *value = std::to_string(running_compactions_);
  } else if (name == "total-sst-files-size") {
    *value = std::to_string(view->version->TotalFileBytes());
  } else if (name == "block-cache-capacity") {
    *value = std::to_string(block_cache_ ? block_cache_->capacity() : 0);
  } else if (name == "block-cache-usage") {
    *value = std::to_string(cache.usage_bytes);
  } else if (name == "block-cache-entries") {
    *value = std::to_string(cache.entries);
  } else if (name == "block-cache-hits") {
    *value = std::to_string(cache.hits);
  } else if (name == "block-cache-misses") {
    *value = std::to_string(cache.misses);
  } else if (name == "block-cache-inserts") {
    *value = std::to_string(cache.inserts);
  } else if (name == "block-cache-evictions") {
    *value = std::to_string(cache.evictions);
  } else if (name == "last-sequence") {
    *value = std::to_string(last_sequence_.load(std::memory_order_acquire));
  } else if (name == "num-snapshots") {
    MutexLock l(&mu_);
    *value = std::to_string(snapshots_.size());
  } else if (name == "wal-files") {
    MutexLock l(&mu_);
    for (uint64_t n : live_logs_) {
      if (!value->empty()) value->push_back(' ');
      value->append(LogFileName("", n).substr(1));
    }
  } else if (name == "stats") {
    const uint64_t groups = stat_write_groups_.load(std::memory_order_relaxed);
    const uint64_t batches = stat_batches_.load(std::memory_order_relaxed);
    char buf[2048];
    std::snprintf(buf, sizeof(buf),
                  "** DB Stats **\n"
                  "Last sequence: %" PRIu64
                  "\n"
                  "Memtable: %" PRIu64 " entries (%" PRIu64 " deletes, %" PRIu64
                  " range deletes), %zu bytes; %zu frozen\n"
                  "Writes: %" PRIu64 " batches in %" PRIu64
                  " groups (%.2f batches/group)\n"
                  "WAL: %" PRIu64 " bytes written, %" PRIu64
                  " syncs\n"
                  "Flushes: %" PRIu64 ", %" PRIu64
                  " bytes written, %.3f s\n"
                  "Write stalls (memtables full): %" PRIu64
                  ", %.3f s\n"
                  "Write stalls (level 0): %" PRIu64 " slowdowns, %" PRIu64
                  " stops, %.3f s stopped\n"
                  "Write stalls (pending compaction bytes): %" PRIu64 " slowdowns, %" PRIu64
                  " stops, %.3f s stopped\n"
                  "Write slowdowns: %.3f s delayed\n"
                  "Compactions: %" PRIu64 " (%" PRIu64 " trivial moves), %" PRIu64
                  " bytes read, %" PRIu64 " bytes written, %.3f s; pending %" PRIu64
                  " bytes\n"
                  "Block cache: capacity %zu, usage %" PRIu64 ", entries %" PRIu64 ", hits %" PRIu64
                  ", misses %" PRIu64 ", inserts %" PRIu64 ", evictions %" PRIu64 "\n",
                  last_sequence_.load(std::memory_order_acquire), view->mem->num_entries(),
                  view->mem->num_deletes(), view->mem->num_range_deletes(),
                  view->mem->ApproximateMemoryUsage(), view->imm.size(), batches, groups,
                  groups == 0 ? 0.0 : static_cast<double>(batches) / groups,
                  stat_wal_bytes_.load(std::memory_order_relaxed),
                  stat_wal_syncs_.load(std::memory_order_relaxed),
                  stat_flushes_.load(std::memory_order_relaxed),
                  stat_flush_bytes_.load(std::memory_order_relaxed),
                  stat_flush_micros_.load(std::memory_order_relaxed) / 1e6,
                  stat_stalls_.load(std::memory_order_relaxed),
                  stat_stall_micros_.load(std::memory_order_relaxed) / 1e6,
                  stat_l0_slowdowns_.load(std::memory_order_relaxed),
                  stat_l0_stops_.load(std::memory_order_relaxed),
                  stat_l0_stop_micros_.load(std::memory_order_relaxed) / 1e6,
                  stat_pending_slowdowns_.load(std::memory_order_relaxed),
                  stat_pending_stops_.load(std::memory_order_relaxed),
                  stat_pending_stop_micros_.load(std::memory_order_relaxed) / 1e6,
                  stat_slowdown_micros_.load(std::memory_order_relaxed) / 1e6,
                  stat_compactions_.load(std::memory_order_relaxed),
                  stat_trivial_moves_.load(std::memory_order_relaxed),
                  stat_compaction_bytes_read_.load(std::memory_order_relaxed),
                  stat_compaction_bytes_written_.load(std::memory_order_relaxed),
                  stat_compaction_micros_.load(std::memory_order_relaxed) / 1e6,
                  pending_compaction_bytes_.load(std::memory_order_relaxed),
                  block_cache_ ? block_cache_->capacity() : 0, cache.usage_bytes, cache.entries,
                  cache.hits, cache.misses, cache.inserts, cache.evictions);
    value->assign(buf);
    value->append(WriteAmplificationReport(*view->version));
    MutexLock l(&mu_);
    value->append("Snapshots: " + std::to_string(snapshots_.size()) + "\n");
    value->append("Live WAL files: " + std::to_string(live_logs_.size()) + "\n");
    value->append("Recovery: " + std::to_string(recovery_damage_.size()) + " damaged regions\n");
    for (const auto& d : recovery_damage_) value->append("  " + d + "\n");
    value->append("Compaction errors: " + std::to_string(compaction_errors_) +
                  (compaction_errors_ == 0 ? "" : ", last: " + last_compaction_error_.ToString()) +
                  "\n");
    value->append(bg_error_.ok() ? "Background error: none\n"
                                 : "Background error: " + bg_error_.ToString() + "\n");
  } else {
    return false;
  }
  return true;
}

}  // namespace synapsed
