// The fragmenter against hand-written cases and a brute-force model; cursors
// against MaxCoveringSequence over random walks in both directions.
#include "rangedel/fragmented_range_tombstone_list.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "util/random.h"

namespace synapsed {

namespace {

struct ExpectedFragment {
  std::string start, end;
  std::vector<SequenceNumber> seqs;
};

std::vector<ExpectedFragment> Fragments(const FragmentedRangeTombstoneList& list) {
  std::vector<ExpectedFragment> out;
  for (size_t i = 0; i < list.num_fragments(); i++) {
    auto f = list.fragment(i);
    out.push_back({std::string(f.start), std::string(f.end),
                   std::vector<SequenceNumber>(f.seqs.begin(), f.seqs.end())});
  }
  return out;
}

bool operator==(const ExpectedFragment& a, const ExpectedFragment& b) {
  return a.start == b.start && a.end == b.end && a.seqs == b.seqs;
}
std::ostream& operator<<(std::ostream& os, const ExpectedFragment& f) {
  os << "[" << f.start << "," << f.end << "){";
  for (auto s : f.seqs) os << s << " ";
  return os << "}";
}

// The definition: the highest seq <= read_seq among tombstones covering key.
SequenceNumber BruteForce(const std::vector<RangeTombstone>& ts, std::string_view key,
                          SequenceNumber read_seq) {
  SequenceNumber best = 0;
  for (const auto& t : ts) {
    if (t.start <= key && key < t.end && t.seq <= read_seq) best = std::max(best, t.seq);
  }
  return best;
}

}  // namespace

struct FragmentCase {
  const char* name;
  std::vector<RangeTombstone> input;
  std::vector<ExpectedFragment> expected;
};

TEST(FragmentedRangeTombstoneListTest, Table) {
  const std::vector<FragmentCase> cases = {
      {"empty", {}, {}},
      {"empty ranges are ignored", {{"b", "b", 3}, {"c", "a", 4}}, {}},
      {"one", {{"a", "c", 5}}, {{"a", "c", {5}}}},
      {"disjoint", {{"d", "f", 2}, {"a", "c", 1}}, {{"a", "c", {1}}, {"d", "f", {2}}}},
      {"adjacent", {{"a", "c", 1}, {"c", "e", 2}}, {{"a", "c", {1}}, {"c", "e", {2}}}},
      {"overlapping",
       {{"a", "e", 1}, {"c", "g", 2}},
       {{"a", "c", {1}}, {"c", "e", {2, 1}}, {"e", "g", {2}}}},
      {"nested",
       {{"a", "z", 3}, {"m", "n", 9}},
       {{"a", "m", {3}}, {"m", "n", {9, 3}}, {"n", "z", {3}}}},
      {"same range, several sequences",
       {{"a", "b", 4}, {"a", "b", 7}, {"a", "b", 1}},
       {{"a", "b", {7, 4, 1}}}},
      {"duplicate sequence kept once",
       {{"a", "c", 4}, {"b", "d", 4}},
       {{"a", "b", {4}}, {"b", "c", {4}}, {"c", "d", {4}}}},
      {"empty key as start", {{"", "a", 2}}, {{"", "a", {2}}}},
      {"shared start, different ends",
       {{"a", "c", 5}, {"a", "e", 3}},
       {{"a", "c", {5, 3}}, {"c", "e", {3}}}},
      {"gap between",
       {{"a", "b", 1}, {"c", "d", 2}, {"a", "d", 0 + 3}},
       {{"a", "b", {3, 1}}, {"b", "c", {3}}, {"c", "d", {3, 2}}}},
      {"binary keys",
       {{std::string("\0", 1), std::string("\xff", 1), 6}, {std::string("\x7f", 1), "\x80", 8}},
       {{std::string("\0", 1), "\x7f", {6}},
        {"\x7f", "\x80", {8, 6}},
        {"\x80", std::string("\xff", 1), {6}}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FragmentedRangeTombstoneList list(c.input);
    EXPECT_EQ(c.expected, Fragments(list));
    EXPECT_EQ(c.expected.empty(), list.empty());
    // Rebuilding from the fragments gives the same fragments (the table
    // reader relies on this).
    std::vector<RangeTombstone> again;
    for (const auto& f : c.expected) {
      for (auto s : f.seqs) again.push_back({f.start, f.end, s});
    }
    FragmentedRangeTombstoneList rebuilt(again);
    EXPECT_EQ(c.expected, Fragments(rebuilt));
  }
}

struct QueryCase {
  const char* key;
  SequenceNumber read_seq;
  SequenceNumber expected;
};

TEST(FragmentedRangeTombstoneListTest, MaxCoveringSequenceTable) {
  FragmentedRangeTombstoneList list({{"b", "f", 10}, {"d", "h", 20}, {"d", "e", 5}});
  const std::vector<QueryCase> cases = {
      {"a", 100, 0}, {"b", 100, 10}, {"b", 9, 0},    {"c", 10, 10}, {"d", 100, 20}, {"d", 19, 10},
      {"d", 9, 5},   {"d", 4, 0},    {"e", 100, 20}, {"e", 15, 10}, {"f", 100, 20}, {"f", 19, 0},
      {"h", 100, 0}, {"gz", 20, 20}, {"z", 100, 0},  {"", 100, 0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.expected, list.MaxCoveringSequence(c.key, c.read_seq))
        << c.key << "@" << c.read_seq;
  }
  EXPECT_EQ("b", list.smallest_start());
  EXPECT_EQ("h", list.largest_end());
  EXPECT_EQ(5u, list.smallest_seq());
  EXPECT_EQ(20u, list.largest_seq());
}

// Many overlapping tombstones over a small key space: every key and read
// sequence answers as the brute-force definition does, through
// MaxCoveringSequence and through cursors walked forward, backward and at
// random.
TEST(FragmentedRangeTombstoneListTest, ManyOverlappingAgainstBruteForce) {
  Random rnd(301);
  auto key = [&](uint64_t n) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%03u", static_cast<unsigned>(n));
    return std::string(buf);
  };
  for (int trial = 0; trial < 60; trial++) {
    const uint64_t space = 5 + rnd.Uniform(200);
    const int n = static_cast<int>(rnd.Uniform(trial % 10 == 0 ? 400 : 40));
    std::vector<RangeTombstone> ts;
    for (int i = 0; i < n; i++) {
      uint64_t a = rnd.Uniform(space), b = a + rnd.Skewed(7);
      ts.push_back({key(a), key(b), 1 + rnd.Uniform(1000)});
    }
    auto list = std::make_shared<const FragmentedRangeTombstoneList>(ts);
    // Structure: sorted, non-overlapping, sequences strictly descending.
    for (size_t i = 0; i < list->num_fragments(); i++) {
      auto f = list->fragment(i);
      ASSERT_LT(f.start, f.end);
      ASSERT_FALSE(f.seqs.empty());
      for (size_t j = 1; j < f.seqs.size(); j++) ASSERT_GT(f.seqs[j - 1], f.seqs[j]);
      if (i > 0) {
        ASSERT_LE(list->fragment(i - 1).end, f.start);
      }
    }
    std::vector<SequenceNumber> read_seqs = {0, 1, 500, 1000, kMaxSequenceNumber};
    for (int i = 0; i < 5; i++) read_seqs.push_back(rnd.Uniform(1001));
    for (SequenceNumber r : read_seqs) {
      for (uint64_t k = 0; k <= space + 130; k++) {
        ASSERT_EQ(BruteForce(ts, key(k), r), list->MaxCoveringSequence(key(k), r))
            << trial << " " << key(k) << "@" << r;
      }
      // Forward, then backward, then random jumps: one cursor throughout.
      auto cursor = NewFragmentCursor(list, r);
      for (uint64_t k = 0; k <= space + 130; k++) {
        ASSERT_EQ(BruteForce(ts, key(k), r), cursor->CoveringSequence(key(k))) << key(k);
        // Keys between the numbered ones too (e.g. "012x").
        ASSERT_EQ(BruteForce(ts, key(k) + "x", r), cursor->CoveringSequence(key(k) + "x"));
      }
      for (uint64_t k = space + 130;; k--) {
        ASSERT_EQ(BruteForce(ts, key(k), r), cursor->CoveringSequence(key(k))) << key(k);
        if (k == 0) break;
      }
      for (int i = 0; i < 300; i++) {
        const std::string k = key(rnd.Uniform(space + 130));
        ASSERT_EQ(BruteForce(ts, k, r), cursor->CoveringSequence(k)) << k;
      }
      ASSERT_TRUE(cursor->status().ok());
    }
  }
}

TEST(FragmentedRangeTombstoneListTest, MergedCursorTakesTheMaximum) {
  auto a = std::make_shared<const FragmentedRangeTombstoneList>(
      std::vector<RangeTombstone>{{"a", "m", 5}});
  auto b = std::make_shared<const FragmentedRangeTombstoneList>(
      std::vector<RangeTombstone>{{"f", "z", 9}});
  std::vector<std::unique_ptr<RangeDelCursor>> children;
  children.push_back(NewFragmentCursor(a, 100));
  children.push_back(NewFragmentCursor(b, 7));  // 9 is invisible at 7
  auto merged = NewMergedRangeDelCursor(std::move(children));
  EXPECT_EQ(5u, merged->CoveringSequence("g"));
  EXPECT_EQ(0u, merged->CoveringSequence("n"));
  std::vector<std::unique_ptr<RangeDelCursor>> more;
  more.push_back(NewFragmentCursor(b, 100));
  more.push_back(NewErrorRangeDelCursor(Status::Corruption("t.sst", "bad")));
  merged = NewMergedRangeDelCursor(std::move(more));
  EXPECT_EQ(9u, merged->CoveringSequence("g"));
  EXPECT_TRUE(merged->status().IsCorruption());
  EXPECT_EQ(nullptr, NewMergedRangeDelCursor({}));
}

}  // namespace synapsed
