// synapsed_ldb, run in-process: get/put/delete/scan/dump round trips through
// the public DB API; manifest_dump and checkconsistency on directories built
// with the engine's own pieces (IDENTITY, WriteLevel0Table, VersionSet); and
// damage of every kind (MANIFEST, table, CURRENT, IDENTITY, missing,
// wrong-size and foreign files): exit status 1 and exactly one stderr line
// naming the file, never a crash. Usage errors: status 2 and one line.
#include "tools/ldb/ldb.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"
#include "synapsed/db.h"
#include "synapsed/file_system.h"
#include "testutil/testutil.h"
#include "wal/log_writer.h"

namespace synapsed {
namespace {

constexpr char kDbId[] = "0badc0de-12345678-9abcdef0-00000001";

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Ldb(const std::vector<std::string>& args) {
  std::vector<std::string> storage = {"synapsed_ldb"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  std::ostringstream out, err;
  const int code = RunLdb(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// A failure as the tool promises it: the status, and one line on stderr
// (that mentions `names`).
::testing::AssertionResult OneLineFailure(const Result& r, int code, const std::string& names) {
  if (r.code != code) {
    return ::testing::AssertionFailure()
           << "exit " << r.code << ", want " << code << "; err: " << r.err << "out: " << r.out;
  }
  const size_t nl = r.err.find('\n');
  if (nl == std::string::npos || nl + 1 != r.err.size()) {
    return ::testing::AssertionFailure() << "stderr is not one line: [" << r.err << "]";
  }
  if (r.err.rfind("synapsed_ldb: ", 0) != 0 || r.err.find(names) == std::string::npos) {
    return ::testing::AssertionFailure() << "stderr does not name " << names << ": " << r.err;
  }
  return ::testing::AssertionSuccess();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out.good()) << path;
}

void FlipByte(const std::string& path, size_t offset) {
  std::string data = ReadFile(path);
  ASSERT_LT(offset, data.size()) << path;
  data[offset] ^= 0x20;
  WriteFile(path, data);
}

class LdbDbTest : public ::testing::Test {
 protected:
  std::string Flag() const { return "--db=" + dir_.path() + "/db"; }
  test::TempDir dir_{"ldb"};
};

TEST_F(LdbDbTest, PutGetDeleteScanDumpRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> puts = {
      {"b", "2"}, {"a", "1"}, {"c", "3"}, {"d", "4"}};
  for (const auto& [k, v] : puts) {
    Result r = Ldb({Flag(), "--create_if_missing", "put", k, v});
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_EQ("OK\n", r.out);
    EXPECT_EQ("", r.err);
  }
  Result r = Ldb({Flag(), "get", "b"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("2\n", r.out);
  ASSERT_EQ(0, Ldb({Flag(), "delete", "b"}).code);
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "get", "b"}), 1, "NotFound: key 'b'"));

  r = Ldb({Flag(), "scan"});
  EXPECT_EQ("a ==> 1\nc ==> 3\nd ==> 4\n", r.out);
  r = Ldb({Flag(), "scan", "--from=b", "--to=d"});
  EXPECT_EQ("c ==> 3\n", r.out);
  r = Ldb({Flag(), "scan", "--from", "a", "--max_keys=2"});  // "--flag value" works too
  EXPECT_EQ("a ==> 1\nc ==> 3\n", r.out);
  r = Ldb({Flag(), "dump"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("a ==> 1\nc ==> 3\nd ==> 4\nTotal keys: 3\n", r.out);

  // What the tool wrote, the public API reads; what the API writes, the tool reads.
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir_.path() + "/db", &db).ok());
    std::string value;
    ASSERT_TRUE(db->Get(ReadOptions(), "d", &value).ok());
    EXPECT_EQ("4", value);
    EXPECT_TRUE(db->Get(ReadOptions(), "b", &value).IsNotFound());
    ASSERT_TRUE(db->Put(WriteOptions(), "e", std::string("5\n\x01", 3)).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  r = Ldb({Flag(), "get", "e"});
  EXPECT_EQ("5\\x0A\\x01\n", r.out);  // escaped, like the other tools
  r = Ldb({Flag(), "dump", "--from=d"});
  EXPECT_EQ("d ==> 4\ne ==> 5\\x0A\\x01\nTotal keys: 2\n", r.out);
}

// deleterange through the tool; then the tables it leaves (one whose
// largest key is a range tombstone sentinel) pass checkconsistency, and
// manifest_dump shows their range tombstone boundary keys.
TEST_F(LdbDbTest, DeleteRangeAndTablesWithRangeTombstones) {
  for (const char* k : {"a", "b", "c", "d"}) {
    ASSERT_EQ(0, Ldb({Flag(), "--create_if_missing", "put", k, "v"}).code);
  }
  Result r = Ldb({Flag(), "deleterange", "b", "d"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("OK\n", r.out);
  EXPECT_EQ("a ==> v\nd ==> v\n", Ldb({Flag(), "scan"}).out);
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "deleterange", "z", "a"}), 1, "Invalid argument"));
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(Options(), dir_.path() + "/db", &db).ok());
    ASSERT_TRUE(db->DeleteRange(WriteOptions(), "x", "zz").ok());  // a table of it alone
    ASSERT_TRUE(db->Flush().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  r = Ldb({Flag(), "checkconsistency"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("OK\n", r.out);
  r = Ldb({Flag(), "manifest_dump"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("['x'@")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find(":rangedel .. 'zz'@72057594037927935:rangedel]"))
      << r.out;
}

TEST_F(LdbDbTest, HexKeysAndValues) {
  Result r = Ldb({Flag(), "--create_if_missing", "--hex", "put", "0x00FF", "0a0B"});
  ASSERT_EQ(0, r.code) << r.err;
  ASSERT_EQ(0, Ldb({Flag(), "--hex", "put", "0x01", "0x"}).code);  // an empty value
  ASSERT_EQ(0, Ldb({Flag(), "put", "\x02", "v\xfe"}).code);        // raw bytes without --hex
  r = Ldb({Flag(), "--hex", "get", "0x00ff"});
  EXPECT_EQ("0x0A0B\n", r.out);
  r = Ldb({Flag(), "--hex", "get", "02"});
  EXPECT_EQ("0x76FE\n", r.out);
  r = Ldb({Flag(), "get", "\x02"});
  EXPECT_EQ("v\\xFE\n", r.out);
  r = Ldb({Flag(), "--hex", "scan", "--to=0x01"});
  EXPECT_EQ("0x00FF ==> 0x0A0B\n", r.out);
  r = Ldb({Flag(), "--hex", "dump"});
  EXPECT_EQ("0x00FF ==> 0x0A0B\n0x01 ==> 0x\n0x02 ==> 0x76FE\nTotal keys: 3\n", r.out);
  r = Ldb({Flag(), "dump", "--max_keys=2"});
  EXPECT_EQ("\\x00\\xFF ==> \\x0A\\x0B\n\\x01 ==> \nTotal keys: 2\n", r.out);
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "--hex", "get", "0x0"}), 2, "'0x0' is not hex"));
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "--hex", "put", "01", "zz"}), 2, "value 'zz'"));
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "--hex", "scan", "--from=x"}), 2, "--from 'x'"));
}

