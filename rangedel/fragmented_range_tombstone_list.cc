#include "rangedel/fragmented_range_tombstone_list.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <set>

namespace synapsed {

FragmentedRangeTombstoneList::FragmentedRangeTombstoneList(
    const std::vector<RangeTombstone>& tombstones) {
  // The distinct boundaries, sorted. Between two consecutive boundaries the
  // set of covering tombstones cannot change, so each such interval with a
  // non-empty set is one fragment.
  std::vector<std::string_view> points;
  points.reserve(2 * tombstones.size());
  for (const auto& t : tombstones) {
    if (t.start >= t.end) continue;
    points.push_back(t.start);
    points.push_back(t.end);
  }
  point_offsets_.push_back(0);
  if (points.empty()) return;
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  auto index_of = [&](std::string_view key) {
    return static_cast<size_t>(std::lower_bound(points.begin(), points.end(), key) -
                               points.begin());
  };

  // Each tombstone covers the intervals [first, last) between boundaries.
  struct Span {
    size_t first, last;
    SequenceNumber seq;
  };
  std::vector<Span> spans;
  spans.reserve(points.size());
  for (const auto& t : tombstones) {
    if (t.start >= t.end) continue;
    spans.push_back({index_of(t.start), index_of(t.end), t.seq});
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.first < b.first; });
  std::vector<size_t> by_last(spans.size());
  for (size_t i = 0; i < spans.size(); i++) by_last[i] = i;
  std::sort(by_last.begin(), by_last.end(),
            [&](size_t a, size_t b) { return spans[a].last < spans[b].last; });

  // Sweep the intervals, keeping the covering sequences ordered.
  std::multiset<SequenceNumber, std::greater<>> active;
  size_t next_start = 0, next_end = 0;
  smallest_seq_ = kMaxSequenceNumber;
  for (size_t i = 0; i + 1 < points.size(); i++) {
    // A span ending here started at an earlier interval, so it is in `active`.
    for (; next_end < by_last.size() && spans[by_last[next_end]].last <= i; next_end++) {
      active.erase(active.find(spans[by_last[next_end]].seq));
    }
    for (; next_start < spans.size() && spans[next_start].first == i; next_start++) {
      active.insert(spans[next_start].seq);
    }
    if (active.empty()) continue;
    Frag f{i, seqs_.size(), 0};
    for (SequenceNumber seq : active) {
      if (seqs_.size() == f.seq_begin || seqs_.back() != seq) seqs_.push_back(seq);
    }
    f.seq_end = seqs_.size();
    smallest_seq_ = std::min(smallest_seq_, seqs_.back());
    largest_seq_ = std::max(largest_seq_, seqs_[f.seq_begin]);
    fragments_.push_back(f);
  }
  assert(!fragments_.empty());

  // Keep only the boundaries; the input may go away.
  point_offsets_.clear();
  point_offsets_.reserve(points.size() + 1);
  size_t bytes = 0;
  for (auto p : points) bytes += p.size();
  keys_.reserve(bytes);
  for (auto p : points) {
    point_offsets_.push_back(keys_.size());
    keys_.append(p);
  }
  point_offsets_.push_back(keys_.size());
}

std::string FragmentedRangeTombstoneList::SmallestKey() const {
  std::string key;
  AppendInternalKey(&key, smallest_start(), seqs_[fragments_.front().seq_begin],
                    ValueType::kRangeDeletion);
  return key;
}

std::string FragmentedRangeTombstoneList::LargestKey() const {
  std::string key;
  AppendRangeTombstoneSentinel(&key, largest_end());
  return key;
}

size_t FragmentedRangeTombstoneList::UpperBound(std::string_view user_key) const {
  auto it = std::partition_point(fragments_.begin(), fragments_.end(),
                                 [&](const Frag& f) { return Point(f.point) <= user_key; });
  return static_cast<size_t>(it - fragments_.begin());
}

size_t FragmentedRangeTombstoneList::FindFragment(std::string_view user_key) const {
  const size_t after = UpperBound(user_key);
  if (after == 0 || user_key >= fragment_end(after - 1)) return fragments_.size();
  return after - 1;
}

SequenceNumber FragmentedRangeTombstoneList::VisibleSequence(size_t i,
                                                             SequenceNumber read_seq) const {
  const Frag& f = fragments_[i];
  auto begin = seqs_.begin() + static_cast<ptrdiff_t>(f.seq_begin);
  auto end = seqs_.begin() + static_cast<ptrdiff_t>(f.seq_end);
  auto it = std::partition_point(begin, end, [&](SequenceNumber s) { return s > read_seq; });
  return it == end ? 0 : *it;
}

