#include "engine/compaction_job.h"

#include <algorithm>
#include <set>

#include "compaction/merging_iterator.h"
#include "engine/filename.h"
#include "engine/level_iterator.h"
#include "rangedel/fragmented_range_tombstone_list.h"
#include "util/internal_key.h"

namespace synapsed {

namespace {

// Answers "may an entry older than the inputs exist for this user key?":
// the files outside the inputs that hold data older than theirs -- every
// level below the output level, and for a level-0 output the level-0 files
// that are not newer than the inputs. A tombstone for a key none of them
// can hold hides nothing any more.
class OlderData {
 public:
  OlderData(const Version& version, const CompactionSpec& spec) {
    if (spec.bottommost) return;
    std::set<uint64_t> inputs;
    SequenceNumber oldest_input = kMaxSequenceNumber;
    for (const auto& in : spec.inputs) {
      for (const auto& f : in.files) {
        inputs.insert(f->number);
        oldest_input = std::min(oldest_input, f->smallest_seqno);
      }
    }
    if (spec.output_level == 0) {
      for (const auto& f : version.files(0)) {
        if (inputs.count(f->number) == 0 && f->smallest_seqno <= oldest_input) {
          level0_.push_back(f);
        }
      }
    }
    for (int level = spec.output_level + 1; level < kNumLevels; level++) {
      if (level > 0 && !version.files(level).empty()) levels_.push_back(&version.files(level));
    }
  }

  // The same question for every key of [begin, end) (end exclusive).
  bool MayHoldRange(std::string_view begin, std::string_view end) const {
    for (const auto& f : level0_) {
      if (ExtractUserKey(f->smallest) < end && ExtractUserKey(f->largest) >= begin) return true;
    }
    for (const Version::FileList* files : levels_) {
      auto it = std::lower_bound(
          files->begin(), files->end(), begin,
          [](const auto& f, std::string_view k) { return ExtractUserKey(f->largest) < k; });
      if (it != files->end() && ExtractUserKey((*it)->smallest) < end) return true;
    }
    return false;
  }

  bool MayHold(std::string_view user_key) const {
    for (const auto& f : level0_) {
      if (user_key >= ExtractUserKey(f->smallest) && user_key <= ExtractUserKey(f->largest)) {
        return true;
      }
    }
    for (const Version::FileList* files : levels_) {
      // The first file whose largest user key is >= user_key.
      auto it = std::lower_bound(
          files->begin(), files->end(), user_key,
          [](const auto& f, std::string_view k) { return ExtractUserKey(f->largest) < k; });
      if (it != files->end() && user_key >= ExtractUserKey((*it)->smallest)) return true;
    }
    return false;
  }

 private:
  Version::FileList level0_;
  std::vector<const Version::FileList*> levels_;  // sorted, disjoint
};

// Cuts outputs before one overlaps too many bytes of the grandparent level
// (the level below the output level), so compacting that output later
// does not rewrite too much there.
class GrandparentLimit {
 public:
  explicit GrandparentLimit(const CompactionSpec& spec)
      : files_(spec.grandparents), max_(spec.max_grandparent_overlap_bytes) {}

  // Called with each new user key in order; true: start a new output first.
  bool ShouldCutBefore(std::string_view user_key) {
    if (max_ == 0) return false;
    while (next_ < files_.size() && user_key > ExtractUserKey(files_[next_]->largest)) {
      if (seen_key_) overlap_ += files_[next_]->file_size;
      next_++;
    }
    seen_key_ = true;
    if (overlap_ > max_) {
      overlap_ = 0;
      return true;
    }
    return false;
  }

 private:
  const Version::FileList& files_;
  const uint64_t max_;
  size_t next_ = 0;
  bool seen_key_ = false;
  uint64_t overlap_ = 0;
};

// The snapshot stripes of CompactionJobOptions::snapshots: two sequences
// share a stripe when no reader's sequence lies between them, so every
// reader that sees the older sees the newer.
class Stripes {
 public:
  explicit Stripes(const CompactionJobOptions& options)
      : snapshots_(options.snapshots), smallest_(options.smallest_snapshot) {}

