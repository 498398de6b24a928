#include "sstable/compression.h"

#include <gtest/gtest.h>

#include "sstable/format.h"
#include "util/random.h"

namespace synapsed {

namespace {
std::string Compressible(Random* rnd, size_t n) {
  std::string piece(40, ' ');
  for (auto& c : piece) c = static_cast<char>('a' + rnd->Uniform(26));
  std::string s;
  while (s.size() < n) s += piece;
  s.resize(n);
  return s;
}
}  // namespace

TEST(CompressionTest, RoundTripsEveryType) {
  Random rnd(1);
  for (auto type : {BlockCompression::kLZ4, BlockCompression::kZstd}) {
    for (size_t n : {0u, 1u, 100u, 4096u, 100000u}) {
      std::string input = Compressible(&rnd, n);
      std::string compressed, output;
      if (!CompressBlock(type, 3, input, &compressed)) {
        EXPECT_LT(n, 200u) << CompressionName(type);  // only tiny inputs may not pay
        continue;
      }
      EXPECT_LT(compressed.size(), input.size());
      ASSERT_TRUE(UncompressBlock(type, compressed, &output).ok());
      EXPECT_EQ(input, output);
      BlockBuffer buffer(7);  // replaced
      ASSERT_TRUE(UncompressBlock(type, compressed, &buffer).ok());
      EXPECT_EQ(input, buffer.view());
    }
  }
  BlockBuffer buffer;
  ASSERT_TRUE(UncompressBlock(BlockCompression::kNone, "raw bytes", &buffer).ok());
  EXPECT_EQ("raw bytes", buffer.view());
  // An empty block, as LZ4 encodes it: raw size 0, one token byte.
  std::string empty_lz4("\x00\x00", 2), output = "stale";
  ASSERT_TRUE(UncompressBlock(BlockCompression::kLZ4, empty_lz4, &output).ok());
  EXPECT_EQ("", output);
  ASSERT_TRUE(UncompressBlock(BlockCompression::kLZ4, empty_lz4, &buffer).ok());
  EXPECT_EQ(0u, buffer.size());
}

// A destination taken before the read (and prefetched) is decompressed into
// in place only when its capacity is exactly the result's size class, so
// the cache never charges a block for a bigger class than it needs.
TEST(CompressionTest, DestinationOfTheRightClassIsUsedInPlace) {
  Random rnd(4);
  const std::string input = Compressible(&rnd, 4100);  // class 4352
  for (auto type : {BlockCompression::kNone, BlockCompression::kLZ4, BlockCompression::kZstd}) {
    std::string compressed = input;
    if (type != BlockCompression::kNone) {
      ASSERT_TRUE(CompressBlock(type, 3, input, &compressed));
    }
    BlockBuffer same(4300);  // the same class as 4100
    const char* taken = same.data();
    ASSERT_TRUE(UncompressBlock(type, compressed, &same).ok());
    EXPECT_EQ(taken, same.data()) << CompressionName(type);
    EXPECT_EQ(input, same.view());
    for (size_t other : {size_t{4096}, size_t{4400}, size_t{8192}}) {  // classes around it
      BlockBuffer dest(other);
      ASSERT_TRUE(UncompressBlock(type, compressed, &dest).ok());
      EXPECT_EQ(BlockBuffer::CapacityFor(input.size()), dest.capacity()) << other;
      EXPECT_EQ(input, dest.view());
    }
  }
  // A valid size header and a damaged body fail after the destination is
  // in use: nothing of it is left as the result.
  std::string lz4;
  ASSERT_TRUE(CompressBlock(BlockCompression::kLZ4, 3, input, &lz4));
  BlockBuffer half(4300);
  EXPECT_TRUE(UncompressBlock(BlockCompression::kLZ4,
                              std::string_view(lz4).substr(0, lz4.size() / 2), &half)
                  .IsCorruption());
  EXPECT_EQ(0u, half.size());
  // Nor when the block's checksum fails before any decompression.
  std::string stored = lz4;
  AppendBlockTrailer(lz4, BlockCompression::kLZ4, /*table_seed=*/7, /*offset=*/0, &stored);
  stored[3] ^= 1;
  BlockBuffer stale(4300);
  const BlockHandle handle{0, lz4.size()};
  EXPECT_TRUE(DecodeBlock("t.sst", 7, handle, ReadBlockOptions(), stored, &stale).IsCorruption());
  EXPECT_EQ(0u, stale.size());
  stored[3] ^= 1;  // and the same bytes undamaged decode into it in place
  const char* taken = stale.data();
  ASSERT_TRUE(DecodeBlock("t.sst", 7, handle, ReadBlockOptions(), stored, &stale).ok());
  EXPECT_EQ(taken, stale.data());
  EXPECT_EQ(input, stale.view());
  // Nothing decompressed: the destination's old size does not survive.
  BlockBuffer dest(100);
  ASSERT_TRUE(UncompressBlock(BlockCompression::kNone, "", &dest).ok());
  EXPECT_EQ(0u, dest.size());
  dest = BlockBuffer(100);
  EXPECT_TRUE(
      UncompressBlock(BlockCompression::kLZ4, std::string("\xff", 1), &dest).IsCorruption());
  EXPECT_EQ(0u, dest.size());
}

TEST(CompressionTest, IncompressibleDataIsLeftRaw) {
  Random rnd(2);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rnd.Next());
  std::string out;
  EXPECT_FALSE(CompressBlock(BlockCompression::kLZ4, 3, noise, &out));
  EXPECT_FALSE(CompressBlock(BlockCompression::kZstd, 3, noise, &out));
  EXPECT_FALSE(CompressBlock(BlockCompression::kNone, 3, noise, &out));
}

TEST(CompressionTest, DamagedPayloadsAreCorruptionNeverACrash) {
  Random rnd(3);
  std::string input = Compressible(&rnd, 20000);
  for (auto type : {BlockCompression::kLZ4, BlockCompression::kZstd}) {
    std::string compressed, output;
    ASSERT_TRUE(CompressBlock(type, 3, input, &compressed));
    for (size_t len = 0; len < compressed.size(); len += 1 + len / 8) {
      const std::string_view cut = std::string_view(compressed).substr(0, len);
      Status s = UncompressBlock(type, cut, &output);
      EXPECT_TRUE(s.IsCorruption() || (s.ok() && output == input)) << len;
      EXPECT_FALSE(s.ok() && len < compressed.size()) << "a truncated payload decoded: " << len;
      BlockBuffer buffer;
      Status b = UncompressBlock(type, cut, &buffer);
      EXPECT_EQ(s.ToString(), b.ToString()) << len;
    }
    for (int i = 0; i < 200; i++) {
      std::string bad = compressed;
      bad[rnd.Uniform(bad.size())] ^= static_cast<char>(1 << rnd.Uniform(8));
      Status s = UncompressBlock(type, bad, &output);  // may decode to other bytes: the
      EXPECT_TRUE(s.ok() || s.IsCorruption());         // block checksum catches those
    }
  }
  std::string out;
  EXPECT_TRUE(UncompressBlock(BlockCompression::kLZ4, std::string("\xff\xff\xff\xff\x0f", 5), &out)
                  .IsCorruption());  // claims a 4 GiB block
}

}  // namespace synapsed
