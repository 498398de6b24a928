// Range tombstones, fragmented: the form every reader of range deletions uses.
//
// A range tombstone (start, end, seq) deletes every user key k with
// start <= k < end (bytewise) for reads at sequence >= seq: a key version
// with sequence v is hidden from a read at sequence r when v < seq <= r.
//
// FragmentedRangeTombstoneList turns any set of tombstones (any order,
// overlapping, nested) into sorted, non-overlapping fragments [start, end),
// each with the sequences of every tombstone that covers it, in descending
// order. Between two consecutive fragment boundaries the set of covering
// tombstones is constant, so "which tombstones cover k" is one binary search
// over fragments. The fragments are also the on-disk form of a table's range
// deletion block (docs/format/sstable.md): building a list from the
// fragments of another list gives the same fragments.
//
// Queries:
//   - MaxCoveringSequence(k, r): the highest tombstone sequence <= r among
//     the tombstones covering k (0: none), O(log fragments + log seqs).
//   - RangeDelCursor, for iterators: the same question for a stream of keys.
//     FragmentCursor gallops from its last position, so a walk that moves
//     forward or backward costs amortized O(1) per key (O(log d) for a jump
//     over d fragments); any key order is correct, so it needs no reset after
//     a Seek, SeekForPrev, SeekToFirst or SeekToLast.
//
// Sequence 0 is never a tombstone's (the engine numbers updates from 1), so
// 0 means "not covered": a version v is hidden iff v < the covering sequence.
//
// Ownership: a list owns copies of its keys; fragments' string_views point
// into it. Cursors share the list (shared_ptr), so a list lives while any
// cursor over it does.
// Thread safety: a list is immutable after construction and may be read from
// any thread. A cursor is used by one thread at a time.
#ifndef SYNAPSED_RANGEDEL_FRAGMENTED_RANGE_TOMBSTONE_LIST_H_
#define SYNAPSED_RANGEDEL_FRAGMENTED_RANGE_TOMBSTONE_LIST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "synapsed/status.h"
#include "util/internal_key.h"

namespace synapsed {

// One tombstone as written by DeleteRange.
struct RangeTombstone {
  std::string start;
  std::string end;  // exclusive
  SequenceNumber seq = 0;
};

class FragmentedRangeTombstoneList {
 public:
  struct Fragment {
    std::string_view start;
    std::string_view end;                  // exclusive; start < end
    std::span<const SequenceNumber> seqs;  // non-empty, strictly descending
  };

  // An empty list.
  FragmentedRangeTombstoneList() = default;
  // Fragments `tombstones`. Tombstones with start >= end are empty and
  // ignored; a sequence given twice for one fragment is kept once.
  explicit FragmentedRangeTombstoneList(const std::vector<RangeTombstone>& tombstones);
  FragmentedRangeTombstoneList(const FragmentedRangeTombstoneList&) = delete;
  FragmentedRangeTombstoneList& operator=(const FragmentedRangeTombstoneList&) = delete;

  bool empty() const { return fragments_.empty(); }
  size_t num_fragments() const { return fragments_.size(); }
  // (fragment, sequence) pairs: the entries of a range deletion block.
  size_t num_entries() const { return seqs_.size(); }
  // REQUIRES (each): i < num_fragments().
  Fragment fragment(size_t i) const {
    const Frag& f = fragments_[i];
    return {Point(f.point), Point(f.point + 1),
            std::span<const SequenceNumber>(seqs_).subspan(f.seq_begin, f.seq_end - f.seq_begin)};
  }
  std::string_view fragment_start(size_t i) const { return Point(fragments_[i].point); }
  std::string_view fragment_end(size_t i) const { return Point(fragments_[i].point + 1); }

  // The extent of all fragments: smallest start, largest end, and the lowest
  // and highest sequence. REQUIRES: !empty().
  std::string_view smallest_start() const { return Point(fragments_.front().point); }
  std::string_view largest_end() const { return Point(fragments_.back().point + 1); }
  SequenceNumber smallest_seq() const { return smallest_seq_; }
  SequenceNumber largest_seq() const { return largest_seq_; }
  // The internal keys a file holding these tombstones must span: the first
  // fragment's (start, newest sequence, kRangeDeletion), and the sentinel
  // (largest end, kMaxSequenceNumber, kRangeDeletion) (util/internal_key.h).
  // REQUIRES: !empty().
  std::string SmallestKey() const;
  std::string LargestKey() const;

  // The highest sequence <= read_seq of a tombstone covering user_key; 0 if
  // none does.
  SequenceNumber MaxCoveringSequence(std::string_view user_key, SequenceNumber read_seq) const;

  // The index of the fragment whose range holds user_key, or num_fragments()
  // if none does.
  size_t FindFragment(std::string_view user_key) const;
  // Fragments whose start is <= user_key: the index after the only fragment
  // that may hold user_key. Binary search from scratch.
  size_t UpperBound(std::string_view user_key) const;

  // The first sequence of fragment i that is <= read_seq, or 0.
  SequenceNumber VisibleSequence(size_t i, SequenceNumber read_seq) const;

 private:
  struct Frag {
    size_t point;      // start = Point(point), end = Point(point + 1)
    size_t seq_begin;  // seqs_[seq_begin, seq_end), descending
    size_t seq_end;
  };
  std::string_view Point(size_t i) const {
    return std::string_view(keys_).substr(point_offsets_[i],
                                          point_offsets_[i + 1] - point_offsets_[i]);
  }

  std::string keys_;                   // the distinct boundary keys, sorted, concatenated
  std::vector<size_t> point_offsets_;  // boundary i is keys_[off[i], off[i+1])
  std::vector<Frag> fragments_;
  std::vector<SequenceNumber> seqs_;
  SequenceNumber smallest_seq_ = 0;
  SequenceNumber largest_seq_ = 0;
};

// The question an iterator asks about the key it is on: the highest sequence
// at or below the cursor's read sequence of a tombstone covering user_key
// (0: none). Implementations answer from one list (FragmentCursor), from
// several (NewMergedRangeDelCursor), or from a level's tables (the engine's
// level cursor). A cursor that has to read tables can fail: it then answers
// 0 and status() says why; callers check status() after a query.
class RangeDelCursor {
 public:
  virtual ~RangeDelCursor();
  virtual SequenceNumber CoveringSequence(std::string_view user_key) = 0;
  virtual Status status() const { return Status::OK(); }
};

// A cursor over one list at read_seq. REQUIRES: list is not null.
std::unique_ptr<RangeDelCursor> NewFragmentCursor(
    std::shared_ptr<const FragmentedRangeTombstoneList> list, SequenceNumber read_seq);
// A cursor answering the maximum of its children's answers (each child is
// asked about every key, so each keeps its own amortized cost). Null if
// children is empty; the child itself if there is one.
std::unique_ptr<RangeDelCursor> NewMergedRangeDelCursor(
    std::vector<std::unique_ptr<RangeDelCursor>> children);
// A cursor that covers nothing and reports `status` (e.g. a table that could
// not be opened).
std::unique_ptr<RangeDelCursor> NewErrorRangeDelCursor(Status status);

}  // namespace synapsed

#endif  // SYNAPSED_RANGEDEL_FRAGMENTED_RANGE_TOMBSTONE_LIST_H_