TEST_F(LdbDbTest, KeysThatLookLikeFlagsFollowDoubleDash) {
  ASSERT_EQ(0, Ldb({Flag(), "--create_if_missing", "put", "--", "-k", "--v"}).code);
  Result r = Ldb({Flag(), "get", "--", "-k"});
  EXPECT_EQ("--v\n", r.out);
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "get", "-k"}), 2, "unknown flag '-k'"));
}

TEST_F(LdbDbTest, MissingDatabase) {
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "get", "k"}), 1, dir_.path() + "/db"));
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "scan"}), 1, "create_if_missing"));
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "checkconsistency"}), 1, "CURRENT"));
  EXPECT_TRUE(OneLineFailure(Ldb({Flag(), "manifest_dump"}), 1, "CURRENT"));
}

TEST(LdbUsageTest, EveryUsageErrorIsOneLineAndStatusTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no command"},
      {{"--db=/nonexistent"}, "no command"},
      {{"get", "k"}, "--db is required"},
      {{"--db=/x", "frobnicate"}, "unknown command 'frobnicate'"},
      {{"--db=/x", "get"}, "get takes <key>, got 0"},
      {{"--db=/x", "put", "k"}, "put takes <key> <value>, got 1"},
      {{"--db=/x", "scan", "extra"}, "scan takes no arguments, got 1"},
      {{"--db=/x", "--bogus", "get", "k"}, "unknown flag '--bogus'"},
      {{"--db=/x", "--benchmarks=fillseq", "dump"}, "unknown flag"},
      {{"--db=/x", "--max_keys=many", "scan"}, "bad value 'many' for --max_keys"},
      {{"--db=/x", "--hex=maybe", "scan"}, "bad value 'maybe' for --hex"},
      {{"--db=/x", "scan", "--to"}, "--to needs a value"},
      {{"--db=/x", "--from=a", "get", "k"}, "--from applies to scan and dump only"},
      {{"--db=/x", "--create_if_missing", "checkconsistency"}, "never opens"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_TRUE(OneLineFailure(Ldb(args), 2, message)) << ::testing::PrintToString(args);
  }
}

