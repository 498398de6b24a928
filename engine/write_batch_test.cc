#include "synapsed/write_batch.h"

#include <gtest/gtest.h>

#include "engine/write_batch_internal.h"
#include "memtable/memtable.h"

namespace synapsed {

namespace {
// Renders a batch by replaying it into a memtable: "Put(k, v)@seq|Delete(k)@seq|",
// then its range tombstones' fragments "DeleteRange(b, e)@seq|".
std::string PrintContents(const WriteBatch& b) {
  auto mem = std::make_shared<MemTable>();
  Status s = WriteBatchInternal::Validate(b);
  if (!s.ok()) return s.ToString();
  s = WriteBatchInternal::InsertInto(b, mem.get());
  if (!s.ok()) return s.ToString();
  std::string out;
  auto iter = MemTable::NewIterator(mem);
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ParsedInternalKey ikey;
    EXPECT_TRUE(ParseInternalKey(iter->key(), &ikey));
    if (ikey.type == ValueType::kValue) {
      out += "Put(" + std::string(ikey.user_key) + ", " + std::string(iter->value()) + ")";
    } else {
      out += "Delete(" + std::string(ikey.user_key) + ")";
    }
    out += "@" + std::to_string(ikey.sequence) + "|";
  }
  if (auto tombstones = mem->RangeTombstones()) {
    for (size_t i = 0; i < tombstones->num_fragments(); i++) {
      const auto f = tombstones->fragment(i);
      for (SequenceNumber seq : f.seqs) {
        out += "DeleteRange(" + std::string(f.start) + ", " + std::string(f.end) + ")@" +
               std::to_string(seq) + "|";
      }
    }
  }
  return out;
}

struct Recorder : WriteBatch::Handler {
  std::string seen;
  void Put(std::string_view k, std::string_view v) override {
    seen += "P:" + std::string(k) + "=" + std::string(v) + ";";
  }
  void Delete(std::string_view k) override { seen += "D:" + std::string(k) + ";"; }
  void DeleteRange(std::string_view b, std::string_view e) override {
    seen += "R:" + std::string(b) + ".." + std::string(e) + ";";
  }
};
}  // namespace

TEST(WriteBatchTest, Empty) {
  WriteBatch batch;
  EXPECT_EQ(0u, batch.Count());
  EXPECT_EQ("", PrintContents(batch));
  EXPECT_EQ(WriteBatchInternal::kHeaderBytes, batch.ApproximateSize());
}

TEST(WriteBatchTest, MultipleUpdatesGetConsecutiveSequences) {
  WriteBatch batch;
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  WriteBatchInternal::SetSequence(&batch, 100);
  EXPECT_EQ(100u, WriteBatchInternal::Sequence(batch));
  EXPECT_EQ(3u, batch.Count());
  EXPECT_EQ("Put(baz, boo)@102|Delete(box)@101|Put(foo, bar)@100|", PrintContents(batch));
  Recorder r;
  ASSERT_TRUE(batch.Iterate(&r).ok());
  EXPECT_EQ("P:foo=bar;D:box;P:baz=boo;", r.seen);
}

// Found by fuzz/write_batch_fuzzer (input kept in
// fuzz/regressions/write_batch/): with a header sequence near 2^64,
// sequence + count - 1 wrapped around and passed the range check, and the
// updates were inserted with sequences above kMaxSequenceNumber.
TEST(WriteBatchTest, SequenceOverflowIsCorruptionNotWrapped) {
  for (const SequenceNumber seq : {~SequenceNumber{0}, ~SequenceNumber{0} - 1,
                                   kMaxSequenceNumber + 1, kMaxSequenceNumber - 1}) {
    WriteBatch batch;
    batch.Put("a", "1");
    batch.Put("b", "2");
    batch.Put("c", "3");
    WriteBatchInternal::SetSequence(&batch, seq);
    auto mem = std::make_shared<MemTable>();
    const Status s = WriteBatchInternal::InsertInto(batch, mem.get());
    EXPECT_TRUE(s.IsCorruption()) << seq << ": " << s.ToString();
    EXPECT_EQ(0u, mem->num_entries()) << seq;
  }
  // The last sequences that fit.
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  WriteBatchInternal::SetSequence(&batch, kMaxSequenceNumber - 1);
  EXPECT_EQ("Put(a, 1)@" + std::to_string(kMaxSequenceNumber - 1) + "|Put(b, 2)@" +
                std::to_string(kMaxSequenceNumber) + "|",
            PrintContents(batch));
}

