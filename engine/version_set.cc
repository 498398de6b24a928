#include "engine/version_set.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <map>

#include "cache/table_cache.h"
#include "engine/filename.h"
#include "engine/level_iterator.h"
#include "util/internal_key.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace synapsed {

uint64_t Version::TotalFileBytes() const {
  uint64_t total = 0;
  for (const auto& level : files_) {
    for (const auto& f : level) total += f->file_size;
  }
  return total;
}

void Version::ForEachCandidateTable(std::string_view internal_key,
                                    FunctionRef<bool(const FileMetaData&)> visit) const {
  const std::string_view user_key = ExtractUserKey(internal_key);
  // Level 0 files may overlap; newest first, so the first answer wins.
  for (const auto& f : files_[0]) {
    // A file whose largest key is a range tombstone sentinel ends before
    // that user key.
    if (user_key < ExtractUserKey(f->smallest) || user_key > ExtractUserKey(f->largest) ||
        (user_key == ExtractUserKey(f->largest) && IsRangeTombstoneSentinel(f->largest))) {
      continue;
    }
    if (!visit(*f)) return;
  }
  // Deeper levels are disjoint: at most one file can hold the key, and a
  // shallower level's entry is always newer than a deeper one's.
  for (int level = 1; level < kNumLevels; level++) {
    const FileList& files = files_[level];
    const int i = FindFile(files, internal_key);
    if (i == static_cast<int>(files.size())) continue;
    // A key below the file's smallest user key falls in the gap before it.
    if (user_key < ExtractUserKey(files[i]->smallest)) continue;
    if (!visit(*files[i])) return;
  }
}

Status Version::Get(TableCache* tables, const ReadBlockOptions& options,
                    std::string_view internal_key, TableGet* result, std::string* value,
                    SequenceNumber* max_covering_seq) const {
  *result = TableGet::kAbsent;
  SequenceNumber covering = max_covering_seq != nullptr ? *max_covering_seq : 0;
  Status s;
  ForEachCandidateTable(internal_key, [&](const FileMetaData& f) {
    s = tables->Get(options, f.number, f.file_size, internal_key, result, value, &covering,
                    &f.table);
    return s.ok() && *result == TableGet::kAbsent;
  });
  if (max_covering_seq != nullptr) *max_covering_seq = covering;
  return s;
}

VersionBuilder::VersionBuilder(const Version& base) : v_(base) {}

Status VersionBuilder::Apply(const VersionEdit& edit) {
  // Deletions first, so a file can move between levels in one edit. A moved
  // file keeps its FileMetaData object: the engine watches that object to
  // know when no version in use names the file any more.
  std::map<uint64_t, std::shared_ptr<const FileMetaData>> removed;
  for (const auto& [level, number] : edit.deleted_files()) {
    auto& files = v_.files_[level];
    auto it = std::find_if(files.begin(), files.end(),
                           [n = number](const auto& f) { return f->number == n; });
    if (it == files.end()) {
      return Status::Corruption("version edit", "deletes file #" + std::to_string(number) +
                                                    " which is not live at level " +
                                                    std::to_string(level));
    }
    removed.emplace(number, *it);
    files.erase(it);
  }
  for (const auto& [level, meta] : edit.new_files()) {
    for (const auto& files : v_.files_) {
      for (const auto& f : files) {
        if (f->number == meta.number) {
          return Status::Corruption("version edit", "adds file #" + std::to_string(meta.number) +
                                                        " which is already live");
        }
      }
    }
    auto moved = removed.find(meta.number);
    v_.files_[level].push_back(moved != removed.end() && *moved->second == meta
                                   ? moved->second
                                   : std::make_shared<const FileMetaData>(meta));
  }
  auto& l0 = v_.files_[0];
  std::sort(l0.begin(), l0.end(), [](const auto& a, const auto& b) {
    return a->largest_seqno != b->largest_seqno ? a->largest_seqno > b->largest_seqno
                                                : a->number > b->number;
  });
  for (int level = 1; level < kNumLevels; level++) {
    auto& files = v_.files_[level];
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return CompareInternalKeys(a->smallest, b->smallest) < 0;
    });
    for (size_t i = 1; i < files.size(); i++) {
      if (CompareInternalKeys(files[i - 1]->largest, files[i]->smallest) >= 0) {
        return Status::Corruption("version edit", "files #" + std::to_string(files[i - 1]->number) +
                                                      " and #" + std::to_string(files[i]->number) +
                                                      " overlap at level " + std::to_string(level));
      }
    }
  }
  return Status::OK();
}

