#include "engine/compaction_job.h"

#include "compaction/merging_iterator.h"
#include "engine/filename.h"
#include "engine/level_iterator.h"
#include "util/internal_key.h"

namespace synapsed {

namespace {

// True if no level below output_level holds user_key: a tombstone for it
// hides nothing there.
bool IsBottomForKey(const Version& version, int output_level, std::string_view user_key) {
  for (int level = output_level + 1; level < kNumLevels; level++) {
    for (const auto& f : version.files(level)) {
      if (user_key >= ExtractUserKey(f->smallest) && user_key <= ExtractUserKey(f->largest)) {
        return false;
      }
    }
  }
  return true;
}

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
  for (int which = 0; which < 2; which++) {
    const Version::FileList& files = spec.inputs[which];
    for (const auto& f : files) stats->bytes_read += f->file_size;
    const int level = which == 0 ? spec.level : spec.output_level;
    if (files.empty()) continue;
    if (level == 0) {
      for (const auto& f : files) {
        children.push_back(options.table_cache->NewIterator(read, f->number, f->file_size));
      }
    } else {
      children.push_back(NewLevelIterator(options.table_cache, read, files));
    }
  }
  auto iter = NewMergingIterator(std::move(children));

  std::vector<std::string> written;  // paths, removed on failure
  std::unique_ptr<Output> out;
  std::string current_user_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  Status s;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    stats->input_entries++;
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
               IsBottomForKey(version, spec.output_level, ikey.user_key)) {
      drop = true;  // nothing older is left for the tombstone to hide
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) {
      stats->dropped_entries++;
      continue;
    }
    // Cut only between user keys.
    if (out != nullptr && new_user_key && out->file_size() >= options.target_file_size) {
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
