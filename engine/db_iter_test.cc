// DBIter against a model: random versions in a memtable, random snapshots and
// bounds, random walks mixing Seek/SeekForPrev/Next/Prev.
#include "engine/db_iter.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "memtable/memtable.h"
#include "testutil/iterator_walk.h"
#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {

namespace {

struct Version {
  SequenceNumber seq;
  bool live;
  std::string value;
};

class Model {
 public:
  void Add(SequenceNumber seq, const std::string& k, bool live, const std::string& v) {
    history_[k].push_back({seq, live, v});
  }
  // A range deletion at seq: a tombstone version for every key in [b, e)
  // the model knows, and for keys added later (checked in At).
  void AddRange(SequenceNumber seq, const std::string& b, const std::string& e) {
    ranges_.push_back({b, e, seq});
  }
  // The visible state at seq within [lower, upper).
  std::map<std::string, std::string> At(SequenceNumber seq, const std::optional<std::string>& lo,
                                        const std::optional<std::string>& hi) const {
    std::map<std::string, std::string> out;
    for (const auto& [k, versions] : history_) {
      if ((lo && k < *lo) || (hi && k >= *hi)) continue;
      const Version* newest = nullptr;
      for (const auto& v : versions) {
        if (v.seq <= seq && (newest == nullptr || v.seq > newest->seq)) newest = &v;
      }
      bool covered = false;
      for (const auto& r : ranges_) {
        if (newest != nullptr && r.start <= k && k < r.end && newest->seq < r.seq && r.seq <= seq) {
          covered = true;
        }
      }
      if (newest != nullptr && newest->live && !covered) out[k] = newest->value;
    }
    return out;
  }

 private:
  std::map<std::string, std::vector<Version>> history_;
  std::vector<RangeTombstone> ranges_;
};

std::string Key(Random* rnd) { return "k" + std::to_string(rnd->Uniform(60)); }

}  // namespace

TEST(DBIterTest, EmptyAndAllDeleted) {
  auto mem = std::make_shared<MemTable>();
  auto it = NewDBIterator(MemTable::NewIterator(mem), 100, std::nullopt, std::nullopt);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  mem->Add(1, ValueType::kValue, "a", "1");
  mem->Add(2, ValueType::kDeletion, "a", "");
  it = NewDBIterator(MemTable::NewIterator(mem), 100, std::nullopt, std::nullopt);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  it = NewDBIterator(MemTable::NewIterator(mem), 1, std::nullopt, std::nullopt);
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("a", it->key());
  EXPECT_EQ("1", it->value());
}

TEST(DBIterTest, RandomWalksMatchModel) {
  for (uint64_t seed = 1; seed <= 40; seed++) {
    Random rnd(seed);
    auto mem = std::make_shared<MemTable>();
    Model model;
    SequenceNumber seq = 0;
    const int n = static_cast<int>(rnd.Uniform(300)) + 1;
    for (int i = 0; i < n; i++) {
      std::string k = Key(&rnd);
      bool live = !rnd.OneIn(3);
      std::string v = live ? "v" + std::to_string(seq + 1) : "";
      ++seq;
      mem->Add(seq, live ? ValueType::kValue : ValueType::kDeletion, k, v);
      model.Add(seq, k, live, v);
    }
    for (int trial = 0; trial < 20; trial++) {
      SequenceNumber snap = rnd.Uniform(seq + 2);
      std::optional<std::string> lo, hi;
      if (rnd.OneIn(3)) lo = Key(&rnd);
      if (rnd.OneIn(3)) hi = Key(&rnd);
      auto expect = model.At(snap, lo, hi);
      auto it = NewDBIterator(MemTable::NewIterator(mem), snap, lo, hi);
      test::CheckIteratorWalk(
          it.get(), expect, &rnd, [&] { return Key(&rnd); }, 60, "seed " + std::to_string(seed));
      if (HasFatalFailure()) return;
    }
  }
}