SequenceNumber FragmentedRangeTombstoneList::MaxCoveringSequence(std::string_view user_key,
                                                                 SequenceNumber read_seq) const {
  const size_t i = FindFragment(user_key);
  return i == fragments_.size() ? 0 : VisibleSequence(i, read_seq);
}

RangeDelCursor::~RangeDelCursor() = default;

namespace {

// Remembers how many fragments start at or before the last key asked about
// (pos_), and gallops from there: a key d fragments away costs O(log d).
class FragmentCursor final : public RangeDelCursor {
 public:
  FragmentCursor(std::shared_ptr<const FragmentedRangeTombstoneList> list, SequenceNumber read_seq)
      : list_(std::move(list)), read_seq_(read_seq) {}

  SequenceNumber CoveringSequence(std::string_view user_key) override {
    const size_t n = list_->num_fragments();
    if (pos_ < n && list_->fragment_start(pos_) <= user_key) {
      MoveForward(user_key, n);
    } else if (pos_ > 0 && list_->fragment_start(pos_ - 1) > user_key) {
      MoveBackward(user_key);
    }
    if (pos_ == 0 || user_key >= list_->fragment_end(pos_ - 1)) return 0;
    if (cached_fragment_ != pos_ - 1) {
      cached_fragment_ = pos_ - 1;
      cached_seq_ = list_->VisibleSequence(cached_fragment_, read_seq_);
    }
    return cached_seq_;
  }

 private:
  // The first index in [lo, hi) whose fragment starts after user_key, or hi.
  size_t FirstAfter(std::string_view user_key, size_t lo, size_t hi) const {
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (list_->fragment_start(mid) <= user_key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  // REQUIRES: fragment pos_ starts at or before user_key.
  void MoveForward(std::string_view user_key, size_t n) {
    size_t lo = pos_ + 1;  // fragment lo - 1 starts at or before user_key
    size_t hi = lo;
    size_t step = 1;
    while (hi < n && list_->fragment_start(hi) <= user_key) {
      lo = hi + 1;
      hi = lo + step;
      step <<= 1;
    }
    pos_ = FirstAfter(user_key, lo, std::min(hi, n));
  }
  // REQUIRES: fragment pos_ - 1 starts after user_key.
  void MoveBackward(std::string_view user_key) {
    size_t hi = pos_ - 1;  // fragment hi starts after user_key
    size_t lo = hi;
    size_t step = 1;
    while (lo > 0 && list_->fragment_start(lo - 1) > user_key) {
      hi = lo - 1;
      lo = hi >= step ? hi - step : 0;
      step <<= 1;
    }
    pos_ = FirstAfter(user_key, lo, hi);
  }

  const std::shared_ptr<const FragmentedRangeTombstoneList> list_;
  const SequenceNumber read_seq_;
  size_t pos_ = 0;
  size_t cached_fragment_ = SIZE_MAX;
  SequenceNumber cached_seq_ = 0;
};

class MergedCursor final : public RangeDelCursor {
 public:
  explicit MergedCursor(std::vector<std::unique_ptr<RangeDelCursor>> children)
      : children_(std::move(children)) {}
  SequenceNumber CoveringSequence(std::string_view user_key) override {
    SequenceNumber max = 0;
    for (const auto& c : children_) max = std::max(max, c->CoveringSequence(user_key));
    return max;
  }
  Status status() const override {
    for (const auto& c : children_) {
      Status s = c->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  const std::vector<std::unique_ptr<RangeDelCursor>> children_;
};

class ErrorCursor final : public RangeDelCursor {
 public:
  explicit ErrorCursor(Status status) : status_(std::move(status)) {}
  SequenceNumber CoveringSequence(std::string_view) override { return 0; }
  Status status() const override { return status_; }

 private:
  const Status status_;
};

}  // namespace

std::unique_ptr<RangeDelCursor> NewFragmentCursor(
    std::shared_ptr<const FragmentedRangeTombstoneList> list, SequenceNumber read_seq) {
  assert(list != nullptr);
  return std::make_unique<FragmentCursor>(std::move(list), read_seq);
}

std::unique_ptr<RangeDelCursor> NewMergedRangeDelCursor(
    std::vector<std::unique_ptr<RangeDelCursor>> children) {
  if (children.empty()) return nullptr;
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergedCursor>(std::move(children));
}

std::unique_ptr<RangeDelCursor> NewErrorRangeDelCursor(Status status) {
  return std::make_unique<ErrorCursor>(std::move(status));
}

}  // namespace synapsed
