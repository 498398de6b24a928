#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "testutil/testutil.h"
#include "tools/bench/config.h"
#include "tools/bench/generators.h"
#include "tools/bench/report.h"
#include "tools/bench/runner.h"

namespace synapsed::bench {

TEST(BenchConfigTest, UnbuiltFeaturesAreRejectedNotIgnored) {
  EXPECT_TRUE(ValidateExplicitFlags({}).ok());
  // Values that ask nothing of a missing feature pass.
  EXPECT_TRUE(ValidateExplicitFlags({{"compression_type", "none"},
                                     {"bloom_bits", "10"},
                                     {"cache_size", "268435456"},
                                     {"block_size", "16384"},
                                     {"write_buffer_size", "1048576"},
                                     {"compaction_style", "0"},
                                     {"disable_wal", "false"},
                                     {"use_direct_reads", "false"},
                                     {"num", "5"}})
                  .ok());
  EXPECT_TRUE(ValidateExplicitFlags({{"compaction_style", "1"}}).ok());  // universal
  EXPECT_TRUE(ValidateExplicitFlags({{"use_direct_reads", "true"}}).ok());
  for (auto [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"compression_type", "snappy"}, {"compaction_style", "2"}, {"disable_wal", "true"}}) {
    Status s = ValidateExplicitFlags({{flag, value}});
    EXPECT_TRUE(s.IsInvalidArgument()) << flag;
    EXPECT_NE(std::string::npos, s.ToString().find("--" + flag + "=" + value)) << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find("synapsed has no")) << s.ToString();
  }
}

TEST(BenchConfigTest, BenchmarkNames) {
  EXPECT_TRUE(
      ValidateBenchmarks(
          SplitCommaList(
              "fillseq,fillrandom,filluniquerandom,overwrite,fillsync,readrandom,readmissing,"
              "readseq,readreverse,seekrandom,multireadrandom,readwhilewriting,deleterandom,"
              "stats,flush,levelstats,compact,waitforcompaction"))
          .ok());
  Status s = ValidateBenchmarks({"fillseq", "fillsequential"});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(std::string::npos, s.ToString().find("fillsequential")) << s.ToString();
  EXPECT_TRUE(ValidateBenchmarks({"fillsequential"}).IsInvalidArgument());
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), SplitCommaList(",a,,b,"));
}

TEST(GeneratorsTest, KeysAreBigEndianPaddedWithZeros) {
  KeyGenerator k16(16);
  EXPECT_EQ(std::string("\0\0\0\0\0\0\x01\x02"
                        "00000000",
                        16),
            k16.Key(0x0102));
  KeyGenerator k4(4);  // shorter than 8 bytes: the low bytes of the number
  EXPECT_EQ(std::string("\x00\x00\x01\x02", 4), k4.Key(0x0102));
  // Keys sort like their numbers.
  KeyGenerator k(16);
  std::string prev(k.Key(0));
  for (uint64_t n = 1; n < 5000; n += 7) {
    std::string cur(k.Key(n));
    EXPECT_LT(prev, cur);
    prev = cur;
  }
}

TEST(GeneratorsTest, ValuesCompressToTheRatio) {
  ValueGenerator g(0.5, 301);
  std::string_view v = g.Generate(100);
  ASSERT_EQ(100u, v.size());
  // Each 100-byte piece is a 50-byte random string repeated: half is new.
  EXPECT_EQ(v.substr(0, 50), v.substr(50, 50));
  std::set<char> distinct(v.begin(), v.end());
  EXPECT_GT(distinct.size(), 20u);
  for (char c : v) {
    EXPECT_GE(c, ' ');
    EXPECT_LT(c, ' ' + 95);
  }
  // Consecutive values differ, and the buffer wraps without failing.
  EXPECT_NE(std::string(g.Generate(100)), std::string(g.Generate(100)));
  for (int i = 0; i < 30000; i++) ASSERT_EQ(100u, g.Generate(100).size());
}

TEST(GeneratorsTest, KeySequences) {
  KeySequence seq(KeyOrder::kSequential, 5, 1);
  for (uint64_t i = 0; i < 5; i++) EXPECT_EQ(i, seq.Next());
  KeySequence unique(KeyOrder::kUnique, 1000, 7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; i++) seen.insert(unique.Next());
  EXPECT_EQ(1000u, seen.size());
  EXPECT_EQ(999u, *seen.rbegin());
  KeySequence random(KeyOrder::kRandom, 10, 3), again(KeyOrder::kRandom, 10, 3);
  for (int i = 0; i < 100; i++) {
    uint64_t n = random.Next();
    EXPECT_LT(n, 10u);
    EXPECT_EQ(n, again.Next());  // reproducible from the seed
  }
}

