#include "memtable/memtable.h"

#include <gtest/gtest.h>

#include <map>

#include "testutil/testutil.h"
#include "util/random.h"

namespace synapsed {

namespace {
using test::IKey;
}  // namespace

TEST(MemTableTest, GetHonoursSequenceAndDeletes) {
  MemTable mem;
  mem.Add(1, ValueType::kValue, "a", "a1");
  mem.Add(2, ValueType::kValue, "b", "b2");
  mem.Add(3, ValueType::kDeletion, "a", "");
  mem.Add(4, ValueType::kValue, "a", "a4");
  mem.Add(5, ValueType::kValue, "", "empty-key");

  std::string v;
  bool found = false;
  ASSERT_FALSE(mem.Get(LookupKey("a", 0), &v, &found));  // nothing at seq 0
  ASSERT_TRUE(mem.Get(LookupKey("a", 1), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("a1", v);
  ASSERT_TRUE(mem.Get(LookupKey("a", 2), &v, &found));
  EXPECT_EQ("a1", v);
  ASSERT_TRUE(mem.Get(LookupKey("a", 3), &v, &found));
  EXPECT_FALSE(found);
  ASSERT_TRUE(mem.Get(LookupKey("a", 100), &v, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ("a4", v);
  ASSERT_TRUE(mem.Get(LookupKey("", 100), &v, &found));
  EXPECT_EQ("empty-key", v);
  EXPECT_FALSE(mem.Get(LookupKey("aa", 100), &v, &found));
  EXPECT_FALSE(mem.Get(LookupKey("c", 100), &v, &found));
  EXPECT_EQ(5u, mem.num_entries());
  EXPECT_EQ(1u, mem.num_deletes());
}

TEST(MemTableTest, IteratorOrdersByUserKeyThenNewestFirst) {
  auto mem = std::make_shared<MemTable>();
  mem->Add(1, ValueType::kValue, "b", "b1");
  mem->Add(2, ValueType::kValue, "a", "a2");
  mem->Add(3, ValueType::kValue, "b", "b3");
  mem->Add(4, ValueType::kDeletion, "a", "");
  auto iter = MemTable::NewIterator(mem);
  std::vector<std::string> seen;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey p;
    ASSERT_TRUE(ParseInternalKey(iter->key(), &p));
    seen.push_back(std::string(p.user_key) + "@" + std::to_string(p.sequence) + "=" +
                   std::string(iter->value()));
  }
  EXPECT_EQ((std::vector<std::string>{"a@4=", "a@2=a2", "b@3=b3", "b@1=b1"}), seen);

  iter->Seek(IKey("b", 2, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b1", iter->value());
  iter->SeekForPrev(IKey("b", 2, kValueTypeForSeek));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b3", iter->value());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a2", iter->value());
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b1", iter->value());
}

TEST(MemTableTest, LargeValuesAndBinaryKeys) {
  MemTable mem;
  Random rnd(5);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 500; i++) {
    std::string k(rnd.Uniform(40), '\0');
    for (auto& c : k) c = static_cast<char>(rnd.Next());
    std::string v(rnd.Skewed(17), 'v');
    mem.Add(i + 1, ValueType::kValue, k, v);
    model[k] = v;
  }
  for (const auto& [k, v] : model) {
    std::string got;
    bool found;
    ASSERT_TRUE(mem.Get(LookupKey(k, 1000), &got, &found));
    ASSERT_TRUE(found);
    ASSERT_EQ(v, got);
  }
  EXPECT_GT(mem.ApproximateMemoryUsage(), 0u);
}

}  // namespace synapsed
