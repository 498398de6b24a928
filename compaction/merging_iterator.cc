#include "compaction/merging_iterator.h"

#include <cassert>
#include <string_view>
#include <utility>

#include "util/internal_key.h"

namespace synapsed {

namespace {

// A binary heap over the valid children, ordered by (key, child index): a
// min-heap while moving forward, a max-heap while moving backward. The top is
// the current entry. Each heap slot caches its child's key() so sifting costs
// no virtual calls; a child's cached key stays valid because only the top
// child moves between rebuilds.
//
// Positioning invariant, with (k, c) the current key and child:
//   forward:  every other child is at its first entry after (k, c) in the
//             merged order (key > k if its index < c, key >= k if > c);
//   backward: every other child is at its last entry before (k, c) (key <= k
//             if its index < c, key < k if > c).
// So Next/Prev in the same direction move one child; a direction switch
// repositions all of them (SwitchToForward/SwitchToBackward).
class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());  // No allocation on any later move.
  }

  bool Valid() const override { return !heap_.empty(); }
  std::string_view key() const override {
    assert(Valid());
    return heap_[0].key;
  }
  std::string_view value() const override {
    assert(Valid());
    return heap_[0].iter->value();
  }
  Status status() const override { return status_; }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    Rebuild<true>();
  }
  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    Rebuild<false>();
  }
  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    Rebuild<true>();
  }
  void SeekForPrev(std::string_view target) override {
    for (auto& child : children_) child->SeekForPrev(target);
    Rebuild<false>();
  }
  void Next() override {
    assert(Valid());
    if (forward_) {
      StepTop<true>();
    } else {
      SwitchToForward();
    }
  }
  void Prev() override {
    assert(Valid());
    if (forward_) {
      SwitchToBackward();
    } else {
      StepTop<false>();
    }
  }

 private:
  struct Entry {
    std::string_view key;
    InternalIterator* iter;
    size_t index;  // in children_: breaks ties between equal keys
  };

  // True if a belongs nearer the top than b.
  template <bool kForward>
  static bool Before(const Entry& a, const Entry& b) {
    const int r = CompareInternalKeys(a.key, b.key);
    if (r != 0) return kForward ? r < 0 : r > 0;
    return kForward ? a.index < b.index : a.index > b.index;
  }

  template <bool kForward>
  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    const Entry moving = heap_[i];
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Before<kForward>(heap_[child + 1], heap_[child])) child++;
      if (!Before<kForward>(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  // Rebuilds the heap from the children's positions after all of them moved.
  // Any child that stopped on an error stops the whole iterator.
  template <bool kForward>
  void Rebuild() {
    forward_ = kForward;
    status_ = Status::OK();
    heap_.clear();
    for (size_t i = 0; i < children_.size(); i++) {
      InternalIterator* child = children_[i].get();
      if (child->Valid()) {
        heap_.push_back({child->key(), child, i});
      } else if (Status s = child->status(); !s.ok()) {
        Fail(std::move(s));
        return;
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown<kForward>(i);
  }

  // Next (forward) or Prev (backward) without a direction change: only the
  // top child moves.
  template <bool kForward>
  void StepTop() {
    Entry& top = heap_[0];
    InternalIterator* child = top.iter;
    if (kForward) {
      child->Next();
    } else {
      child->Prev();
    }
    if (child->Valid()) {
      top.key = child->key();
    } else if (Status s = child->status(); !s.ok()) {
      Fail(std::move(s));
      return;
    } else {
      heap_[0] = heap_.back();
      heap_.pop_back();
      if (heap_.empty()) return;
    }
    SiftDown<kForward>(0);
  }

  // Backward -> forward at (k, c): every other child moves to its first entry
  // after (k, c), then c steps past k. Seeking (rather than stepping each
  // child once) keeps this right even if a memtable child gained entries
  // since it was positioned.
  void SwitchToForward() {
    const std::string_view k = heap_[0].key;  // c's key: c moves last
    const size_t c = heap_[0].index;
    for (size_t i = 0; i < children_.size(); i++) {
      if (i == c) continue;
      InternalIterator* child = children_[i].get();
      child->Seek(k);
      // A lower index already had its turn at k (it comes before c on ties).
      if (i < c) {
        while (child->Valid() && CompareInternalKeys(child->key(), k) == 0) child->Next();
      }
    }
    children_[c]->Next();
    Rebuild<true>();
  }

  // Forward -> backward at (k, c): the mirror image of SwitchToForward.
  void SwitchToBackward() {
    const std::string_view k = heap_[0].key;
    const size_t c = heap_[0].index;
    for (size_t i = 0; i < children_.size(); i++) {
      if (i == c) continue;
      InternalIterator* child = children_[i].get();
      child->SeekForPrev(k);
      // A higher index comes after c on ties: its entries equal to k are not
      // yet due going backward.
      if (i > c) {
        while (child->Valid() && CompareInternalKeys(child->key(), k) == 0) child->Prev();
      }
    }
    children_[c]->Prev();
    Rebuild<false>();
  }

  void Fail(Status s) {
    status_ = std::move(s);
    heap_.clear();
  }

  std::vector<std::unique_ptr<InternalIterator>> children_;
  std::vector<Entry> heap_;  // the valid children; heap_[0] is the current entry
  bool forward_ = true;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  for ([[maybe_unused]] const auto& child : children) assert(child != nullptr);
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace synapsed