// Range tombstones in the memtable, applied through a cursor over its
// fragmented list: random walks with snapshots and bounds match the model.
TEST(DBIterTest, RangeTombstonesRandomWalksMatchModel) {
  for (uint64_t seed = 1; seed <= 40; seed++) {
    Random rnd(seed);
    auto mem = std::make_shared<MemTable>();
    Model model;
    SequenceNumber seq = 0;
    const int n = static_cast<int>(rnd.Uniform(300)) + 1;
    for (int i = 0; i < n; i++) {
      std::string k = Key(&rnd);
      ++seq;
      if (rnd.OneIn(8)) {
        std::string e = Key(&rnd);
        if (e < k) std::swap(k, e);
        if (k == e) e += "~";
        mem->Add(seq, ValueType::kRangeDeletion, k, e);
        model.AddRange(seq, k, e);
        continue;
      }
      bool live = !rnd.OneIn(4);
      std::string v = live ? "v" + std::to_string(seq) : "";
      mem->Add(seq, live ? ValueType::kValue : ValueType::kDeletion, k, v);
      model.Add(seq, k, live, v);
    }
    for (int trial = 0; trial < 20; trial++) {
      SequenceNumber snap = rnd.Uniform(seq + 2);
      std::optional<std::string> lo, hi;
      if (rnd.OneIn(3)) lo = Key(&rnd);
      if (rnd.OneIn(3)) hi = Key(&rnd);
      auto expect = model.At(snap, lo, hi);
      auto tombstones = mem->RangeTombstones();
      auto it = NewDBIterator(MemTable::NewIterator(mem), snap, lo, hi, nullptr,
                              tombstones ? NewFragmentCursor(tombstones, snap) : nullptr);
      test::CheckIteratorWalk(
          it.get(), expect, &rnd, [&] { return Key(&rnd); }, 60, "seed " + std::to_string(seed));
      if (HasFatalFailure()) return;
    }
  }
}

namespace {

// Sorted internal entries; moving onto entry `poison` fails the iterator
// (Corruption), as a table iterator does at a block whose checksum fails.
class PoisonedIterator final : public InternalIterator {
 public:
  PoisonedIterator(std::vector<std::pair<std::string, std::string>> entries, size_t poison)
      : entries_(std::move(entries)), poison_(poison) {}
  bool Valid() const override { return pos_ < entries_.size() && status_.ok(); }
  void SeekToFirst() override { MoveTo(0); }
  void SeekToLast() override { MoveTo(entries_.size() - 1); }
  void Seek(std::string_view) override { MoveTo(0); }
  void SeekForPrev(std::string_view) override { MoveTo(entries_.size() - 1); }
  void Next() override { MoveTo(pos_ + 1); }
  void Prev() override { MoveTo(pos_ == 0 ? entries_.size() : pos_ - 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  void MoveTo(size_t pos) {
    pos_ = pos;
    if (pos_ == poison_) status_ = Status::Corruption("000009.sst", "block at offset 317");
  }
  std::vector<std::pair<std::string, std::string>> entries_;
  size_t poison_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace

// Regression (corruption matrix, tests/corruption_test.cc): walking
// backward, DBIter collects a key's versions oldest first; when the block
// holding the newer ones failed, it returned the older value as valid.
TEST(DBIterTest, BackwardScanStopsAtAFailedBlockInsteadOfShowingAnOlderValue) {
  std::vector<std::pair<std::string, std::string>> entries = {
      {test::IKey("a", 1), "a1"},
      {test::IKey("b", 5, ValueType::kDeletion), ""},
      {test::IKey("b", 2), "old"}};
  auto it = NewDBIterator(std::make_unique<PoisonedIterator>(entries, 1), 100, std::nullopt,
                          std::nullopt);
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  // Forward, the same failure ends the walk too.
  it = NewDBIterator(std::make_unique<PoisonedIterator>(entries, 1), 100, std::nullopt,
                     std::nullopt);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("a", it->key());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

TEST(DBIterTest, ACursorErrorEndsTheIteration) {
  auto mem = std::make_shared<MemTable>();
  mem->Add(1, ValueType::kValue, "a", "1");
  auto it = NewDBIterator(MemTable::NewIterator(mem), 100, std::nullopt, std::nullopt, nullptr,
                          NewErrorRangeDelCursor(Status::IOError("000007.sst", "read failed")));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
}

}  // namespace synapsed