std::shared_ptr<const Version> VersionBuilder::Finish() const {
  return std::make_shared<const Version>(v_);
}

VersionSet::VersionSet(std::shared_ptr<FileSystem> fs, std::string dbname,
                       VersionSetOptions options)
    : fs_(std::move(fs)),
      dbname_(std::move(dbname)),
      options_(options),
      current_(std::make_shared<const Version>()) {}

VersionSet::~VersionSet() = default;

void VersionSet::MarkFileNumberUsed(uint64_t n) {
  if (next_file_number_ <= n) next_file_number_ = n + 1;
}

Status VersionSet::ReadCurrent(uint64_t* number) {
  const std::string path = CurrentFileName(dbname_);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  char buf[64];
  std::string_view contents;
  s = file->Read(sizeof(buf), &contents, buf);
  if (!s.ok()) return s;
  uint64_t n;
  FileType type;
  if (contents.size() < 2 || contents.back() != '\n' ||
      !ParseFileName(contents.substr(0, contents.size() - 1), &n, &type) ||
      type != FileType::kManifest) {
    return Status::Corruption("CURRENT", "does not name a MANIFEST");
  }
  *number = n;
  return Status::OK();
}

VersionEdit VersionSet::Snapshot() const {
  VersionEdit edit;
  edit.SetComparatorName(kComparatorName);
  edit.SetLogNumber(log_number_);
  edit.SetNextFileNumber(next_file_number_);
  edit.SetLastSequence(last_sequence_);
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : current_->files(level)) edit.AddFile(level, *f);
  }
  return edit;
}

namespace {

class DamageCounter final : public wal::Reader::Reporter {
 public:
  void Damage(uint64_t offset, uint64_t bytes, wal::DamageKind kind) override {
    if (count++ == 0) {
      char buf[128];
      std::snprintf(buf, sizeof(buf), "%s at offset %" PRIu64 " (%" PRIu64 " bytes)",
                    std::string(wal::DamageKindName(kind)).c_str(), offset, bytes);
      first = buf;
    }
  }
  int count = 0;
  std::string first;
};

}  // namespace

