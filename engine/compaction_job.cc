#include "engine/compaction_job.h"

#include <algorithm>
#include <set>

#include "compaction/merging_iterator.h"
#include "engine/filename.h"
#include "engine/level_iterator.h"
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

  bool MayHold(std::string_view user_key) const {
    for (const auto& f : level0_) {
      if (user_key >= ExtractUserKey(f->smallest) && user_key <= ExtractUserKey(f->largest)) {
        return true;
      }
    }
    for (const Version::FileList* files : levels_) {
      // The first file whose largest user key is >= user_key.
      auto it = std::lower_bound(files->begin(), files->end(), user_key,
                                 [](const auto& f, std::string_view k) {
                                   return ExtractUserKey(f->largest) < k;
                                 });
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

// One output table being written.
class Output {
 public:
  Status Open(const CompactionJobOptions& options) {
    meta_.number = options.new_file_number();
    path_ = TableFileName(options.dbname, meta_.number);
    Status s = options.fs->NewWritableFile(path_, &file_);
    if (!s.ok()) return s;
    TableBuilderOptions t = options.table_options;
    t.file_number = meta_.number;
    builder_ = std::make_unique<TableBuilder>(t, file_.get());
    return Status::OK();
  }
  void Add(std::string_view key, std::string_view value) { builder_->Add(key, value); }
  uint64_t file_size() const { return builder_->file_size(); }
  Status status() const { return builder_->status(); }
  const std::string& path() const { return path_; }

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
    *meta = meta_;
    return Status::OK();
  }

 private:
  FileMetaData meta_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
};

}  // namespace

Status RunCompactionJob(const CompactionJobOptions& options, const Version& version,
                        const CompactionSpec& spec, std::vector<FileMetaData>* outputs,
                        CompactionJobStats* stats) {
  outputs->clear();
  *stats = CompactionJobStats();
  // Inputs are read once, front to back: they do not go through the block
  // cache (they would push the hot set out of it).
  ReadBlockOptions read;
  read.fill_cache = false;
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (const CompactionInput& in : spec.inputs) {
    for (const auto& f : in.files) stats->bytes_read += f->file_size;
    if (in.level == 0) {
      for (const auto& f : in.files) {
        children.push_back(options.table_cache->NewIterator(read, f->number, f->file_size));
      }
    } else {
      children.push_back(NewLevelIterator(options.table_cache, read, in.files));
    }
  }
  auto iter = NewMergingIterator(std::move(children));
  const OlderData older(version, spec);
  GrandparentLimit grandparents(spec);

  std::vector<std::string> written;  // paths, removed on failure
  std::unique_ptr<Output> out;
  std::string current_user_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  Status s;
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
      FileMetaData meta;
      s = out->Finish(&meta);
      if (!s.ok()) break;
      outputs->push_back(meta);
      out.reset();
    }
    if (out == nullptr) {
      out = std::make_unique<Output>();
      s = out->Open(options);
      if (!s.ok()) break;
      written.push_back(out->path());
    }
    out->Add(iter->key(), iter->value());
    stats->output_entries++;
    s = out->status();
    if (!s.ok()) break;
  }
  if (s.ok()) s = iter->status();
  if (s.ok() && out != nullptr) {
    FileMetaData meta;
    s = out->Finish(&meta);
    if (s.ok()) outputs->push_back(meta);
  }
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
