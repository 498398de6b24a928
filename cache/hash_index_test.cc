#include "cache/hash_index.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "util/random.h"

namespace synapsed::cache_internal {
namespace {

struct Element {
  uint64_t hash;
  int id;
};

// Random inserts and erases against a model, with hashes drawn from a few
// values whose low bits collide (long runs, wrap-around at the array's end,
// equal hashes for distinct elements) and from the whole 64-bit range.
TEST(HashIndexTest, MatchesAModelThroughGrowthAndBackwardShiftDeletion) {
  Random rnd(41);
  for (int shape = 0; shape < 3; shape++) {
    HashIndex<Element> index;
    std::map<int, std::unique_ptr<Element>> model;  // id -> element
    int next_id = 0;
    auto random_hash = [&] {
      switch (shape) {
        case 0: return rnd.Next64();
        case 1: return (rnd.Next64() << 8) | 0xff;      // same low bits: one long run
        default: return uint64_t{15} + rnd.Uniform(4);  // few hashes, shared by many
      }
    };
    for (int step = 0; step < 20000; step++) {
      if (model.empty() || rnd.Uniform(3) != 0) {
        auto e = std::make_unique<Element>(Element{random_hash(), next_id++});
        index.Insert(e->hash, e.get());
        model[e->id] = std::move(e);
      } else {
        auto it = model.begin();
        std::advance(it, rnd.Uniform(std::min<size_t>(model.size(), 50)));
        index.Erase(it->second->hash, it->second.get());
        model.erase(it);
      }
      ASSERT_EQ(model.size(), index.size());
      if (step % 97 == 0) {
        for (const auto& [id, e] : model) {
          const int want = id;
          ASSERT_EQ(e.get(), index.Find(e->hash, [&](const Element* x) { return x->id == want; }))
              << "shape " << shape << " step " << step;
        }
        size_t seen = 0;
        index.ForEach([&](Element* x) {
          ASSERT_EQ(x, model.at(x->id).get());
          seen++;
        });
        ASSERT_EQ(model.size(), seen);
      }
      // Absent: a fresh id under a hash that may be present.
      ASSERT_EQ(nullptr, index.Find(random_hash(), [](const Element*) { return false; }));
    }
  }
}

}  // namespace
}  // namespace synapsed::cache_internal
