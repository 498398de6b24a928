// The merging iterator alone, against a model (every child's entries sorted by
// (internal key, child index)), with random walks in both directions, injected
// child errors, and under DBIter on top of memtables.
#include "compaction/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/db_iter.h"
#include "memtable/memtable.h"
#include "testutil/internal_iterator_walk.h"
#include "testutil/iterator_walk.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

using test::IKey;

// The number of leading elements of sorted v whose key sorts before t
// (inclusive: at or before t).
template <typename Vec, typename KeyOf>
size_t CountBefore(const Vec& v, std::string_view t, bool inclusive, KeyOf key_of) {
  return std::partition_point(v.begin(), v.end(),
                              [&](const auto& e) {
                                const int r = CompareInternalKeys(key_of(e), t);
                                return inclusive ? r <= 0 : r < 0;
                              }) -
         v.begin();
}
std::string_view FirstOf(const std::pair<std::string, std::string>& e) { return e.first; }

// A sorted vector as an InternalIterator. With error_at set, arriving at that
// position fails with Corruption, and the failure is sticky (like a table
// iterator after a bad block): every later move leaves it invalid.
class VectorIterator final : public InternalIterator {
 public:
  explicit VectorIterator(Entries entries, std::optional<size_t> error_at = std::nullopt,
                          bool* failed = nullptr)
      : entries_(std::move(entries)), error_at_(error_at), failed_(failed), pos_(entries_.size()) {}

  bool Valid() const override { return status_.ok() && pos_ < entries_.size(); }
  std::string_view key() const override { return entries_.at(pos_).first; }
  std::string_view value() const override { return entries_.at(pos_).second; }
  Status status() const override { return status_; }

  void SeekToFirst() override { Land(0); }
  void SeekToLast() override { Land(entries_.empty() ? 0 : entries_.size() - 1); }
  void Seek(std::string_view target) override {
    Land(CountBefore(entries_, target, false, FirstOf));
  }
  void SeekForPrev(std::string_view target) override {
    const size_t up = CountBefore(entries_, target, true, FirstOf);
    Land(up == 0 ? entries_.size() : up - 1);
  }
  void Next() override {
    if (!Valid()) {
      ADD_FAILURE() << "Next on an invalid child";
      return;
    }
    Land(pos_ + 1);
  }
  void Prev() override {
    if (!Valid()) {
      ADD_FAILURE() << "Prev on an invalid child";
      return;
    }
    Land(pos_ == 0 ? entries_.size() : pos_ - 1);
  }

 private:
  void Land(size_t pos) {
    if (!status_.ok()) return;
    pos_ = std::min(pos, entries_.size());
    if (error_at_ && pos_ == *error_at_) {
      status_ = Status::Corruption("injected", std::to_string(pos_));
      if (failed_ != nullptr) *failed_ = true;
    }
  }

  const Entries entries_;
  const std::optional<size_t> error_at_;
  bool* const failed_;
  size_t pos_;
  Status status_;
};

using Model = std::vector<test::WalkEntry>;

// What the merge must produce: all entries, by (key, child index).
Model MergeModel(const std::vector<Entries>& children) {
  Model model;
  for (size_t c = 0; c < children.size(); c++) {
    for (const auto& [k, v] : children[c]) model.push_back({k, v});
  }
  std::stable_sort(model.begin(), model.end(),
                   [](const test::WalkEntry& a, const test::WalkEntry& b) {
                     return CompareInternalKeys(a.key, b.key) < 0;  // stable: child order on ties
                   });
  return model;
}

// A small key space (12 user keys x 6 sequences x 2 types), so children
// overlap and often hold the very same internal key.
std::string RandomIKey(Random* rnd, int user_keys, int seqs) {
  std::string user = "k" + std::to_string(10 + rnd->Uniform(user_keys));
  ValueType type = rnd->OneIn(2) ? ValueType::kValue : ValueType::kDeletion;
  return IKey(user, rnd->Uniform(seqs), type);
}

