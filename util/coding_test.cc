#include "util/coding.h"

#include <gtest/gtest.h>

#include "util/random.h"

namespace synapsed {

TEST(CodingTest, FixedRoundTrip) {
  std::string s;
  for (uint32_t v = 0; v < 100000; v += 7) PutFixed32(&s, v);
  for (uint32_t v = 0, i = 0; v < 100000; v += 7, i += 4) EXPECT_EQ(v, DecodeFixed32(s.data() + i));
  std::string t;
  PutFixed64(&t, 0x0102030405060708ull);
  EXPECT_EQ(t, std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));  // little-endian on disk
  EXPECT_EQ(0x0102030405060708ull, DecodeFixed64(t.data()));
}

TEST(CodingTest, Varint64RoundTripAndLength) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 16383, 16384, UINT32_MAX, UINT64_MAX};
  Random rnd(301);
  for (int i = 0; i < 1000; i++) values.push_back(rnd.Next64() >> rnd.Uniform(64));
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got;
    size_t before = in.size();
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(v, got);
    EXPECT_EQ(static_cast<size_t>(VarintLength(v)), before - in.size());
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RejectsOverflowAndTruncation) {
  std::string s;
  PutVarint64(&s, uint64_t{UINT32_MAX} + 1);
  std::string_view in(s);
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
  std::string t;
  PutVarint32(&t, UINT32_MAX);
  for (size_t len = 0; len < t.size(); len++) {
    std::string_view part(t.data(), len);
    EXPECT_FALSE(GetVarint32(&part, &v)) << len;
  }
  std::string eleven(11, '\xff');
  std::string_view e(eleven);
  uint64_t w;
  EXPECT_FALSE(GetVarint64(&e, &w));
}

TEST(CodingTest, LengthPrefixed) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "foo");
  PutLengthPrefixed(&s, std::string(200, 'x'));
  std::string_view in(s), v;
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ("", v);
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ("foo", v);
  ASSERT_TRUE(GetLengthPrefixed(&in, &v));
  EXPECT_EQ(std::string(200, 'x'), v);
  std::string bad;
  PutVarint32(&bad, 10);
  bad.append("short");
  std::string_view b(bad);
  EXPECT_FALSE(GetLengthPrefixed(&b, &v));
}

}  // namespace synapsed