  // True if every reader that sees sequence `older` also sees `newer`.
  // REQUIRES: older < newer.
  bool Same(SequenceNumber older, SequenceNumber newer) const { return newer <= Top(older); }

 private:
  // The first sequence a reader may use at or above x: the top of x's
  // stripe. x itself when no such sequence is known (a stripe of its own).
  SequenceNumber Top(SequenceNumber x) const {
    if (snapshots_.empty()) return x <= smallest_ ? smallest_ : x;
    auto it = std::lower_bound(snapshots_.begin(), snapshots_.end(), x);
    return it == snapshots_.end() ? x : *it;
  }

  const std::vector<SequenceNumber>& snapshots_;
  const SequenceNumber smallest_;
};

// The inputs' range tombstones: which entries they drop, and what each
// output gets (see the header). Keys are asked about in increasing order,
// and outputs come in key order, so both walks are linear over the
// fragments, amortized O(1) per entry.
class CompactionRangeDels {
 public:
  CompactionRangeDels(const CompactionJobOptions& options, const Stripes& stripes)
      : options_(options), stripes_(stripes) {}

  Status Init(const CompactionSpec& spec, const OlderData& older, CompactionJobStats* stats) {
    std::vector<RangeTombstone> all;
    for (const CompactionInput& in : spec.inputs) {
      for (const auto& f : in.files) {
        std::shared_ptr<const TableReader> reader;
        Status s = options_.table_cache->FindTable(f->number, f->file_size, &reader, &f->table);
        if (!s.ok()) return s;
        const auto& list = reader->range_tombstones();
        if (list == nullptr) continue;
        stats->input_range_deletions += list->num_entries();
        for (size_t i = 0; i < list->num_fragments(); i++) {
          const auto frag = list->fragment(i);
          for (SequenceNumber seq : frag.seqs) {
            all.push_back({std::string(frag.start), std::string(frag.end), seq});
          }
        }
      }
    }
    if (all.empty()) return Status::OK();
    input_ = std::make_unique<FragmentedRangeTombstoneList>(all);
    std::vector<RangeTombstone> kept;
    for (size_t i = 0; i < input_->num_fragments(); i++) {
      const auto frag = input_->fragment(i);
      SequenceNumber newer_kept = 0;
      // Newest first: an older sequence in a kept one's stripe is obsolete.
      for (SequenceNumber seq : frag.seqs) {
        if (newer_kept != 0 && stripes_.Same(seq, newer_kept)) continue;
        if (seq <= options_.smallest_snapshot && !older.MayHoldRange(frag.start, frag.end)) {
          continue;  // every reader sees it, and it has nothing left to hide
        }
        kept.push_back({std::string(frag.start), std::string(frag.end), seq});
        newer_kept = seq;
      }
    }
    output_ = std::make_unique<FragmentedRangeTombstoneList>(kept);
    return Status::OK();
  }

  // True if a tombstone newer than the entry (user_key, seq) covers it in
  // the same snapshot stripe. REQUIRES: user keys non-decreasing across calls.
  bool Covers(std::string_view user_key, SequenceNumber seq) {
    if (input_ == nullptr) return false;
    const size_t n = input_->num_fragments();
    while (next_input_ < n && input_->fragment_start(next_input_) <= user_key) next_input_++;
    if (next_input_ == 0 || user_key >= input_->fragment_end(next_input_ - 1)) return false;
    const auto seqs = input_->fragment(next_input_ - 1).seqs;  // newest first
    auto older =
        std::partition_point(seqs.begin(), seqs.end(), [&](SequenceNumber t) { return t > seq; });
    // The oldest tombstone newer than the entry decides: if it is not in the
    // entry's stripe, no newer one is.
    return older != seqs.begin() && stripes_.Same(seq, *(older - 1));
  }