TEST(ReportTest, ResultLineMatchesDbBenchFormatAndRegex) {
  Result r;
  r.name = "fillseq";
  r.ops = 10000;
  r.elapsed_seconds = 0.069;
  r.thread_seconds = 0.06925;
  r.bytes = 1160000;
  EXPECT_EQ(
      "fillseq      :       6.925 micros/op 144927 ops/sec 0.069 seconds 10000 operations;   "
      "16.0 MB/s\n",
      FormatResultLine(r));
  r.name = "readrandom";
  r.message = "(1000 of 1000 found)";
  std::string line = FormatResultLine(r);
  EXPECT_NE(std::string::npos, line.find("MB/s (1000 of 1000 found)\n")) << line;
  std::regex re(kResultLineRegex);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, re)) << line;
  EXPECT_EQ("readrandom", m[1].str());
  EXPECT_EQ("10000", m[5].str());
  // The same expression parses a line printed by RocksDB's db_bench 7.8.3.
  std::string rocks =
      "readrandom   :       1.559 micros/op 634517 ops/sec 0.002 seconds 1000 operations;   "
      "70.2 MB/s (1000 of 1000 found)";
  ASSERT_TRUE(std::regex_search(rocks, m, re));
  EXPECT_EQ("634517", m[3].str());
  // No bytes, no message: nothing after the semicolon.
  Result bare;
  bare.name = "x";
  bare.ops = 1;
  bare.elapsed_seconds = bare.thread_seconds = 1;
  EXPECT_EQ("x            : 1000000.000 micros/op 1 ops/sec 1.000 seconds 1 operations;\n",
            FormatResultLine(bare));
}

TEST(RunnerTest, RunsEveryBenchmarkAndCountsWhatItFinds) {
  test::TempDir dir("bench_runner");
  BenchConfig c;
  c.benchmarks = SplitCommaList(
      "fillseq,readrandom,readmissing,readseq,readreverse,seekrandom,multireadrandom,"
      "deleterandom,readrandom");
  c.num = 500;
  c.reads = 200;
  c.batch_size = 5;
  c.seed = 11;
  c.db = dir.path() + "/db";
  std::FILE* sink = std::tmpfile();
  Runner runner(c, sink, nullptr);
  ASSERT_TRUE(runner.Run().ok());
  std::fclose(sink);
  const auto& r = runner.results();
  ASSERT_EQ(9u, r.size());
  EXPECT_EQ(500u, r[0].ops);
  EXPECT_EQ("(200 of 200 found)", r[1].message);  // fillseq wrote every key
  EXPECT_EQ("(0 of 200 found)", r[2].message);    // readmissing never finds one
  EXPECT_EQ(200u, r[3].ops);                      // readseq stops at --reads
  EXPECT_EQ(200u, r[4].ops);
  EXPECT_EQ("(200 of 200 found)", r[5].message);
  EXPECT_EQ("(200 of 200 found)", r[6].message);
  EXPECT_EQ(500u, r[7].ops);
  // deleterandom removed most keys (random, with repeats).
  EXPECT_NE("(200 of 200 found)", r[8].message);
}

// db_bench's range tombstone flags: fillseq writes every key once, in
// order; after 350 writes, a DeleteRange of 20 keys every 10 writes (at most
// 3) removes some of the keys already written, and readseq skips them.
TEST(RunnerTest, WritesRangeTombstonesLikeDbBench) {
  test::TempDir dir("bench_runner");
  BenchConfig c;
  c.benchmarks = SplitCommaList("fillseq,readseq");
  c.num = 400;
  c.seed = 5;
  c.writes_before_delete_range = 350;
  c.writes_per_range_tombstone = 10;
  c.range_tombstone_width = 20;
  c.max_num_range_tombstones = 3;
  c.db = dir.path() + "/db";
  std::FILE* sink = std::tmpfile();
  Runner runner(c, sink, nullptr);
  ASSERT_TRUE(runner.Run().ok());
  std::fclose(sink);
  const auto& r = runner.results();
  ASSERT_EQ(2u, r.size());
  EXPECT_LT(r[1].ops, 400u);       // some written keys were deleted
  EXPECT_GE(r[1].ops, 400u - 60);  // by three ranges of 20 at most
}

}  // namespace synapsed::bench