TEST(LdbUsageTest, HelpGoesToStdoutAndFlagsDoNotLeakBetweenRuns) {
  Result r = Ldb({"--help"});
  EXPECT_EQ(0, r.code);
  EXPECT_NE(std::string::npos, r.out.find("checkconsistency"));
  EXPECT_EQ("", r.err);
  // A run's flags are restored afterwards: --hex and --db from before are gone.
  Ldb({"--db=/x", "--hex", "--nohex", "--hex", "scan"});
  EXPECT_TRUE(OneLineFailure(Ldb({"get", "k"}), 2, "--db is required"));
}

// A database directory laid out by the engine's own pieces: IDENTITY, a
// WAL, tables written by WriteLevel0Table, a MANIFEST (a snapshot and two
// edits) and CURRENT.
class LdbOfflineTest : public ::testing::Test {
 protected:
  LdbOfflineTest() : fs_(FileSystem::Default()), db_(dir_.path()) {}

  void SetUp() override {
    WriteFile(IdentityFileName(db_), std::string(kDbId) + "\n");
    VersionSet vs(fs_, db_);
    ASSERT_TRUE(vs.StartNewManifest().ok());  // MANIFEST-000001
    manifest_ = ManifestFileName(db_, vs.manifest_number());
    log_ = LogFileName(db_, vs.NewFileNumber());
    WriteFile(log_, "");

    VersionEdit e1;
    e1.SetLogNumber(2);
    e1.AddFile(0, WriteTable(&vs, 'a', 1));
    ASSERT_TRUE(vs.LogAndApply(&e1).ok());
    VersionEdit e2;
    e2.AddFile(1, WriteTable(&vs, 'k', 11));
    ASSERT_TRUE(vs.LogAndApply(&e2).ok());
    ASSERT_EQ(2u, table_.size());
    WriteFile(db_ + "/README.md", "not a table\n");  // stray files are ignored
  }

  // Table `number` in the directory: ten keys from `first` at sequences
  // seq.., the sixth a deletion; its properties say it is file `recorded`.
  FileMetaData BuildTable(uint64_t number, uint64_t recorded, char first, SequenceNumber seq) {
    auto mem = std::make_shared<MemTable>();
    for (int i = 0; i < 10; i++) {
      mem->Add(seq + i, i == 5 ? ValueType::kDeletion : ValueType::kValue,
               std::string(1, static_cast<char>(first + i)), "value" + std::to_string(i));
    }
    FileMetaData meta;
    meta.number = number;
    TableBuilderOptions options;
    options.file_number = recorded;
    options.db_id = kDbId;
    auto iter = MemTable::NewIterator(mem);
    EXPECT_TRUE(WriteLevel0Table(fs_.get(), db_, options, iter.get(), nullptr, &meta).ok());
    return meta;
  }
  FileMetaData WriteTable(VersionSet* vs, char first, SequenceNumber seq) {
    const uint64_t number = vs->NewFileNumber();
    FileMetaData meta = BuildTable(number, number, first, seq);
    vs->set_last_sequence(seq + 9);
    table_.push_back(TableFileName(db_, number));
    return meta;
  }

