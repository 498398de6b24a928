#include "engine/level_iterator.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "util/internal_key.h"

namespace synapsed {

int FindFile(const Version::FileList& files, std::string_view internal_key) {
  // Ranges are disjoint and sorted, so largest keys are sorted too.
  auto it = std::partition_point(files.begin(), files.end(), [&](const auto& f) {
    return CompareInternalKeys(f->largest, internal_key) < 0;
  });
  return static_cast<int>(it - files.begin());
}

namespace {

class LevelIterator final : public InternalIterator {
 public:
  LevelIterator(TableCache* table_cache, const ReadBlockOptions& options, Version::FileList files)
      : table_cache_(table_cache),
        options_(options),
        files_(std::move(files)),
        index_(files_.size()) {}

  bool Valid() const override { return file_iter_ != nullptr && file_iter_->Valid(); }
  std::string_view key() const override {
    assert(Valid());
    return file_iter_->key();
  }
  std::string_view value() const override {
    assert(Valid());
    return file_iter_->value();
  }
  Status status() const override { return status_; }

  void SeekToFirst() override {
    if (!OpenFile(0)) return;
    file_iter_->SeekToFirst();
    SkipEmptyForward();
  }
  void SeekToLast() override {
    if (!OpenFile(files_.empty() ? 0 : files_.size() - 1)) return;
    file_iter_->SeekToLast();
    SkipEmptyBackward();
  }
  void Seek(std::string_view target) override {
    if (!OpenFile(FindFile(files_, target))) return;
    file_iter_->Seek(target);
    SkipEmptyForward();
  }
  void SeekForPrev(std::string_view target) override {
    // The last file whose smallest key is <= target is the only one that can
    // hold the last entry <= target; files before it end below its smallest.
    const size_t after =
        std::partition_point(
            files_.begin(), files_.end(),
            [&](const auto& f) { return CompareInternalKeys(f->smallest, target) <= 0; }) -
        files_.begin();
    if (!OpenFile(after == 0 ? files_.size() : after - 1)) return;
    file_iter_->SeekForPrev(target);
    SkipEmptyBackward();
  }
  void Next() override {
    assert(Valid());
    file_iter_->Next();
    SkipEmptyForward();
  }
  void Prev() override {
    assert(Valid());
    file_iter_->Prev();
    SkipEmptyBackward();
  }

 private:
  // Makes file i current, reusing its iterator if it is already open (a
  // Seek within the current table costs no cache lookup). i == files_.size()
  // means "no file": the iterator becomes invalid. Returns true if there is a
  // healthy file iterator to position; false once an error is recorded.
  bool OpenFile(size_t i) {
    if (!status_.ok()) return false;
    if (i >= files_.size()) {
      Close();
      return false;
    }
    if (file_iter_ != nullptr && i == index_) return true;
    // Released first so that at most one table is pinned at a time.
    Close();
    const FileMetaData& f = *files_[i];
    file_iter_ = table_cache_->NewIterator(options_, f.number, f.file_size, &f.table);
    index_ = i;
    return SaveError();
  }
  void Close() {
    file_iter_.reset();
    index_ = files_.size();
  }
  // Records the current table's error, if any, and drops its iterator, so
  // the error is sticky and Valid() is false from now on. Returns true if
  // the table is healthy.
  bool SaveError() {
    if (file_iter_ == nullptr || file_iter_->status().ok()) return true;
    status_ = file_iter_->status();
    Close();
    return false;
  }
  // Moves to the following tables while the current one is exhausted.
  void SkipEmptyForward() {
    while (SaveError() && file_iter_ != nullptr && !file_iter_->Valid()) {
      if (OpenFile(index_ + 1)) file_iter_->SeekToFirst();
    }
  }
  void SkipEmptyBackward() {
    while (SaveError() && file_iter_ != nullptr && !file_iter_->Valid()) {
      if (OpenFile(index_ == 0 ? files_.size() : index_ - 1)) file_iter_->SeekToLast();
    }
  }

  TableCache* const table_cache_;
  const ReadBlockOptions options_;
  const Version::FileList files_;
  size_t index_;  // the current file; files_.size() when none is open
  std::unique_ptr<InternalIterator> file_iter_;
  Status status_;  // the first error; sticky
};

// True if f's largest key is at or above the first possible entry of
// user_key: FindFile's test without building the lookup key. Only a
// sentinel at user_key itself sorts below that entry.
bool LargestReaches(const FileMetaData& f, std::string_view user_key) {
  const std::string_view largest = ExtractUserKey(f.largest);
  return largest > user_key || (largest == user_key && !IsRangeTombstoneSentinel(f.largest));
}

class LevelRangeDelCursor final : public RangeDelCursor {
 public:
  LevelRangeDelCursor(TableCache* table_cache, Version::FileList files, SequenceNumber read_seq)
      : table_cache_(table_cache), files_(std::move(files)), read_seq_(read_seq) {}

  SequenceNumber CoveringSequence(std::string_view user_key) override {
    if (!status_.ok()) return 0;
    const size_t n = files_.size();
    // pos_ is FindFile's answer for the last key; keep it while it holds.
    const bool holds = (pos_ == 0 || !LargestReaches(*files_[pos_ - 1], user_key)) &&
                       (pos_ == n || LargestReaches(*files_[pos_], user_key));
    if (!holds) {
      pos_ = static_cast<size_t>(
          std::partition_point(files_.begin(), files_.end(),
                               [&](const auto& f) { return !LargestReaches(*f, user_key); }) -
          files_.begin());
    }
    if (pos_ == n || user_key < ExtractUserKey(files_[pos_]->smallest)) return 0;  // a gap
    if (loaded_ != pos_) {
      cursor_.reset();
      loaded_ = pos_;
      std::shared_ptr<const TableReader> reader;
      status_ = table_cache_->FindTable(files_[pos_]->number, files_[pos_]->file_size, &reader,
                                        &files_[pos_]->table);
      if (!status_.ok()) return 0;
      if (reader->range_tombstones() != nullptr) {
        cursor_ = NewFragmentCursor(reader->range_tombstones(), read_seq_);
      }
    }
    return cursor_ != nullptr ? cursor_->CoveringSequence(user_key) : 0;
  }
  Status status() const override { return status_; }

 private:
  TableCache* const table_cache_;
  const Version::FileList files_;
  const SequenceNumber read_seq_;
  size_t pos_ = 0;
  size_t loaded_ = SIZE_MAX;                // the file cursor_ reads
  std::unique_ptr<RangeDelCursor> cursor_;  // null: that file has no tombstones
  Status status_;
};

}  // namespace

std::unique_ptr<RangeDelCursor> NewLevelRangeDelCursor(TableCache* table_cache,
                                                       Version::FileList files,
                                                       SequenceNumber read_seq) {
  return std::make_unique<LevelRangeDelCursor>(table_cache, std::move(files), read_seq);
}

std::unique_ptr<InternalIterator> NewLevelIterator(TableCache* table_cache,
                                                   const ReadBlockOptions& options,
                                                   Version::FileList files) {
  return std::make_unique<LevelIterator>(table_cache, options, std::move(files));
}

}  // namespace synapsed