TEST(WriteBatchTest, GoldenBytes) {
  WriteBatch batch;
  batch.Put("k", "v");
  batch.Delete("d");
  WriteBatchInternal::SetSequence(&batch, 0x0102);
  const std::string expected(
      "\x02\x01\x00\x00\x00\x00\x00\x00"  // sequence 0x0102
      "\x02\x00\x00\x00"                  // count 2
      "\x01\x01k\x01v"                    // kValue "k" "v"
      "\x00\x01" "d",                     // kDeletion "d"
      20);
  EXPECT_EQ(expected, std::string(WriteBatchInternal::Contents(batch)));
}

TEST(WriteBatchTest, AppendAndClear) {
  WriteBatch b1, b2;
  WriteBatchInternal::SetSequence(&b1, 200);
  WriteBatchInternal::SetSequence(&b2, 300);
  b1.Put("a", "va");
  b2.Put("b", "vb");
  b2.Delete("a");
  WriteBatchInternal::Append(&b1, b2);
  EXPECT_EQ(3u, b1.Count());
  EXPECT_EQ("Delete(a)@202|Put(a, va)@200|Put(b, vb)@201|", PrintContents(b1));
  b1.Clear();
  EXPECT_EQ(0u, b1.Count());
}

TEST(WriteBatchTest, MalformedBatchesAreCorruptionNeverApplied) {
  WriteBatch good;
  good.Put("key", "value");
  good.Delete("gone");
  const std::string rep(WriteBatchInternal::Contents(good));
  // Every truncation and every wrong count is detected before anything is applied.
  for (size_t len = 0; len < rep.size(); len++) {
    WriteBatch b;
    Status s = WriteBatchInternal::SetContents(&b, rep.substr(0, len));
    if (s.ok()) s = WriteBatchInternal::Validate(b);
    EXPECT_TRUE(s.IsCorruption()) << len;
  }
  for (uint32_t count : {0u, 1u, 3u, 0xffffffffu}) {
    WriteBatch b;
    ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep).ok());
    WriteBatchInternal::SetCount(&b, count);
    EXPECT_TRUE(WriteBatchInternal::Validate(b).IsCorruption()) << count;
  }
  std::string bad_type = rep;
  bad_type[12] = 7;
  WriteBatch b;
  ASSERT_TRUE(WriteBatchInternal::SetContents(&b, bad_type).ok());
  Recorder r;
  EXPECT_TRUE(b.Iterate(&r).IsCorruption());
  EXPECT_EQ("", r.seen);  // the handler saw nothing of the bad batch
}

TEST(WriteBatchTest, DeleteRangeIsOneUpdateWithItsOwnSequence) {
  WriteBatch batch;
  batch.Put("a", "1");
  ASSERT_TRUE(batch.DeleteRange("b", "d").ok());
  batch.Delete("c");
  WriteBatchInternal::SetSequence(&batch, 10);
  EXPECT_EQ(3u, batch.Count());
  EXPECT_EQ("Put(a, 1)@10|Delete(c)@12|DeleteRange(b, d)@11|", PrintContents(batch));
  Recorder r;
  ASSERT_TRUE(batch.Iterate(&r).ok());
  EXPECT_EQ("P:a=1;R:b..d;D:c;", r.seen);
}