Status VersionSet::ReplayManifest(uint64_t number, bool* torn_tail, const EditVisitor& visit) {
  const std::string path = ManifestFileName(dbname_, number);
  const std::string name = path.substr(path.rfind('/') + 1);
  std::unique_ptr<SequentialFile> file;
  Status s = fs_->NewSequentialFile(path, &file);
  if (s.IsNotFound()) return Status::Corruption("CURRENT names " + name + ", which is missing");
  if (!s.ok()) return s;
  DamageCounter damage;
  wal::Reader reader(std::move(file), name, number, &damage);
  // Replay starts from nothing (manifest.md), whatever this object held.
  log_number_ = 0;
  next_file_number_ = 1;
  last_sequence_ = 0;
  manifest_number_ = number;
  VersionBuilder builder{Version()};
  bool have_snapshot = false;
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
    char where[96];
    std::snprintf(where, sizeof(where), "%s: record at offset %" PRIu64, name.c_str(),
                  reader.last_record_offset());
    // Damage followed by an intact record is not a torn tail.
    if (damage.count > 0) return Status::Corruption(name, damage.first);
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) return Status::Corruption(where, s.message());
    if (visit) visit(reader.last_record_offset(), edit);
    if (!have_snapshot) {
      if (!edit.has_comparator_name() || !edit.has_log_number() || !edit.has_next_file_number() ||
          !edit.has_last_sequence() || !edit.deleted_files().empty()) {
        return Status::Corruption(where, "first record is not a snapshot");
      }
      if (edit.comparator_name() != kComparatorName) {
        return Status::InvalidArgument(name, "comparator mismatch: " + edit.comparator_name());
      }
      have_snapshot = true;
    } else if (edit.has_comparator_name() && edit.comparator_name() != kComparatorName) {
      return Status::Corruption(where, "comparator changed");
    }
    if ((edit.has_log_number() && edit.log_number() < log_number_) ||
        (edit.has_next_file_number() && edit.next_file_number() < next_file_number_) ||
        (edit.has_last_sequence() && edit.last_sequence() < last_sequence_)) {
      return Status::Corruption(where, "a counter went backwards");
    }
    s = builder.Apply(edit);
    if (!s.ok()) return Status::Corruption(where, s.message());
    if (edit.has_log_number()) log_number_ = edit.log_number();
    if (edit.has_next_file_number()) next_file_number_ = edit.next_file_number();
    if (edit.has_last_sequence()) last_sequence_ = edit.last_sequence();
  }
  if (!reader.status().ok()) return reader.status();
  if (damage.count > 0) {
    if (!have_snapshot) return Status::Corruption(name, damage.first);
    *torn_tail = true;  // the last edit was never synced, so never acted on
    torn_tail_damage_ = damage.first;
  }
  if (!have_snapshot) return Status::Corruption(name, "empty MANIFEST");
  current_ = builder.Finish();
  return Status::OK();
}

Status VersionSet::CheckRecovered() const {
  const std::string name = ManifestFileName("", manifest_number_).substr(1);
  if (next_file_number_ <= log_number_ || next_file_number_ <= manifest_number_) {
    return Status::Corruption(name, "next file number is not above the log and MANIFEST numbers");
  }
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : current_->files(level)) {
      const std::string table = TableFileName("", f->number).substr(1);
      if (f->number >= next_file_number_) {
        return Status::Corruption(
            name, "live file #" + std::to_string(f->number) + " is not below the next file number");
      }
      if (f->largest_seqno > last_sequence_) {
        return Status::Corruption(name, "file #" + std::to_string(f->number) +
                                            " holds sequences above the last sequence");
      }
      uint64_t size = 0;
      Status s = fs_->GetFileSize(TableFileName(dbname_, f->number), &size);
      if (s.IsNotFound()) {
        return Status::Corruption(
            name, "live table " + table + " (level " + std::to_string(level) + ") is missing");
      }
      if (!s.ok()) return s;
      if (size != f->file_size) {
        return Status::Corruption(name, "table " + table + " has " + std::to_string(size) +
                                            " bytes, not " + std::to_string(f->file_size));
      }
    }
  }
  return Status::OK();
}

Status VersionSet::ReadManifest(bool* torn_tail, const EditVisitor& visit) {
  assert(manifest_ == nullptr);
  *torn_tail = false;
  torn_tail_damage_.clear();
  uint64_t number;
  Status s = ReadCurrent(&number);
  if (!s.ok()) return s;
  return ReplayManifest(number, torn_tail, visit);
}

Status VersionSet::Recover(bool* torn_tail) {
  Status s = ReadManifest(torn_tail);
  if (!s.ok()) return s;
  return CheckRecovered();
}

Status VersionSet::WriteSnapshot(uint64_t number, std::unique_ptr<wal::Writer>* writer) {
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(ManifestFileName(dbname_, number), &file);
  if (!s.ok()) return s;
  auto w = std::make_unique<wal::Writer>(std::move(file), number);
  std::string record;
  Snapshot().EncodeTo(&record);
  s = w->AddRecord(record);
  if (s.ok()) s = w->Sync();
  if (s.ok()) *writer = std::move(w);
  return s;
}

