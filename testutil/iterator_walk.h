// CheckIteratorWalk: drives an Iterator and a std::map model through the same
// random moves (SeekToFirst/Last, Seek, SeekForPrev, Next, Prev) and asserts
// after every move that both agree; then compares full scans both ways.
// Shared by the DB iterator's unit test and the model test. Test-only.
#ifndef SYNAPSED_TESTUTIL_ITERATOR_WALK_H_
#define SYNAPSED_TESTUTIL_ITERATOR_WALK_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "synapsed/iterator.h"
#include "util/random.h"

namespace synapsed::test {

// expect: exactly what the iterator should show (snapshot and bounds applied).
// random_key: seek targets. context: printed with any failure.
inline void CheckIteratorWalk(Iterator* it, const std::map<std::string, std::string>& expect,
                              Random* rnd, const std::function<std::string()>& random_key,
                              int steps, const std::string& context) {
  auto pos = expect.end();  // the model's position; end() = not valid
  for (int step = 0; step < steps; step++) {
    switch (rnd->Uniform(6)) {
      case 0:
        it->SeekToFirst();
        pos = expect.begin();
        break;
      case 1:
        it->SeekToLast();
        pos = expect.empty() ? expect.end() : std::prev(expect.end());
        break;
      case 2: {
        std::string t = random_key();
        it->Seek(t);
        pos = expect.lower_bound(t);
        break;
      }
      case 3: {
        std::string t = random_key();
        it->SeekForPrev(t);
        auto up = expect.upper_bound(t);
        pos = up == expect.begin() ? expect.end() : std::prev(up);
        break;
      }
      case 4:
        if (pos == expect.end()) continue;
        it->Next();
        ++pos;
        break;
      case 5:
        if (pos == expect.end()) continue;
        it->Prev();
        pos = pos == expect.begin() ? expect.end() : std::prev(pos);
        break;
    }
    ASSERT_TRUE(it->status().ok()) << context << " step " << step;
    ASSERT_EQ(pos != expect.end(), it->Valid()) << context << " step " << step;
    if (pos != expect.end()) {
      ASSERT_EQ(pos->first, it->key()) << context << " step " << step;
      ASSERT_EQ(pos->second, it->value()) << context << " step " << step;
    }
  }
  std::vector<std::pair<std::string, std::string>> fwd, rev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) fwd.emplace_back(it->key(), it->value());
  for (it->SeekToLast(); it->Valid(); it->Prev()) rev.emplace_back(it->key(), it->value());
  ASSERT_TRUE(it->status().ok()) << context;
  std::vector<std::pair<std::string, std::string>> want(expect.begin(), expect.end());
  ASSERT_EQ(want, fwd) << context << " (forward scan)";
  std::reverse(want.begin(), want.end());
  ASSERT_EQ(want, rev) << context << " (reverse scan)";
}

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTUTIL_ITERATOR_WALK_H_
