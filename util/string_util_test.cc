#include "util/string_util.h"

#include <gtest/gtest.h>

namespace synapsed {

TEST(StringUtilTest, HexAndEscapes) {
  EXPECT_EQ("", ToHex(""));
  EXPECT_EQ("00ff0a41", ToHex(std::string("\x00\xff\x0a"
                                          "A",
                                          4)));
  EXPECT_EQ("00FF0A41", ToHex(std::string("\x00\xff\x0a"
                                          "A",
                                          4),
                              true));
  EXPECT_EQ("key\\x00\\xFF\\x5C~", EscapeBytes(std::string("key\x00\xff\\~", 7)));
}

}  // namespace synapsed