Status VersionSet::StartNewManifest() {
  const uint64_t m = NewFileNumber();
  std::unique_ptr<wal::Writer> writer;
  Status s = WriteSnapshot(m, &writer);
  // The new MANIFEST's entry must be durable before CURRENT names it.
  if (s.ok()) s = fs_->SyncDir(dbname_);
  const std::string tmp = TempFileName(dbname_, m);
  if (s.ok()) {
    std::unique_ptr<WritableFile> file;
    s = fs_->NewWritableFile(tmp, &file);
    if (s.ok()) s = file->Append(ManifestFileName("", m).substr(1) + "\n");
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
  }
  if (!s.ok()) {
    // CURRENT still names the old MANIFEST (or nothing): the new files are
    // leftovers, removed here if possible, else by the next Open.
    fs_->RemoveFile(tmp).PermitUncheckedError();
    fs_->RemoveFile(ManifestFileName(dbname_, m)).PermitUncheckedError();
    return s;
  }
  s = fs_->RenameFile(tmp, CurrentFileName(dbname_));
  if (s.ok()) s = fs_->SyncDir(dbname_);
  if (!s.ok()) {
    // Past the rename, CURRENT may name either MANIFEST after a crash, so
    // neither may be deleted, and no edit may go to either: one would be
    // lost if the other wins. Writes stop until the next Open sorts it out.
    // (Regression: this path used to delete the new MANIFEST.)
    manifest_error_ = s;
    return s;
  }
  const uint64_t old = manifest_number_;
  manifest_ = std::move(writer);
  manifest_number_ = m;
  manifest_error_ = Status::OK();
  if (old != 0) {
    // Not needed for correctness (CURRENT moved on); a failure leaves a file
    // the next Open removes.
    fs_->RemoveFile(ManifestFileName(dbname_, old)).PermitUncheckedError();
  }
  return Status::OK();
}

Status VersionSet::LogAndApply(VersionEdit* edit) {
  if (!manifest_error_.ok()) return manifest_error_;
  if (edit->has_log_number() && edit->log_number() < log_number_) {
    return Status::InvalidArgument("LogAndApply", "log number goes backwards");
  }
  // Refuse here what the next Open would refuse: an intact record is never
  // forgiven, so a bad edit once synced would make the database unopenable.
  if (edit->has_log_number() && edit->log_number() >= next_file_number_) {
    return Status::InvalidArgument("LogAndApply", "log number not allocated yet");
  }
  for (const auto& [level, f] : edit->new_files()) {
    if (f.number >= next_file_number_ || f.largest_seqno > last_sequence_) {
      return Status::InvalidArgument(
          "LogAndApply", "file #" + std::to_string(f.number) + " is ahead of the counters");
    }
  }
  edit->SetNextFileNumber(next_file_number_);
  edit->SetLastSequence(last_sequence_);
  Status valid = edit->Validate();  // every rule DecodeFrom will apply at Open
  if (!valid.ok()) return Status::InvalidArgument("LogAndApply", valid.ToString());
  VersionBuilder builder(*current_);
  Status s = builder.Apply(*edit);
  if (!s.ok()) return s;
  std::shared_ptr<const Version> next = builder.Finish();

  if (manifest_ == nullptr || manifest_->file_size() >= options_.max_manifest_bytes) {
    // Start a MANIFEST (the first after Recover or at creation), or roll
    // over: the new MANIFEST's snapshot already holds this edit.
    std::shared_ptr<const Version> prev = current_;
    const uint64_t prev_log = log_number_;
    current_ = next;
    if (edit->has_log_number()) log_number_ = edit->log_number();
    s = StartNewManifest();
    if (!s.ok()) {
      current_ = prev;
      log_number_ = prev_log;
    }
    return s;
  }
  std::string record;
  edit->EncodeTo(&record);
  s = manifest_->AddRecord(record);
  if (s.ok()) s = manifest_->Sync();
  if (!s.ok()) {
    // The MANIFEST's durable contents are unknown now: never append to it
    // again (manifest.md), and do not act on the edit.
    manifest_error_ = s;
    return s;
  }
  current_ = std::move(next);
  if (edit->has_log_number()) log_number_ = edit->log_number();
  return Status::OK();
}

}  // namespace synapsed
