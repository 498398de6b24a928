#include "engine/filename.h"

#include <gtest/gtest.h>

namespace synapsed {

TEST(FileNameTest, RoundTrip) {
  uint64_t number;
  FileType type;
  EXPECT_EQ("/db/000007.log", LogFileName("/db", 7));
  EXPECT_EQ("/db/12345678.sst", TableFileName("/db", 12345678));
  ASSERT_TRUE(ParseFileName("000007.log", &number, &type));
  EXPECT_EQ(7u, number);
  EXPECT_EQ(FileType::kLog, type);
  EXPECT_FALSE(ParseFileName("12345678.ckpt", &number, &type));  // retired
  ASSERT_TRUE(ParseFileName("12345678.sst", &number, &type));
  EXPECT_EQ(FileType::kTable, type);
  EXPECT_EQ(12345678u, number);
  ASSERT_TRUE(ParseFileName("000009.dbtmp", &number, &type));
  EXPECT_EQ(FileType::kTemp, type);
  ASSERT_TRUE(ParseFileName("LOCK", &number, &type));
  EXPECT_EQ(FileType::kLock, type);
  ASSERT_TRUE(ParseFileName("IDENTITY", &number, &type));
  EXPECT_EQ(FileType::kIdentity, type);
  EXPECT_EQ("/db/000042.sst", TableFileName("/db", 42));
  ASSERT_TRUE(ParseFileName("000042.sst", &number, &type));
  EXPECT_EQ(FileType::kTable, type);
  EXPECT_EQ(42u, number);
  EXPECT_EQ("/db/MANIFEST-000005", ManifestFileName("/db", 5));
  ASSERT_TRUE(ParseFileName("MANIFEST-000005", &number, &type));
  EXPECT_EQ(FileType::kManifest, type);
  EXPECT_EQ(5u, number);
  ASSERT_TRUE(ParseFileName("CURRENT", &number, &type));
  EXPECT_EQ(FileType::kCurrent, type);
}

TEST(FileNameTest, RejectsForeignNames) {
  uint64_t number;
  FileType type;
  for (const char* name : {"", "foo", ".log", "7.lo", "x7.log", "7x.log", "-1.log",
                           "99999999999999999999999.log", "000007.log.1", "IDENTITY.tmp", "lost",
                           "MANIFEST-", "MANIFEST-12x", "CURRENT.dbtmp"}) {
    EXPECT_FALSE(ParseFileName(name, &number, &type)) << name;
  }
}

}  // namespace synapsed