  Result Run(const std::string& command, bool hex = false) {
    return hex ? Ldb({"--db=" + db_, "--hex", command}) : Ldb({"--db=" + db_, command});
  }
  // Both offline commands fail with one line naming `names`.
  void ExpectBothFail(const std::string& names) {
    EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, names));
    EXPECT_TRUE(OneLineFailure(Run("manifest_dump"), 1, names));
  }

  test::TempDir dir_{"ldb-offline"};
  std::shared_ptr<FileSystem> fs_;
  std::string db_;
  std::string manifest_;            // MANIFEST-000001
  std::string log_;                 // 000002.log
  std::vector<std::string> table_;  // 000003.sst at level 0, 000004.sst at level 1
};

TEST_F(LdbOfflineTest, ManifestDumpShowsEveryEditAndTheVersion) {
  Result r = Run("manifest_dump");
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("", r.err);
  const std::string& o = r.out;
  EXPECT_EQ(0u, o.find("MANIFEST-000001 (named by CURRENT)\noffset 0: VersionEdit {\n"
                       "  Comparator: synapsed.BytewiseComparator\n"))
      << o;
  EXPECT_NE(std::string::npos, o.find("  AddFile: L0 #3 size=")) << o;
  EXPECT_NE(std::string::npos, o.find("  AddFile: L1 #4 size=")) << o;
  // Three records, at increasing offsets.
  size_t at = 0;
  for (int i = 0; i < 3; i++) {
    at = o.find("offset ", at);
    ASSERT_NE(std::string::npos, at) << o;
    at++;
  }
  EXPECT_EQ(std::string::npos, o.find("offset ", at));
  const std::string size3 = std::to_string(ReadFile(table_[0]).size());
  const std::string size4 = std::to_string(ReadFile(table_[1]).size());
  std::string version = "Version after 3 edits:\n";
  version += "  log number 2, next file 5, last sequence 20\n";
  version += "  level 0: 1 file, " + size3 + " bytes\n";
  version += "    #3 " + size3 + " bytes ['a'@1:put .. 'j'@10:put] seqnos [1, 10]\n";
  version += "  level 1: 1 file, " + size4 + " bytes\n";
  version += "    #4 " + size4 + " bytes ['k'@11:put .. 't'@20:put] seqnos [11, 20]\n";
  version += "  level 2: 0 files, 0 bytes\n";
  EXPECT_NE(std::string::npos, o.find(version)) << o;
  r = Run("manifest_dump", /*hex=*/true);
  EXPECT_NE(std::string::npos, r.out.find("['0x61'@1:put .. '0x6A'@10:put]")) << r.out;
}

TEST_F(LdbOfflineTest, CheckConsistencyPassesOnAGoodDatabase) {
  Result r = Run("checkconsistency");
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("OK\n", r.out);
  EXPECT_EQ("", r.err);
  // Read-only: nothing in the directory changed (no LOCK, no new MANIFEST).
  std::vector<std::string> children;
  ASSERT_TRUE(fs_->GetChildren(db_, &children).ok());
  std::sort(children.begin(), children.end());
  EXPECT_EQ((std::vector<std::string>{"000002.log", "000003.sst", "000004.sst", "CURRENT",
                                      "IDENTITY", "MANIFEST-000001", "README.md"}),
            children);
}

TEST_F(LdbOfflineTest, DamagedManifest) {
  FlipByte(manifest_, 20);  // inside the snapshot; intact edits follow
  ExpectBothFail("MANIFEST-000001: checksum mismatch at offset 0");
}