std::vector<Entries> RandomChildren(Random* rnd, size_t n) {
  std::vector<Entries> children(n);
  for (size_t c = 0; c < n; c++) {
    std::vector<std::string> keys;
    const uint64_t count = rnd->Skewed(6);
    for (uint64_t i = 0; i < count; i++) keys.push_back(RandomIKey(rnd, 12, 6));
    std::sort(keys.begin(), keys.end(),
              [](const auto& a, const auto& b) { return CompareInternalKeys(a, b) < 0; });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (size_t i = 0; i < keys.size(); i++) {
      children[c].emplace_back(keys[i], "c" + std::to_string(c) + "#" + std::to_string(i));
    }
  }
  return children;
}

std::unique_ptr<InternalIterator> Merge(const std::vector<Entries>& children,
                                        std::optional<size_t> error_child = std::nullopt,
                                        size_t error_at = 0, bool* failed = nullptr) {
  std::vector<std::unique_ptr<InternalIterator>> its;
  for (size_t c = 0; c < children.size(); c++) {
    if (error_child == c) {
      its.push_back(std::make_unique<VectorIterator>(children[c], error_at, failed));
    } else {
      its.push_back(std::make_unique<VectorIterator>(children[c]));
    }
  }
  return NewMergingIterator(std::move(its));
}

// The shared walk (testutil/internal_iterator_walk.h) with this test's seek
// targets: the same small key space the children are drawn from.
void CheckInternalWalk(InternalIterator* it, const Model& model, Random* rnd, int steps,
                       const std::string& context, const bool* failed = nullptr) {
  test::CheckInternalIteratorWalk(
      it, model, rnd, [rnd] { return RandomIKey(rnd, 14, 8); }, steps, context, failed);
}

}  // namespace

TEST(MergingIteratorTest, NoChildren) {
  auto it = NewMergingIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(IKey("a", 1, ValueType::kValue));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(MergingIteratorTest, OneChild) {
  Random rnd(7);
  std::vector<Entries> children = RandomChildren(&rnd, 1);
  auto it = Merge(children);
  CheckInternalWalk(it.get(), MergeModel(children), &rnd, 300, "one child");
}

// Equal internal keys in three children come out in child order forward and
// in reverse child order backward, also across direction switches inside the
// run of equal keys.
TEST(MergingIteratorTest, TiesFollowChildIndex) {
  const std::string a = IKey("a", 5, ValueType::kValue);
  const std::string b = IKey("b", 5, ValueType::kValue);
  std::vector<Entries> children = {{{a, "0a"}}, {{a, "1a"}, {b, "1b"}}, {{a, "2a"}}};
  auto it = Merge(children);
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.emplace_back(it->value());
  EXPECT_EQ((std::vector<std::string>{"0a", "1a", "2a", "1b"}), seen);
  seen.clear();
  for (it->SeekToLast(); it->Valid(); it->Prev()) seen.emplace_back(it->value());
  EXPECT_EQ((std::vector<std::string>{"1b", "2a", "1a", "0a"}), seen);

  it->Seek(a);
  ASSERT_EQ("0a", it->value());
  it->Next();
  ASSERT_EQ("1a", it->value());
  it->Prev();
  ASSERT_EQ("0a", it->value());
  it->Next();
  it->Next();
  ASSERT_EQ("2a", it->value());
  it->Prev();
  ASSERT_EQ("1a", it->value());
  it->SeekForPrev(a);
  ASSERT_EQ("2a", it->value());
  it->Prev();
  ASSERT_EQ("1a", it->value());
  it->Next();
  ASSERT_EQ("2a", it->value());
  it->Next();
  ASSERT_EQ("1b", it->value());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(MergingIteratorTest, RandomMergesMatchModel) {
  for (uint64_t seed = 1; seed <= 300; seed++) {
    Random rnd(seed);
    std::vector<Entries> children = RandomChildren(&rnd, rnd.Uniform(9));
    auto it = Merge(children);
    CheckInternalWalk(
        it.get(), MergeModel(children), &rnd, 400,
        "seed " + std::to_string(seed) + " children " + std::to_string(children.size()));
    if (HasFatalFailure()) return;
  }
}

// Scans from either end stop exactly where the failing child is moved onto
// its bad entry, and status() says why.
TEST(MergingIteratorTest, ChildErrorStopsScans) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    Random rnd(seed);
    std::vector<Entries> children = RandomChildren(&rnd, 2 + rnd.Uniform(7));
    const size_t bad = rnd.Uniform(children.size());
    if (children[bad].empty()) continue;
    const size_t at = rnd.Uniform(children[bad].size());
    const Model model = MergeModel(children);
    const std::string context = "seed " + std::to_string(seed);
    // The entry of `bad` just before (forward) / after (backward) `at`.
    auto index_of = [&](size_t child_pos) {
      const std::string& v = children[bad][child_pos].second;
      return std::find_if(model.begin(), model.end(),
                          [&](const test::WalkEntry& e) { return e.value == v; }) -
             model.begin();
    };
    const size_t fwd_count = at == 0 ? 0 : index_of(at - 1) + 1;
    const size_t rev_count = at + 1 == children[bad].size() ? 0 : model.size() - index_of(at + 1);

    auto it = Merge(children, bad, at);
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(model[n++].value, it->value());
    EXPECT_EQ(fwd_count, n) << context;
    EXPECT_TRUE(it->status().IsCorruption()) << context;

    it = Merge(children, bad, at);
    n = 0;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      ASSERT_EQ(model[model.size() - 1 - n++].value, it->value());
    }
    EXPECT_EQ(rev_count, n) << context;
    EXPECT_TRUE(it->status().IsCorruption()) << context;
    checked++;
  }
  EXPECT_GT(checked, 100);
}

