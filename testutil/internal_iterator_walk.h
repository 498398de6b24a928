// CheckInternalIteratorWalk: drives an InternalIterator and a model (its
// expected entries, in order) through the same random moves (SeekToFirst/
// Last, Seek, SeekForPrev, Next, Prev), asserting after every move that both
// agree, then compares full scans both ways. The internal-iterator twin of
// iterator_walk.h; shared by the merging and level iterator tests. Test-only.
#ifndef SYNAPSED_TESTUTIL_INTERNAL_ITERATOR_WALK_H_
#define SYNAPSED_TESTUTIL_INTERNAL_ITERATOR_WALK_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "util/internal_iterator.h"
#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed::test {

struct WalkEntry {
  std::string key;  // an internal key
  std::string value;
};

// The number of leading entries whose key sorts before t (inclusive: at or
// before t). Equal keys (from different sources) keep the model's order.
inline size_t CountBefore(const std::vector<WalkEntry>& v, std::string_view t, bool inclusive) {
  return std::partition_point(v.begin(), v.end(),
                              [&](const WalkEntry& e) {
                                const int r = CompareInternalKeys(e.key, t);
                                return inclusive ? r <= 0 : r < 0;
                              }) -
         v.begin();
}

// random_target: seek targets (internal keys). If `failed` is given, once it
// is set the iterator must show the error (invalid, Corruption) instead of
// the model, and the final scans are skipped.
inline void CheckInternalIteratorWalk(InternalIterator* it, const std::vector<WalkEntry>& model,
                                      Random* rnd,
                                      const std::function<std::string()>& random_target, int steps,
                                      const std::string& context, const bool* failed = nullptr) {
  const size_t end = model.size();
  size_t pos = end;  // the model's position; end = not valid
  for (int step = 0; step < steps; step++) {
    const std::string where = context + " step " + std::to_string(step);
    switch (rnd->Uniform(6)) {
      case 0:
        it->SeekToFirst();
        pos = 0;
        break;
      case 1:
        it->SeekToLast();
        pos = end == 0 ? end : end - 1;
        break;
      case 2: {
        const std::string t = random_target();
        it->Seek(t);
        pos = CountBefore(model, t, false);
        break;
      }
      case 3: {
        const std::string t = random_target();
        it->SeekForPrev(t);
        const size_t up = CountBefore(model, t, true);
        pos = up == 0 ? end : up - 1;
        break;
      }
      case 4:
        if (pos == end) continue;
        it->Next();
        pos++;
        break;
      case 5:
        if (pos == end) continue;
        it->Prev();
        pos = pos == 0 ? end : pos - 1;
        break;
    }
    if (failed != nullptr && *failed) {
      ASSERT_FALSE(it->Valid()) << where << ": a source failed but the iterator goes on";
      ASSERT_TRUE(it->status().IsCorruption()) << where << " " << it->status().ToString();
      pos = end;
      continue;
    }
    ASSERT_TRUE(it->status().ok()) << where << " " << it->status().ToString();
    ASSERT_EQ(pos != end, it->Valid()) << where;
    if (pos != end) {
      ASSERT_EQ(model[pos].key, it->key()) << where;
      ASSERT_EQ(model[pos].value, it->value()) << where;
    }
  }
  if (failed != nullptr) return;
  std::vector<std::string> fwd, rev, want;
  for (it->SeekToFirst(); it->Valid(); it->Next()) fwd.emplace_back(it->value());
  for (it->SeekToLast(); it->Valid(); it->Prev()) rev.emplace_back(it->value());
  ASSERT_TRUE(it->status().ok()) << context;
  for (const WalkEntry& e : model) want.push_back(e.value);
  ASSERT_EQ(want, fwd) << context << " (forward scan)";
  std::reverse(want.begin(), want.end());
  ASSERT_EQ(want, rev) << context << " (reverse scan)";
}

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTUTIL_INTERNAL_ITERATOR_WALK_H_