  bool HasOutput() const { return output_ != nullptr && !output_->empty(); }

  // Adds to builder the kept tombstones from the end of the previous call's
  // range (or from the start) up to *limit (exclusive; null: to the end),
  // clipped. REQUIRES: limits increase from call to call.
  void AddTo(TableBuilder* builder, const std::string_view* limit) {
    if (!HasOutput()) return;
    const size_t n = output_->num_fragments();
    for (size_t i = next_output_; i < n; i++) {
      const auto frag = output_->fragment(i);
      if (limit != nullptr && frag.start >= *limit) break;
      const std::string_view start = has_lower_ && frag.start < std::string_view(lower_)
                                         ? std::string_view(lower_)
                                         : frag.start;
      const std::string_view end = limit != nullptr && frag.end > *limit ? *limit : frag.end;
      if (start >= end) continue;
      for (SequenceNumber seq : frag.seqs) builder->AddRangeTombstone(start, end, seq);
    }
    if (limit == nullptr) {
      next_output_ = n;
      return;
    }
    // Fragments ending by the limit are done; one that straddles it goes on
    // into the next output.
    while (next_output_ < n && output_->fragment_end(next_output_) <= *limit) next_output_++;
    lower_.assign(*limit);
    has_lower_ = true;
  }

 private:
  const CompactionJobOptions& options_;
  const Stripes& stripes_;
  std::unique_ptr<FragmentedRangeTombstoneList> input_;   // null: none
  std::unique_ptr<FragmentedRangeTombstoneList> output_;  // what outputs keep
  size_t next_input_ = 0;   // input fragments starting at or before the last key
  size_t next_output_ = 0;  // the first kept fragment not yet wholly written
  std::string lower_;       // where the current output's share begins
  bool has_lower_ = false;
};

// One output table being written.
class Output {
 public:
  Status Open(const CompactionJobOptions& options) {
    meta_.number = options.new_file_number();
    path_ = TableFileName(options.dbname, meta_.number);
    Status s = options.fs->NewWritableFileWithOptions(path_, options.output_file_options, &file_);
    if (!s.ok()) return s;
    TableBuilderOptions t = options.table_options;
    t.file_number = meta_.number;
    builder_ = std::make_unique<TableBuilder>(t, file_.get());
    return Status::OK();
  }
  void Add(std::string_view key, std::string_view value) { builder_->Add(key, value); }
  TableBuilder* builder() { return builder_.get(); }
  uint64_t file_size() const { return builder_->file_size(); }
  Status status() const { return builder_->status(); }
  const std::string& path() const { return path_; }
  uint64_t range_deletions() const { return range_deletions_; }

  Status Finish(FileMetaData* meta) {
    Status s = builder_->Finish();
    if (s.ok()) s = file_->Sync();
    if (s.ok()) s = file_->Close();
    if (!s.ok()) return s;
    const TableProperties& p = builder_->properties();
    meta_.file_size = builder_->file_size();
    meta_.smallest = p.smallest_key;
    meta_.largest = p.largest_key;
    meta_.smallest_seqno = p.smallest_seqno;
    meta_.largest_seqno = p.largest_seqno;
    range_deletions_ = p.num_range_deletions;
    *meta = meta_;
    return Status::OK();
  }

