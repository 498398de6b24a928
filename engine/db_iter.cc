#include "engine/db_iter.h"

#include <cassert>

namespace synapsed {

Iterator::~Iterator() = default;

namespace {

// Two positioning regimes, as in LevelDB:
//  - kForward: iter_ is at the newest visible entry of the current key; key()
//    and value() are read from iter_.
//  - kReverse: iter_ is just before every entry of the current key (at the
//    previous user key's last entry, or invalid); the current key and value
//    were copied into saved_key_ / saved_value_.
class DBIter final : public Iterator {
 public:
  DBIter(std::unique_ptr<InternalIterator> iter, SequenceNumber seq,
         std::optional<std::string> lower, std::optional<std::string> upper,
         std::shared_ptr<const void> pin, std::unique_ptr<RangeDelCursor> range_dels)
      : pin_(std::move(pin)),
        iter_(std::move(iter)),
        range_dels_(std::move(range_dels)),
        sequence_(seq),
        lower_(std::move(lower)),
        upper_(std::move(upper)) {}

  bool Valid() const override { return valid_; }
  std::string_view key() const override {
    assert(valid_);
    return direction_ == kForward ? ExtractUserKey(iter_->key()) : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    assert(valid_);
    return direction_ == kForward ? iter_->value() : std::string_view(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void SeekToFirst() override {
    if (lower_) {
      Seek(*lower_);
      return;
    }
    direction_ = kForward;
    iter_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    direction_ = kReverse;
    if (upper_) {
      // The first possible entry of *upper_ is (upper, max sequence); the last
      // entry before it belongs to the largest key below the bound.
      iter_->SeekForPrev(MakeInternalKey(*upper_, kMaxSequenceNumber, kValueTypeForSeek));
    } else {
      iter_->SeekToLast();
    }
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    if (lower_ && target < *lower_) target = *lower_;
    direction_ = kForward;
    iter_->Seek(MakeInternalKey(target, sequence_, kValueTypeForSeek));
    FindNextUserEntry(false);
  }

  void SeekForPrev(std::string_view target) override {
    if (upper_ && target >= *upper_) {
      SeekToLast();
      return;
    }
    direction_ = kReverse;
    // (target, 0, kDeletion) is the last possible entry of target.
    iter_->SeekForPrev(MakeInternalKey(target, 0, ValueType::kDeletion));
    FindPrevUserEntry();
  }

  void Next() override {
    assert(valid_);
    if (direction_ == kReverse) {
      direction_ = kForward;
      // iter_ is before the current key's entries: step onto them; saved_key_
      // (the current key) is what FindNextUserEntry skips.
      if (iter_->Valid()) {
        iter_->Next();
      } else {
        iter_->SeekToFirst();
      }
    } else {
      saved_key_.assign(ExtractUserKey(iter_->key()));
      iter_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    assert(valid_);
    if (direction_ == kForward) {
      // Step back past every entry of the current key.
      saved_key_.assign(ExtractUserKey(iter_->key()));
      while (true) {
        iter_->Prev();
        if (!iter_->Valid()) {
          Invalidate();
          return;
        }
        if (ExtractUserKey(iter_->key()) < std::string_view(saved_key_)) break;
      }
      direction_ = kReverse;
    }
    FindPrevUserEntry();
  }

 private:
  enum Direction { kForward, kReverse };

  std::string_view MakeInternalKey(std::string_view user_key, SequenceNumber seq, ValueType t) {
    seek_key_.clear();
    AppendInternalKey(&seek_key_, user_key, seq, t);
    return seek_key_;
  }

  bool ParseCurrent(ParsedInternalKey* ikey) {
    if (ParseInternalKey(iter_->key(), ikey)) return true;
    status_ = Status::Corruption("iterator", "malformed internal key");
    return false;
  }

  // The type the walk treats ikey as: a value a range tombstone hides is a
  // deletion. False (status_ set) if the tombstones cannot be read.
  bool EffectiveType(const ParsedInternalKey& ikey, ValueType* type) {
    *type = ikey.type;
    if (ikey.type != ValueType::kValue || range_dels_ == nullptr) return true;
    const SequenceNumber covering = range_dels_->CoveringSequence(ikey.user_key);
    if (!range_dels_->status().ok()) {
      status_ = range_dels_->status();
      return false;
    }
    if (ikey.sequence < covering) *type = ValueType::kDeletion;
    return true;
  }

  void Invalidate() {
    valid_ = false;
    direction_ = kForward;
    saved_key_.clear();
    saved_value_.clear();
  }

  // Moves forward from iter_ to the newest visible live entry. With skipping,
  // entries of keys <= saved_key_ are older versions to pass over.
  void FindNextUserEntry(bool skipping) {
    for (; iter_->Valid(); iter_->Next()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) break;
      if (upper_ && ikey.user_key >= std::string_view(*upper_)) break;
      if (ikey.sequence > sequence_) continue;
      if (skipping && ikey.user_key <= std::string_view(saved_key_)) continue;
      ValueType type;
      if (!EffectiveType(ikey, &type)) break;
      if (type == ValueType::kDeletion) {
        // Hide this key's older versions too.
        saved_key_.assign(ikey.user_key);
        skipping = true;
        continue;
      }
      valid_ = true;
      saved_key_.clear();
      return;
    }
    Invalidate();
  }

  // Moves backward from iter_, collecting the newest visible version of the
  // key before iter_'s position; stops when it reaches an older key.
  void FindPrevUserEntry() {
    ValueType current = ValueType::kDeletion;  // nothing collected yet
    for (; iter_->Valid(); iter_->Prev()) {
      ParsedInternalKey ikey;
      if (!ParseCurrent(&ikey)) {
        Invalidate();
        return;
      }
      if (lower_ && ikey.user_key < std::string_view(*lower_)) break;
      if (ikey.sequence > sequence_) continue;
      if (current != ValueType::kDeletion && ikey.user_key < std::string_view(saved_key_)) break;
      if (!EffectiveType(ikey, &current)) {
        Invalidate();
        return;
      }
      if (current == ValueType::kDeletion) {
        saved_key_.clear();
        saved_value_.clear();
      } else {
        saved_key_.assign(ikey.user_key);
        saved_value_.assign(iter_->value());
      }
    }
    // A failed internal iterator may have hidden newer versions of the key
    // collected so far: what was collected is not the key's value.
    if (current == ValueType::kDeletion || !iter_->status().ok()) {
      Invalidate();
    } else {
      valid_ = true;
    }
  }

  std::shared_ptr<const void> pin_;  // released after iter_ (declared first)
  std::unique_ptr<InternalIterator> iter_;
  const std::unique_ptr<RangeDelCursor> range_dels_;  // null: no tombstones
  const SequenceNumber sequence_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;
  Direction direction_ = kForward;
  bool valid_ = false;
  Status status_;
  std::string saved_key_;
  std::string saved_value_;
  std::string seek_key_;
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        std::shared_ptr<const void> pin,
                                        std::unique_ptr<RangeDelCursor> range_dels) {
  return std::make_unique<DBIter>(std::move(internal), sequence, std::move(lower_bound),
                                  std::move(upper_bound), std::move(pin), std::move(range_dels));
}

}  // namespace synapsed
