#include "sstable/two_level_iterator.h"

#include <string>

namespace synapsed {

namespace {

class TwoLevelIterator final : public InternalIterator {
 public:
  TwoLevelIterator(std::unique_ptr<InternalIterator> index, BlockOpener open)
      : index_(std::move(index)), open_(std::move(open)) {}

  bool Valid() const override { return block_ != nullptr && block_->Valid(); }
  std::string_view key() const override { return block_->key(); }
  std::string_view value() const override { return block_->value(); }
  Status status() const override {
    if (!index_->status().ok()) return index_->status();
    if (!status_.ok()) return status_;
    return block_ != nullptr ? block_->status() : Status::OK();
  }

  void SeekToFirst() override {
    index_->SeekToFirst();
    OpenBlock();
    if (block_) block_->SeekToFirst();
    SkipEmptyForward();
  }
  void SeekToLast() override {
    index_->SeekToLast();
    OpenBlock();
    if (block_) block_->SeekToLast();
    SkipEmptyBackward();
  }
  void Seek(std::string_view target) override {
    index_->Seek(target);
    OpenBlock();
    if (block_) block_->Seek(target);
    SkipEmptyForward();
  }
  void SeekForPrev(std::string_view target) override {
    // The index entry >= target names the only block that can hold the last
    // key <= target, or else it is the block before.
    index_->Seek(target);
    if (!index_->Valid()) index_->SeekToLast();
    OpenBlock();
    if (block_) block_->SeekForPrev(target);
    SkipEmptyBackward();
  }
  void Next() override {
    block_->Next();
    SkipEmptyForward();
  }
  void Prev() override {
    block_->Prev();
    SkipEmptyBackward();
  }

 private:
  // Opens the block at the index's position (none if the index is done).
  void OpenBlock() {
    block_.reset();
    if (!index_->Valid() || !status_.ok()) return;
    Status s;
    block_ = open_(index_->value(), &s);
    if (!s.ok()) {
      status_ = s;
      block_.reset();
    }
  }
  // True if the current block iterator is exhausted but healthy.
  bool AtBlockEnd() const { return block_ != nullptr && !block_->Valid() && block_->status().ok(); }

  void SkipEmptyForward() {
    while (AtBlockEnd()) {
      index_->Next();
      OpenBlock();
      if (block_) block_->SeekToFirst();
    }
  }
  void SkipEmptyBackward() {
    while (AtBlockEnd()) {
      index_->Prev();
      OpenBlock();
      if (block_) block_->SeekToLast();
    }
  }

  std::unique_ptr<InternalIterator> index_;
  BlockOpener open_;
  std::unique_ptr<InternalIterator> block_;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index,
                                                      BlockOpener open_block) {
  return std::make_unique<TwoLevelIterator>(std::move(index), std::move(open_block));
}

}  // namespace synapsed