TEST_F(LdbOfflineTest, TruncatedManifest) {
  std::string data = ReadFile(manifest_);
  WriteFile(manifest_, data.substr(0, 30));  // the snapshot cut short
  ExpectBothFail("MANIFEST-000001: truncated at offset 0");
  WriteFile(manifest_, "");
  ExpectBothFail("MANIFEST-000001: empty MANIFEST");
}

TEST_F(LdbOfflineTest, ATornFinalEditIsIgnoredAsRecoveryIgnoresIt) {
  std::string data = ReadFile(manifest_);
  WriteFile(manifest_, data.substr(0, data.size() - 3));  // the last edit (table 4) torn
  Result r = Run("checkconsistency");
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("MANIFEST-000001: damaged final record ignored"))
      << r.out;
  EXPECT_NE(std::string::npos, r.out.find("\nOK\n")) << r.out;
  r = Run("manifest_dump");
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("Version after 2 edits")) << r.out;
  // Had that edit been acted on, the log it follows would be gone
  // (manifest.md, Recovery step 5): then the damage is not a torn tail.
  ASSERT_TRUE(fs_->RemoveFile(log_).ok());
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "000002.log"));
}

TEST_F(LdbOfflineTest, EditThatDoesNotApply) {
  // A MANIFEST whose second record deletes a file that is not live.
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile(ManifestFileName(db_, 9), &file).ok());
  wal::Writer writer(std::move(file), 9);
  VersionEdit snapshot;
  snapshot.SetComparatorName(kComparatorName);
  snapshot.SetLogNumber(2);
  snapshot.SetNextFileNumber(10);
  snapshot.SetLastSequence(0);
  VersionEdit ghost;
  ghost.DeleteFile(1, 7);
  std::string a, b;
  snapshot.EncodeTo(&a);
  ghost.EncodeTo(&b);
  ASSERT_TRUE(writer.AddRecord(a).ok());
  ASSERT_TRUE(writer.AddRecord(b).ok());
  ASSERT_TRUE(writer.Sync().ok());
  WriteFile(CurrentFileName(db_), "MANIFEST-000009\n");
  const std::string where = "MANIFEST-000009: record at offset " + std::to_string(7 + a.size());
  ExpectBothFail(where + ": version edit: deletes file #7 which is not live at level 1");
  // The dump shows the records it read, the bad one included.
  Result r = Run("manifest_dump");
  EXPECT_NE(std::string::npos, r.out.find("DeleteFile: L1 #7")) << r.out;

  VersionEdit not_a_snapshot;  // a MANIFEST that starts with an incremental edit
  not_a_snapshot.SetLastSequence(0);
  std::string c;
  not_a_snapshot.EncodeTo(&c);
  ASSERT_TRUE(fs_->NewWritableFile(ManifestFileName(db_, 9), &file).ok());
  wal::Writer second(std::move(file), 9);
  ASSERT_TRUE(second.AddRecord(c).ok());
  ASSERT_TRUE(second.Sync().ok());
  ExpectBothFail("MANIFEST-000009: record at offset 0: first record is not a snapshot");
}

TEST_F(LdbOfflineTest, ManifestFromAnotherNumberIsDamage) {
  // The checksums are seeded with the MANIFEST's number, so a renamed
  // MANIFEST never verifies.
  ASSERT_TRUE(fs_->RenameFile(manifest_, ManifestFileName(db_, 5)).ok());
  WriteFile(CurrentFileName(db_), "MANIFEST-000005\n");
  ExpectBothFail("MANIFEST-000005: checksum mismatch at offset 0");
}

TEST_F(LdbOfflineTest, BadCurrent) {
  for (const std::string& current :
       {std::string("garbage\n"), std::string(""), std::string("MANIFEST-000001"),
        std::string("MANIFEST-000001\nextra\n"), std::string("000003.sst\n"),
        std::string(1000, 'x')}) {
    WriteFile(CurrentFileName(db_), current);
    ExpectBothFail("CURRENT");
  }
  WriteFile(CurrentFileName(db_), "MANIFEST-000077\n");
  ExpectBothFail("CURRENT names MANIFEST-000077, which is missing");
  ASSERT_TRUE(fs_->RemoveFile(CurrentFileName(db_)).ok());
  ExpectBothFail("CURRENT: No such file");
}