TEST(WriteBatchTest, DeleteRangeRejectsInvertedAndSkipsEmptyRanges) {
  WriteBatch batch;
  batch.Put("k", "v");
  const std::string before(WriteBatchInternal::Contents(batch));
  EXPECT_TRUE(batch.DeleteRange("z", "a").IsInvalidArgument());
  EXPECT_TRUE(batch.DeleteRange("m", "m").ok());  // empty: nothing recorded
  EXPECT_EQ(before, std::string(WriteBatchInternal::Contents(batch)));
  EXPECT_EQ(1u, batch.Count());
  // The empty key is a valid begin; any longer key is above it.
  ASSERT_TRUE(batch.DeleteRange("", std::string("\0", 1)).ok());
  EXPECT_EQ(2u, batch.Count());
}

TEST(WriteBatchTest, DeleteRangeGoldenBytes) {
  WriteBatch batch;
  ASSERT_TRUE(batch.DeleteRange("a", "c").ok());
  WriteBatchInternal::SetSequence(&batch, 7);
  const std::string expected(
      "\x07\x00\x00\x00\x00\x00\x00\x00"  // sequence 7
      "\x01\x00\x00\x00"                  // count 1
      "\x02\x01" "a\x01" "c",                  // kRangeDeletion "a" "c"
      17);
  EXPECT_EQ(expected, std::string(WriteBatchInternal::Contents(batch)));
}

TEST(WriteBatchTest, MalformedRangeDeletionsAreCorruption) {
  WriteBatch good;
  ASSERT_TRUE(good.DeleteRange("begin", "end").ok());
  const std::string rep(WriteBatchInternal::Contents(good));
  for (size_t len = WriteBatchInternal::kHeaderBytes; len < rep.size(); len++) {
    WriteBatch b;
    ASSERT_TRUE(WriteBatchInternal::SetContents(&b, rep.substr(0, len)).ok());
    EXPECT_TRUE(WriteBatchInternal::Validate(b).IsCorruption()) << len;
  }
  // A recorded range with begin >= end is never written by DeleteRange: damage.
  for (const auto& [begin, end] : std::vector<std::pair<std::string, std::string>>{
           {"b", "a"}, {"same", "same"}, {"x", ""}}) {
    std::string bad = rep.substr(0, WriteBatchInternal::kHeaderBytes);
    bad.push_back(static_cast<char>(ValueType::kRangeDeletion));
    bad.push_back(static_cast<char>(begin.size()));
    bad += begin;
    bad.push_back(static_cast<char>(end.size()));
    bad += end;
    WriteBatch b;
    ASSERT_TRUE(WriteBatchInternal::SetContents(&b, bad).ok());
    Recorder r;
    Status s = b.Iterate(&r);
    EXPECT_TRUE(s.IsCorruption()) << begin << ".." << end;
    EXPECT_NE(std::string::npos, s.ToString().find("begin >= end")) << s.ToString();
    EXPECT_EQ("", r.seen);
  }
}

// Every value of every byte of a batch with a range deletion: Validate is
// Corruption, or the batch is well formed -- and then every range the
// handler sees is non-empty, as InsertInto requires. Never a crash. (The
// WAL's checksum stops such damage first; this is the decoder's own check.)
TEST(WriteBatchTest, EveryByteChangeOfARangeDeletionIsCaughtOrWellFormed) {
  WriteBatch good;
  good.Put("k", "v");
  ASSERT_TRUE(good.DeleteRange("b", "d").ok());
  good.Delete("x");
  const std::string rep(WriteBatchInternal::Contents(good));
  struct RangeCheck : WriteBatch::Handler {
    void Put(std::string_view, std::string_view) override {}
    void Delete(std::string_view) override {}
    void DeleteRange(std::string_view b, std::string_view e) override { ok = ok && b < e; }
    bool ok = true;
  };
  for (size_t offset = WriteBatchInternal::kHeaderBytes; offset < rep.size(); offset++) {
    for (int value = 0; value < 256; value++) {
      std::string bytes = rep;
      bytes[offset] = static_cast<char>(value);
      WriteBatch b;
      ASSERT_TRUE(WriteBatchInternal::SetContents(&b, bytes).ok());
      RangeCheck check;
      Status s = b.Iterate(&check);
      ASSERT_TRUE(s.ok() || s.IsCorruption()) << offset << " " << value;
      ASSERT_TRUE(check.ok) << offset << " " << value;
    }
  }
}

}  // namespace synapsed