// Random walks with one failing child: the merge matches the model until the
// child fails, and from then on shows the error on every move.
TEST(MergingIteratorTest, ChildErrorNeverSkipped) {
  for (uint64_t seed = 1; seed <= 200; seed++) {
    Random rnd(seed);
    std::vector<Entries> children = RandomChildren(&rnd, 2 + rnd.Uniform(7));
    const size_t bad = rnd.Uniform(children.size());
    bool failed = false;
    auto it = Merge(children, bad, rnd.Uniform(children[bad].size() + 1), &failed);
    CheckInternalWalk(it.get(), MergeModel(children), &rnd, 300, "seed " + std::to_string(seed),
                      &failed);
    if (HasFatalFailure()) return;
  }
}

// Versions of the same user keys spread over two memtables, merged and read
// through DBIter, look exactly like one memtable holding them all: the merge
// + DBIter composition the read path relies on.
TEST(MergingIteratorTest, MergedMemtablesUnderDBIter) {
  for (uint64_t seed = 1; seed <= 30; seed++) {
    Random rnd(seed);
    auto all = std::make_shared<MemTable>();
    std::shared_ptr<MemTable> parts[2] = {std::make_shared<MemTable>(),
                                          std::make_shared<MemTable>()};
    const SequenceNumber last = 1 + rnd.Uniform(400);
    for (SequenceNumber seq = 1; seq <= last; seq++) {
      const std::string k = "k" + std::to_string(10 + rnd.Uniform(40));
      const ValueType type = rnd.OneIn(4) ? ValueType::kDeletion : ValueType::kValue;
      const std::string v = type == ValueType::kValue ? "v" + std::to_string(seq) : "";
      all->Add(seq, type, k, v);
      parts[rnd.Uniform(2)]->Add(seq, type, k, v);
    }
    for (int round = 0; round < 4; round++) {
      const SequenceNumber snap = round == 0 ? kMaxSequenceNumber : rnd.Uniform(last + 1);
      std::optional<std::string> lo, hi;
      if (rnd.OneIn(3)) lo = "k" + std::to_string(10 + rnd.Uniform(40));
      if (rnd.OneIn(3)) hi = "k" + std::to_string(10 + rnd.Uniform(40));
      std::map<std::string, std::string> expect;
      auto one = NewDBIterator(MemTable::NewIterator(all), snap, lo, hi);
      for (one->SeekToFirst(); one->Valid(); one->Next()) expect.emplace(one->key(), one->value());
      ASSERT_TRUE(one->status().ok());

      std::vector<std::unique_ptr<InternalIterator>> children;
      children.push_back(MemTable::NewIterator(parts[0]));
      children.push_back(MemTable::NewIterator(parts[1]));
      auto merged = NewDBIterator(NewMergingIterator(std::move(children)), snap, lo, hi);
      test::CheckIteratorWalk(
          merged.get(), expect, &rnd, [&] { return "k" + std::to_string(8 + rnd.Uniform(45)); },
          300, "seed " + std::to_string(seed) + " snapshot " + std::to_string(snap));
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace synapsed