TEST_F(LdbOfflineTest, DamagedTable) {
  FlipByte(table_[1], 10);                  // inside the first data block
  EXPECT_EQ(0, Run("manifest_dump").code);  // the MANIFEST itself is fine
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "000004.sst"));
}

TEST_F(LdbOfflineTest, MissingTable) {
  ASSERT_TRUE(fs_->RemoveFile(table_[0]).ok());
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1,
                             "MANIFEST-000001: live table 000003.sst (level 0) is missing"));
}

TEST_F(LdbOfflineTest, TableOfTheWrongSize) {
  const std::string size = std::to_string(ReadFile(table_[1]).size());
  WriteFile(table_[1], ReadFile(table_[1]) + "x");
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "MANIFEST-000001: table 000004.sst has "));
  WriteFile(table_[1], ReadFile(table_[1]).substr(0, 40));
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1,
                             "MANIFEST-000001: table 000004.sst has 40 bytes, not " + size));
}

TEST_F(LdbOfflineTest, ForeignFileAsATable) {
  // Same size as the table the MANIFEST records, different bytes.
  const size_t size = ReadFile(table_[0]).size();
  std::string readme = ReadFile(std::string(SYNAPSED_SOURCE_DIR) + "/README.md");
  ASSERT_GE(readme.size(), size);
  WriteFile(table_[0], readme.substr(0, size));
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "000003.sst: bad magic number"));
}

TEST_F(LdbOfflineTest, TableOfAnotherDatabaseOrNumber) {
  WriteFile(IdentityFileName(db_), "someone-else\n");
  EXPECT_TRUE(
      OneLineFailure(Run("checkconsistency"), 1, "000003.sst: table belongs to another database"));
  ASSERT_TRUE(fs_->RemoveFile(IdentityFileName(db_)).ok());
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "IDENTITY"));
  WriteFile(IdentityFileName(db_), std::string(kDbId) + "\n");
  ASSERT_EQ(0, Run("checkconsistency").code);
  // The same entries, but written as file 9 (a table copied or renamed into
  // place): the size fits, the table says it is another file.
  const uint64_t size = ReadFile(table_[0]).size();
  ASSERT_EQ(size, BuildTable(3, 9, 'a', 1).file_size);
  EXPECT_TRUE(
      OneLineFailure(Run("checkconsistency"), 1, "000003.sst: table was written as file 9, not 3"));
  // The right number and database, but other entries than the MANIFEST says.
  ASSERT_EQ(size, BuildTable(3, 3, 'b', 1).file_size);
  EXPECT_TRUE(OneLineFailure(Run("checkconsistency"), 1, "000003.sst: holds keys ['b'@1:put"));
}

// Every single-byte flip in the MANIFEST and in a table: a clean verdict,
// never a crash, and a failure is always one line.
TEST_F(LdbOfflineTest, EveryByteFlipIsReportedInOneLine) {
  for (const std::string& path : {manifest_, table_[0]}) {
    const std::string good = ReadFile(path);
    int failures = 0;
    for (size_t i = 0; i < good.size(); i++) {
      std::string bad = good;
      bad[i] ^= 0x01;
      WriteFile(path, bad);
      Result r = Run("checkconsistency");
      if (r.code == 0) continue;  // e.g. a torn final MANIFEST record
      failures++;
      ASSERT_TRUE(OneLineFailure(r, 1, "")) << path << " byte " << i;
      if (path == manifest_) {
        r = Run("manifest_dump");
        if (r.code != 0) {
          ASSERT_TRUE(OneLineFailure(r, 1, "MANIFEST")) << i;
        }
      }
    }
    WriteFile(path, good);
    EXPECT_GT(failures, static_cast<int>(good.size()) / 2) << path;
  }
  EXPECT_EQ(0, Run("checkconsistency").code);
}

}  // namespace
}  // namespace synapsed
