#include "synapsed/status.h"

#include <gtest/gtest.h>

namespace synapsed {

TEST(StatusTest, OkIsCheapAndPrintsOK) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ("OK", s.ToString());
  EXPECT_TRUE(s.message().empty());
}

TEST(StatusTest, CodesAndMessages) {
  Status c = Status::Corruption("000004.log", "checksum mismatch at offset 7");
  EXPECT_TRUE(c.IsCorruption());
  EXPECT_FALSE(c.ok());
  EXPECT_EQ("Corruption: 000004.log: checksum mismatch at offset 7", c.ToString());
  Status n = Status::NoSpace("append", "/db/000001.log");
  EXPECT_TRUE(n.IsIOError());
  EXPECT_TRUE(n.IsNoSpace());
  EXPECT_FALSE(Status::IOError("x").IsNoSpace());
  EXPECT_TRUE(Status::NotFound("k").IsNotFound());
  EXPECT_TRUE(Status::InvalidArgument("k").IsInvalidArgument());
  EXPECT_TRUE(Status::Busy("k").IsBusy());
  EXPECT_TRUE(Status::Aborted("k").IsAborted());
  EXPECT_TRUE(Status::NotSupported("k").IsNotSupported());
}

TEST(StatusTest, CopyAndMoveKeepMessage) {
  Status a = Status::IOError("disk gone");
  Status b = a;
  EXPECT_EQ(a.ToString(), b.ToString());
  Status c = std::move(b);
  EXPECT_EQ("IO error: disk gone", c.ToString());
  c = Status::OK();
  EXPECT_TRUE(c.ok());
  Status& alias = a;
  a = alias;  // self-assignment keeps the value
  EXPECT_TRUE(a.IsIOError());
}

TEST(StatusTest, EmptyMessagePrintsTheCodeOnly) {
  Status s = Status::NotFound(std::string_view());
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_TRUE(s.message().empty());
  EXPECT_EQ("NotFound: ", s.ToString());
  Status copy = s;
  EXPECT_TRUE(copy.IsNotFound());
}

}  // namespace synapsed
