// SkipList: an ordered set of keys with one writer and lock-free readers.
//
// Thread safety: Insert requires external synchronization (one writer at a
// time; the memtable's writer holds the write path). Readers (Contains and
// iterators) need no lock and may run concurrently with the writer: a node is
// fully initialized before it is published with a release store, and readers
// follow links with acquire loads.
//
// Invariants:
//   - Nodes are never deleted while the list lives (they live in the arena),
//     so a reader holding a node pointer can always follow it.
//   - Keys are unique (the memtable's internal keys carry a sequence number);
//     Insert REQUIRES that no equal key is present.
//   - Level 0 links every node in key order; level i > 0 links a subset.
//
// Key is a trivially copyable handle (the memtable uses const char* to an
// encoded entry); Comparator is a callable int(const Key&, const Key&).
#ifndef SYNAPSED_MEMTABLE_SKIPLIST_H_
#define SYNAPSED_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>

#include "memtable/arena.h"
#include "util/random.h"

namespace synapsed {

template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;

  // The arena must outlive the list.
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: external synchronization; no key equal to key in the list.
  void Insert(const Key& key);
  bool Contains(const Key& key) const;

  // Iteration over a list that may be growing concurrently: entries inserted
  // after the iterator passed their position are not seen.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}
    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid()
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // O(log n): the list has no back links.
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // First entry >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    // Last entry <= target. (Not Seek then Prev: a node inserted between
    // the two steps could be returned although it is > target.)
    void SeekForPrev(const Key& target) {
      Node* before = list_->FindLessThan(target);
      Node* next = before->Next(0);
      if (next != nullptr && list_->compare_(next->key, target) == 0) {
        node_ = next;
      } else {
        node_ = before == list_->head_ ? nullptr : before;
      }
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  int RandomHeight();
  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  Node* NewNode(const Key& key, int height);
  bool KeyIsAfterNode(const Key& key, Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }
  // First node >= key; fills prev[level] with the last node < key per level.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ if empty.
  Node* FindLast() const;

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  // Readers may see a stale (smaller) height; that is harmless because a
  // taller node's upper links are published after its level-0 link.
  std::atomic<int> max_height_;
  Random rnd_;  // writer only
};

template <typename Key, class Comparator>
struct SkipList<Key, Comparator>::Node {
  explicit Node(const Key& k) : key(k) {}
  Key const key;

  Node* Next(int n) { return next_[n].load(std::memory_order_acquire); }
  void SetNext(int n, Node* x) { next_[n].store(x, std::memory_order_release); }
  // For the writer before the node is published, and for head_ links that
  // are published by a later release store.
  Node* NoBarrierNext(int n) { return next_[n].load(std::memory_order_relaxed); }
  void NoBarrierSetNext(int n, Node* x) { next_[n].store(x, std::memory_order_relaxed); }

 private:
  // Array of length equal to the node height; next_[0] is the lowest level.
  std::atomic<Node*> next_[1];
};

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::NewNode(const Key& key,
                                                                             int height) {
  char* mem = arena_->AllocateAligned(sizeof(Node) +
                                      sizeof(std::atomic<Node*>) * (height - 1));
  return new (mem) Node(key);
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  // Each level up with probability 1/4.
  int height = 1;
  while (height < kMaxHeight && rnd_.OneIn(4)) height++;
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (KeyIsAfterNode(key, next)) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      level--;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLessThan(
    const Key& key) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && compare_(next->key, key) < 0) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast() const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator cmp, Arena* arena)
    : compare_(cmp),
      arena_(arena),
      head_(NewNode(Key(), kMaxHeight)),
      max_height_(1),
      rnd_(0xdeadbeef) {
  for (int i = 0; i < kMaxHeight; i++) head_->NoBarrierSetNext(i, nullptr);
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::Insert(const Key& key) {
  Node* prev[kMaxHeight];
  Node* x = FindGreaterOrEqual(key, prev);
  assert(x == nullptr || compare_(key, x->key) != 0);  // no duplicates
  (void)x;

  int height = RandomHeight();
  if (height > MaxHeight()) {
    for (int i = MaxHeight(); i < height; i++) prev[i] = head_;
    // A reader that sees the new height before the node is linked finds
    // nullptr in head_'s new levels and simply drops a level.
    max_height_.store(height, std::memory_order_relaxed);
  }

  x = NewNode(key, height);
  for (int i = 0; i < height; i++) {
    // The new node's own links need no barrier: it is published by the
    // release store into prev[i] below.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && compare_(key, x->key) == 0;
}

}  // namespace synapsed

#endif  // SYNAPSED_MEMTABLE_SKIPLIST_H_