 private:
  FileMetaData meta_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  uint64_t range_deletions_ = 0;
};

}  // namespace

Status RunCompactionJob(const CompactionJobOptions& options, const Version& version,
                        const CompactionSpec& spec, std::vector<FileMetaData>* outputs,
                        CompactionJobStats* stats) {
  outputs->clear();
  *stats = CompactionJobStats();
  // Inputs are read once, front to back: they do not go through the block
  // cache (they would push the hot set out of it), and are read ahead from
  // the first block in two windows of 1 MiB, one consumed while the next
  // is in flight.
  ReadBlockOptions read;
  read.fill_cache = false;
  read.read_queues = options.read_queues;
  read.readahead_after_blocks = 0;
  read.readahead_initial_bytes = 1 << 20;
  read.readahead_max_bytes = 1 << 20;
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (const CompactionInput& in : spec.inputs) {
    for (const auto& f : in.files) stats->bytes_read += f->file_size;
    if (in.level == 0) {
      for (const auto& f : in.files) {
        children.push_back(
            options.table_cache->NewIterator(read, f->number, f->file_size, &f->table));
      }
    } else {
      children.push_back(NewLevelIterator(options.table_cache, read, in.files));
    }
  }
  auto iter = NewMergingIterator(std::move(children));
  const OlderData older(version, spec);
  GrandparentLimit grandparents(spec);
  const Stripes stripes(options);
  CompactionRangeDels range_dels(options, stripes);
  Status s = range_dels.Init(spec, older, stats);
  if (!s.ok()) return s;

  std::vector<std::string> written;  // paths, removed on failure
  std::unique_ptr<Output> out;
  std::string current_user_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  // Finishes `out`, whose share of the key space ends at *limit (null: the
  // end), with its tombstones.
  auto finish = [&](const std::string_view* limit) {
    range_dels.AddTo(out->builder(), limit);
    FileMetaData meta;
    Status fst = out->Finish(&meta);
    if (fst.ok()) {
      outputs->push_back(meta);
      stats->output_range_deletions += out->range_deletions();
    }
    out.reset();
    return fst;
  };
  auto open_output = [&]() {
    out = std::make_unique<Output>();
    Status os = out->Open(options);
    if (os.ok()) written.push_back(out->path());
    return os;
  };
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    stats->input_entries++;
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      s = Status::Aborted("compaction cancelled: database closing");
      break;
    }
    ParsedInternalKey ikey;
    if (!ParseInternalKey(iter->key(), &ikey)) {
      s = Status::Corruption("compaction input", "malformed internal key");
      break;
    }
    const bool new_user_key = !has_current_user_key || ikey.user_key != current_user_key;
    if (new_user_key) {
      current_user_key.assign(ikey.user_key);
      has_current_user_key = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }
    bool drop = false;
    if (last_sequence_for_key <= options.smallest_snapshot) {
      drop = true;  // a newer version of this key is visible to every reader
    } else if (ikey.type == ValueType::kDeletion && ikey.sequence <= options.smallest_snapshot &&
               !older.MayHold(ikey.user_key)) {
      drop = true;  // nothing older is left for the tombstone to hide
    } else if (range_dels.Covers(ikey.user_key, ikey.sequence)) {
      drop = true;  // a range tombstone hides it from every reader that sees it
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) {
      stats->dropped_entries++;
      continue;
    }
    // Cut only between user keys.
    const bool cut_for_grandparents = new_user_key && grandparents.ShouldCutBefore(ikey.user_key);
    if (out != nullptr && new_user_key &&
        (out->file_size() >= spec.max_output_file_size || cut_for_grandparents)) {
      s = finish(&ikey.user_key);  // its share ends where the next output's begins
      if (!s.ok()) break;
    }
    if (out == nullptr) {
      s = open_output();
      if (!s.ok()) break;
    }
    out->Add(iter->key(), iter->value());
    stats->output_entries++;
    s = out->status();
    if (!s.ok()) break;
  }
  if (s.ok()) s = iter->status();
  // Tombstones that outlive every entry of their range still need a table.
  if (s.ok() && out == nullptr && outputs->empty() && range_dels.HasOutput()) s = open_output();
  if (s.ok() && out != nullptr) s = finish(nullptr);
  out.reset();
  if (s.ok() && !outputs->empty()) s = options.fs->SyncDir(options.dbname);
  if (!s.ok()) {
    for (const auto& path : written) options.fs->RemoveFile(path).PermitUncheckedError();
    outputs->clear();
    return s;
  }
  for (const auto& m : *outputs) stats->bytes_written += m.file_size;
  return Status::OK();
}

}  // namespace synapsed
