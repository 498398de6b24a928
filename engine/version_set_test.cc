// VersionSet on the fault-injection file system: edits survive reopen, bad
// edits are refused, a torn final record is ignored and nothing else is,
// MANIFEST rollover, and a crash at every file operation of a run of edits
// and rollovers recovers every acknowledged edit and nothing half-applied.
#include "engine/version_set.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "cache/table_cache.h"
#include "engine/filename.h"
#include "engine/flush.h"
#include "engine/level_iterator.h"
#include "io/fault_injection_fs.h"
#include "memtable/memtable.h"
#include "testutil/ordering_checker.h"
#include "testutil/testutil.h"
#include "util/internal_key.h"
#include "util/random.h"
#include "wal/log_writer.h"

namespace synapsed {

namespace {

constexpr char kDb[] = "/db";

using test::IKey;

// The version's files as "level:number" strings, for comparisons.
std::vector<std::string> Describe(const Version& v) {
  std::vector<std::string> out;
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : v.files(level)) {
      out.push_back(std::to_string(level) + ":" + std::to_string(f->number));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class VersionSetTest : public ::testing::Test {
 protected:
  VersionSetTest() : fs_(std::make_shared<FaultInjectionFileSystem>()) {
    EXPECT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
    EXPECT_TRUE(fs_->SyncDir("/").ok());
  }

  // A table file of `size` bytes (its contents do not matter to the
  // VersionSet, only its existence and size), made durable.
  FileMetaData MakeTable(VersionSet* vs, const std::string& lo, const std::string& hi,
                         uint64_t size = 100) {
    FileMetaData f;
    f.number = vs->NewFileNumber();
    f.file_size = size;
    f.smallest = IKey(lo, 1);
    f.largest = IKey(hi, 1);
    f.smallest_seqno = f.largest_seqno = 1;
    // As in the engine, a table's sequences are never above the last one.
    if (vs->last_sequence() < 1) vs->set_last_sequence(1);
    EXPECT_TRUE(
        fs_->WriteFileFromString(TableFileName(kDb, f.number), std::string(size, 't'), true).ok());
    return f;
  }

  std::unique_ptr<VersionSet> Reopen(Status* s, bool* torn = nullptr,
                                     VersionSetOptions options = {}) {
    auto vs = std::make_unique<VersionSet>(fs_, kDb, options);
    bool t = false;
    *s = vs->Recover(&t);
    if (torn != nullptr) *torn = t;
    return vs;
  }

  std::shared_ptr<FaultInjectionFileSystem> fs_;
};

}  // namespace

// Regression (model test, seed 97 of 200): a moved file got a new
// FileMetaData object, so the engine, watching the newer object to know when
// no version names the file, deleted it while an iterator on a version from
// before the move still read it.
TEST_F(VersionSetTest, AMovedFileKeepsItsMetadataObject) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit add;
  add.AddFile(1, MakeTable(&vs, "a", "c"));
  ASSERT_TRUE(vs.LogAndApply(&add).ok());
  const std::shared_ptr<const FileMetaData> before = vs.current()->files(1)[0];
  VersionEdit move;
  move.DeleteFile(1, before->number);
  move.AddFile(2, *before);
  ASSERT_TRUE(vs.LogAndApply(&move).ok());
  ASSERT_EQ(1, vs.current()->NumFiles(2));
  EXPECT_EQ(before.get(), vs.current()->files(2)[0].get());
}

TEST_F(VersionSetTest, EditsSurviveReopen) {
  VersionSet vs(fs_, kDb);
  vs.set_last_sequence(10);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit e1;
  e1.AddFile(0, MakeTable(&vs, "a", "m"));
  e1.AddFile(1, MakeTable(&vs, "a", "c"));
  e1.AddFile(1, MakeTable(&vs, "d", "f"));
  const uint64_t log = vs.NewFileNumber();  // log numbers come from the same counter
  e1.SetLogNumber(log);
  ASSERT_TRUE(vs.LogAndApply(&e1).ok());
  VersionEdit e2;  // a trivial move: delete at 0, add at 2
  FileMetaData moved = *vs.current()->files(0)[0];
  e2.DeleteFile(0, moved.number);
  e2.AddFile(2, moved);
  ASSERT_TRUE(vs.LogAndApply(&e2).ok());
  const auto expect = Describe(*vs.current());

  Status s;
  auto again = Reopen(&s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(expect, Describe(*again->current()));
  EXPECT_EQ(log, again->log_number());
  EXPECT_EQ(10u, again->last_sequence());
  EXPECT_EQ(vs.next_file_number(), again->next_file_number());
  EXPECT_EQ(2, again->current()->NumFiles(1));
  // Reopening starts a new MANIFEST; the old one goes.
  const uint64_t old = again->manifest_number();
  ASSERT_TRUE(again->StartNewManifest().ok());
  EXPECT_TRUE(fs_->FileExists(ManifestFileName(kDb, old)).IsNotFound());
  auto third = Reopen(&s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(expect, Describe(*third->current()));
}

TEST_F(VersionSetTest, BadEditsAreRefusedAndChangeNothing) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit e;
  e.AddFile(1, MakeTable(&vs, "a", "m"));
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  const auto before = Describe(*vs.current());
  VersionEdit overlap;
  overlap.AddFile(1, MakeTable(&vs, "k", "z"));
  EXPECT_TRUE(vs.LogAndApply(&overlap).IsCorruption());
  VersionEdit ghost;
  ghost.DeleteFile(1, 999);
  EXPECT_TRUE(vs.LogAndApply(&ghost).IsCorruption());
  EXPECT_EQ(before, Describe(*vs.current()));
  Status s;
  auto again = Reopen(&s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(before, Describe(*again->current()));
}

// Regression (review): LogAndApply wrote edits that the next Open refuses
// (an intact record is never forgiven, so the database would not open).
TEST_F(VersionSetTest, EditsOpenWouldRefuseAreRefusedBeforeTheyAreWritten) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  FileMetaData f = MakeTable(&vs, "a", "b");
  VersionEdit add_and_delete;
  add_and_delete.AddFile(1, f);
  add_and_delete.DeleteFile(1, f.number);
  EXPECT_TRUE(vs.LogAndApply(&add_and_delete).IsInvalidArgument());
  FileMetaData ahead = f;
  ahead.number = vs.next_file_number() + 5;
  VersionEdit e1;
  e1.AddFile(0, ahead);
  EXPECT_TRUE(vs.LogAndApply(&e1).IsInvalidArgument());
  FileMetaData future = f;
  future.largest_seqno = vs.last_sequence() + 1;
  VersionEdit e2;
  e2.AddFile(0, future);
  EXPECT_TRUE(vs.LogAndApply(&e2).IsInvalidArgument());
  VersionEdit e3;
  e3.SetLogNumber(vs.next_file_number());
  EXPECT_TRUE(vs.LogAndApply(&e3).IsInvalidArgument());
  Status s;
  auto again = Reopen(&s);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Regression (review): replay started from whatever the object held, so a
// counter raised before Recover made a valid MANIFEST "go backwards".
TEST_F(VersionSetTest, RecoverStartsFromNothing) {
  {
    VersionSet vs(fs_, kDb);
    ASSERT_TRUE(vs.StartNewManifest().ok());
  }
  VersionSet vs(fs_, kDb);
  vs.MarkFileNumberUsed(1000);
  bool torn;
  ASSERT_TRUE(vs.Recover(&torn).ok());
}

TEST_F(VersionSetTest, TornTailIsIgnoredOtherDamageIsNot) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit e1;
  e1.AddFile(0, MakeTable(&vs, "a", "b"));
  ASSERT_TRUE(vs.LogAndApply(&e1).ok());
  const auto after_first = Describe(*vs.current());
  const std::string manifest = ManifestFileName(kDb, vs.manifest_number());
  std::string before_second;
  ASSERT_TRUE(fs_->ReadFileToString(manifest, &before_second).ok());
  VersionEdit e2;
  e2.AddFile(0, MakeTable(&vs, "c", "d"));
  ASSERT_TRUE(vs.LogAndApply(&e2).ok());
  std::string full;
  ASSERT_TRUE(fs_->ReadFileToString(manifest, &full).ok());

  // Cut inside the last record: a torn tail.
  for (size_t cut = before_second.size() + 1; cut < full.size(); cut += 3) {
    ASSERT_TRUE(fs_->WriteFileFromString(manifest, full.substr(0, cut), true).ok());
    Status s;
    bool torn = false;
    auto vs2 = Reopen(&s, &torn);
    ASSERT_TRUE(s.ok()) << cut << " " << s.ToString();
    EXPECT_TRUE(torn);
    EXPECT_EQ(after_first, Describe(*vs2->current()));
  }
  // A flip in the snapshot (followed by intact records): Corruption.
  std::string flipped = full;
  flipped[10] ^= 0x20;
  ASSERT_TRUE(fs_->WriteFileFromString(manifest, flipped, true).ok());
  Status s;
  Reopen(&s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("MANIFEST-")) << s.ToString();
  // CURRENT damaged or missing.
  ASSERT_TRUE(fs_->WriteFileFromString(manifest, full, true).ok());
  ASSERT_TRUE(fs_->WriteFileFromString(CurrentFileName(kDb), "MANIFEST-0000x\n", true).ok());
  Reopen(&s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  ASSERT_TRUE(fs_->RemoveFile(CurrentFileName(kDb)).ok());
  Reopen(&s);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

TEST_F(VersionSetTest, MissingOrShortTableIsCorruption) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit e;
  FileMetaData f = MakeTable(&vs, "a", "b", 500);
  e.AddFile(0, f);
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  ASSERT_TRUE(
      fs_->WriteFileFromString(TableFileName(kDb, f.number), std::string(499, 't'), true).ok());
  ASSERT_EQ(1u, vs.manifest_number());
  ASSERT_EQ(2u, f.number);
  Status s;
  Reopen(&s);
  // The MANIFEST first, then the table file by name.
  EXPECT_EQ("Corruption: MANIFEST-000001: table 000002.sst has 499 bytes, not 500", s.ToString());
  ASSERT_TRUE(fs_->RemoveFile(TableFileName(kDb, f.number)).ok());
  Reopen(&s);
  EXPECT_EQ("Corruption: MANIFEST-000001: live table 000002.sst (level 0) is missing",
            s.ToString());
}

// ReadManifest is Recover's replay without the table checks: every edit is
// visited (the one that fails too), and a torn tail is described.
TEST_F(VersionSetTest, ReadManifestVisitsEveryEditAndIgnoresTableFiles) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  VersionEdit e1;
  FileMetaData f = MakeTable(&vs, "a", "b");
  e1.AddFile(0, f);
  ASSERT_TRUE(vs.LogAndApply(&e1).ok());
  const std::string manifest = ManifestFileName(kDb, vs.manifest_number());
  std::string before_second;
  ASSERT_TRUE(fs_->ReadFileToString(manifest, &before_second).ok());
  VersionEdit e2;
  e2.AddFile(1, MakeTable(&vs, "c", "d"));
  ASSERT_TRUE(vs.LogAndApply(&e2).ok());
  ASSERT_TRUE(fs_->RemoveFile(TableFileName(kDb, f.number)).ok());

  std::vector<uint64_t> offsets;
  std::vector<size_t> added;
  auto visit = [&](uint64_t offset, const VersionEdit& edit) {
    offsets.push_back(offset);
    added.push_back(edit.new_files().size());
  };
  VersionSet reader(fs_, kDb);
  bool torn = true;
  Status s = reader.ReadManifest(&torn, visit);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(torn);
  EXPECT_EQ("", reader.torn_tail_damage());
  EXPECT_EQ((std::vector<size_t>{0, 1, 1}), added);  // the snapshot, then the two edits
  ASSERT_EQ(3u, offsets.size());
  EXPECT_EQ(0u, offsets[0]);
  EXPECT_EQ(before_second.size(), offsets[2]);
  EXPECT_EQ(Describe(*vs.current()), Describe(*reader.current()));  // the missing table too
  EXPECT_EQ(vs.manifest_number(), reader.manifest_number());
  EXPECT_EQ(vs.next_file_number(), reader.next_file_number());
  EXPECT_EQ(vs.last_sequence(), reader.last_sequence());
  Reopen(&s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();  // Recover checks the tables

  // A torn tail: ignored, and said what it was.
  std::string full;
  ASSERT_TRUE(fs_->ReadFileToString(manifest, &full).ok());
  ASSERT_TRUE(fs_->WriteFileFromString(manifest, full.substr(0, full.size() - 3), true).ok());
  offsets.clear();
  added.clear();
  VersionSet torn_reader(fs_, kDb);
  s = torn_reader.ReadManifest(&torn, visit);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(torn);
  EXPECT_NE(std::string::npos, torn_reader.torn_tail_damage().find("at offset"))
      << torn_reader.torn_tail_damage();
  EXPECT_EQ(2u, offsets.size());
  EXPECT_EQ(1, torn_reader.current()->NumFiles(0));
  EXPECT_EQ(0, torn_reader.current()->NumFiles(1));

  // An intact edit that does not apply is visited, then refused, with the
  // reason once (not "Corruption: ...: Corruption: ...").
  VersionEdit snapshot;
  snapshot.SetComparatorName(kComparatorName);
  snapshot.SetLogNumber(0);
  snapshot.SetNextFileNumber(10);
  snapshot.SetLastSequence(0);
  VersionEdit ghost;
  ghost.DeleteFile(1, 999);
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(manifest, &file).ok());
    wal::Writer writer(std::move(file), vs.manifest_number());
    for (const VersionEdit* edit : {&snapshot, &ghost}) {
      std::string record;
      edit->EncodeTo(&record);
      ASSERT_TRUE(writer.AddRecord(record).ok());
    }
    ASSERT_TRUE(writer.Sync().ok());
  }
  offsets.clear();
  added.clear();
  VersionSet bad_reader(fs_, kDb);
  s = bad_reader.ReadManifest(&torn, visit);
  EXPECT_EQ("Corruption: MANIFEST-000001: record at offset " + std::to_string(offsets.back()) +
                ": version edit: deletes file #999 which is not live at level 1",
            s.ToString());
  EXPECT_EQ(2u, offsets.size());
}

TEST_F(VersionSetTest, ManifestRollsOverPastItsSizeLimit) {
  VersionSetOptions small;
  small.max_manifest_bytes = 300;
  VersionSet vs(fs_, kDb, small);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  const uint64_t first = vs.manifest_number();
  for (int i = 0; i < 20; i++) {
    VersionEdit e;
    e.AddFile(0, MakeTable(&vs, "k" + std::to_string(i), "k" + std::to_string(i)));
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  }
  EXPECT_NE(first, vs.manifest_number());
  EXPECT_TRUE(fs_->FileExists(ManifestFileName(kDb, first)).IsNotFound());
  Status s;
  auto again = Reopen(&s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(20, again->current()->NumFiles(0));
}

TEST_F(VersionSetTest, FailedManifestSyncStopsEditsUntilANewManifest) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  fs_->InjectFault({FaultInjectionFileSystem::OpKind::kSync, "MANIFEST",
                    FaultInjectionFileSystem::Errno::kEIO, 0, 1});
  VersionEdit e;
  e.AddFile(0, MakeTable(&vs, "a", "b"));
  EXPECT_TRUE(vs.LogAndApply(&e).IsIOError());
  EXPECT_EQ(0, vs.current()->NumFiles(0));  // not acted on
  VersionEdit e2;
  e2.AddFile(0, MakeTable(&vs, "c", "d"));
  EXPECT_TRUE(vs.LogAndApply(&e2).IsIOError());  // never retried and trusted
  ASSERT_TRUE(vs.StartNewManifest().ok());
  ASSERT_TRUE(vs.LogAndApply(&e2).ok());
  EXPECT_EQ(1, vs.current()->NumFiles(0));
}

// Crash before every mutating file operation of: create, 6 edits with a
// rollover in between. After each crash the recovered version is the state
// after some prefix of the edits that includes every acknowledged one.
TEST_F(VersionSetTest, CrashAtEveryFileOperation) {
  VersionSetOptions small;
  small.max_manifest_bytes = 200;
  auto run = [&](bool* created, std::vector<std::vector<std::string>>* states, size_t* acked) {
    VersionSet vs(fs_, kDb, small);
    *created = false;
    *acked = 0;
    states->assign(1, {});
    if (!vs.StartNewManifest().ok()) return;
    *created = true;
    for (int i = 0; i < 6; i++) {
      VersionEdit e;
      e.AddFile(0, MakeTable(&vs, "k" + std::to_string(i), "k" + std::to_string(i)));
      if (i >= 3)
        e.DeleteFile(0, states->back().empty() ? 0 : vs.current()->files(0).back()->number);
      std::vector<std::string> next = states->back();
      // Record the intended state before trying, so an unacknowledged edit
      // that still became durable is recognised.
      VersionBuilder b(*vs.current());
      if (!b.Apply(e).ok()) return;
      states->push_back(Describe(*b.Finish()));
      if (!vs.LogAndApply(&e).ok()) return;
      *acked = states->size() - 1;
    }
  };
  bool created;
  std::vector<std::vector<std::string>> states;
  size_t acked;
  const uint64_t start = fs_->mutating_ops();
  run(&created, &states, &acked);
  ASSERT_EQ(6u, acked);
  const uint64_t total = fs_->mutating_ops() - start;
  for (uint64_t k = 1; k <= total; k++) {
    for (auto mode : {FaultInjectionFileSystem::CrashMode::kDropUnsynced,
                      FaultInjectionFileSystem::CrashMode::kKeepRandomUnsynced}) {
      fs_ = std::make_shared<FaultInjectionFileSystem>();
      ASSERT_TRUE(fs_->CreateDirIfMissing(kDb).ok());
      ASSERT_TRUE(fs_->SyncDir("/").ok());
      // The MANIFEST switches (at creation and at each rollover) also keep
      // the ordering rules at every step, crash or not.
      auto checker = test::OrderingChecker::Attach(fs_.get(), kDb);
      fs_->ArmCrash(k, mode, k);
      run(&created, &states, &acked);
      for (const auto& v : checker->violations()) ADD_FAILURE() << "crash at " << k << ": " << v;
      test::OrderingChecker::Detach(fs_.get());
      Status s;
      auto vs = Reopen(&s);
      if (s.IsNotFound()) {
        ASSERT_EQ(0u, acked) << "crash at " << k << ": CURRENT lost after an acknowledged edit";
        continue;
      }
      ASSERT_TRUE(s.ok()) << "crash at " << k << " mode " << static_cast<int>(mode) << ": "
                          << s.ToString();
      const auto got = Describe(*vs->current());
      size_t match = states.size();
      for (size_t i = acked; i < states.size(); i++) {
        if (states[i] == got) match = i;
      }
      ASSERT_LT(match, states.size()) << "crash at op " << k << ": recovered a version that is "
                                      << "not a prefix including every acknowledged edit";
    }
  }
}

// Point lookups through a version of overlapping level-0 tables (newer) over
// disjoint level-1 tables (older) equal a model of every entry ever written.
TEST_F(VersionSetTest, GetFindsTheNewestVisibleEntryAcrossLevels) {
  Random rnd(77);
  struct Entry {
    SequenceNumber seq;
    bool live;
    std::string value;
  };
  std::map<std::string, std::vector<Entry>> model;
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  SequenceNumber seq = 0;
  auto flush = [&](const std::function<std::string()>& key_fn, int n, int level) {
    auto mem = std::make_shared<MemTable>();
    for (int i = 0; i < n; i++) {
      std::string k = key_fn();
      bool live = !rnd.OneIn(4);
      std::string v = "v" + std::to_string(++seq);
      mem->Add(seq, live ? ValueType::kValue : ValueType::kDeletion, k, live ? v : "");
      model[k].push_back({seq, live, v});
    }
    FileMetaData meta;
    meta.number = vs.NewFileNumber();
    TableBuilderOptions o;
    o.file_number = meta.number;
    o.db_id = "db";
    o.block_size = 256;
    auto it = MemTable::NewIterator(mem);
    ASSERT_TRUE(WriteLevel0Table(fs_.get(), kDb, o, it.get(), nullptr, &meta).ok());
    vs.set_last_sequence(seq);
    VersionEdit e;
    e.AddFile(level, meta);
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  };
  auto key = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "key%04d", i);
    return std::string(buf);
  };
  // Level 1: four disjoint ranges with gaps, oldest data.
  for (int part = 0; part < 4; part++) {
    flush([&] { return key(part * 250 + static_cast<int>(rnd.Uniform(200))); }, 150, 1);
  }
  // Level 0: three overlapping tables of newer data.
  for (int t = 0; t < 3; t++)
    flush([&] { return key(static_cast<int>(rnd.Uniform(1000))); }, 200, 0);

  TableCache tables(fs_, kDb, "db", nullptr, 10);
  auto v = vs.current();
  for (int i = 0; i < 3000; i++) {
    const std::string k = key(static_cast<int>(rnd.Uniform(1050)));
    const SequenceNumber at = rnd.Uniform(seq + 2);
    std::string lookup;
    AppendInternalKey(&lookup, k, at, kValueTypeForSeek);
    TableGet got;
    std::string value;
    ASSERT_TRUE(v->Get(&tables, ReadBlockOptions(), lookup, &got, &value).ok());
    const Entry* newest = nullptr;
    for (const auto& e : model[k]) {
      if (e.seq <= at && (newest == nullptr || e.seq > newest->seq)) newest = &e;
    }
    if (newest == nullptr) {
      ASSERT_EQ(TableGet::kAbsent, got) << k << "@" << at;
    } else if (!newest->live) {
      ASSERT_EQ(TableGet::kDeletion, got) << k << "@" << at;
    } else {
      ASSERT_EQ(TableGet::kValue, got) << k << "@" << at;
      ASSERT_EQ(newest->value, value) << k << "@" << at;
    }
  }
}

// A table whose range tombstone ends at E has the sentinel (E,
// kMaxSequenceNumber, kRangeDeletion) as its largest key. It sorts before
// every entry and lookup key of E, so the next table of the level may start
// at E, and FindFile -- hence Version::Get and the level iterator -- picks
// that next table for E, never the one that merely ends there. (Picking the
// first would answer "absent" and hide E's value in the second.)
TEST_F(VersionSetTest, SentinelLargestKeyNeverPicksAFileForTheKeyItEndsAt) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  auto write = [&](std::shared_ptr<MemTable> mem) {
    FileMetaData meta;
    meta.number = vs.NewFileNumber();
    TableBuilderOptions o;
    o.file_number = meta.number;
    o.db_id = "db";
    auto it = MemTable::NewIterator(mem);
    EXPECT_TRUE(WriteLevel0Table(fs_.get(), kDb, o, it.get(), mem->RangeTombstones().get(), &meta)
                    .ok());
    return meta;
  };
  auto a = std::make_shared<MemTable>();
  a->Add(1, ValueType::kValue, "a", "a1");
  a->Add(3, ValueType::kRangeDeletion, "b", "e");
  auto b = std::make_shared<MemTable>();
  b->Add(2, ValueType::kValue, "e", "e2");
  b->Add(4, ValueType::kValue, "f", "f4");
  const FileMetaData fa = write(a), fb = write(b);
  std::string sentinel;
  AppendRangeTombstoneSentinel(&sentinel, "e");
  ASSERT_EQ(sentinel, fa.largest);
  ASSERT_EQ(IKey("e", 2), fb.smallest);
  vs.set_last_sequence(4);
  VersionEdit edit;
  edit.AddFile(1, fa);
  edit.AddFile(1, fb);
  ASSERT_TRUE(vs.LogAndApply(&edit).ok());  // the level's ranges are disjoint
  const auto v = vs.current();
  const Version::FileList& files = v->files(1);
  ASSERT_EQ(2, v->NumFiles(1));
  ASSERT_EQ(fa.number, files[0]->number);

  // FindFile: E and every lookup of it go to the second file.
  for (SequenceNumber at : {SequenceNumber{0}, SequenceNumber{4}, kMaxSequenceNumber}) {
    EXPECT_EQ(1, FindFile(files, IKey("e", at, kValueTypeForSeek))) << at;
  }
  EXPECT_EQ(0, FindFile(files, IKey("d", kMaxSequenceNumber, kValueTypeForSeek)));
  EXPECT_EQ(0, FindFile(files, IKey("d\xff\xff", 0, ValueType::kDeletion)));

  TableCache tables(fs_, kDb, "db", nullptr, 10);
  auto get = [&](const std::string& k, SequenceNumber at, std::string* value) {
    TableGet got;
    EXPECT_TRUE(v->Get(&tables, ReadBlockOptions(), IKey(k, at, kValueTypeForSeek), &got, value)
                    .ok());
    return got;
  };
  std::string value;
  EXPECT_EQ(TableGet::kValue, get("e", 100, &value));
  EXPECT_EQ("e2", value);
  EXPECT_EQ(TableGet::kDeletion, get("c", 100, &value));  // covered at 3
  EXPECT_EQ(TableGet::kAbsent, get("c", 2, &value));      // the tombstone is not visible yet
  EXPECT_EQ(TableGet::kValue, get("a", 100, &value));

  // The level iterator: a seek to E lands on the second file's entry.
  auto it = NewLevelIterator(&tables, ReadBlockOptions(), files);
  it->Seek(IKey("e", 100, kValueTypeForSeek));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(IKey("e", 2), it->key());
  it->SeekForPrev(IKey("d", 0, ValueType::kDeletion));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(IKey("a", 1), it->key());
  it->Seek(IKey("b", 100, kValueTypeForSeek));  // the first file has nothing from b on
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(IKey("e", 2), it->key());

  // The level's tombstone cursor answers per key, in any order.
  auto cursor = NewLevelRangeDelCursor(&tables, files, 100);
  for (int pass = 0; pass < 2; pass++) {
    const std::vector<std::pair<std::string, SequenceNumber>> expect = {
        {"", 0}, {"a", 0}, {"b", 3}, {"d\xff", 3}, {"e", 0}, {"ee", 0}, {"f", 0}, {"z", 0}};
    if (pass == 0) {
      for (const auto& [k, seq] : expect) EXPECT_EQ(seq, cursor->CoveringSequence(k)) << k;
    } else {
      for (auto e = expect.rbegin(); e != expect.rend(); ++e) {
        EXPECT_EQ(e->second, cursor->CoveringSequence(e->first)) << e->first;
      }
    }
  }
  EXPECT_TRUE(cursor->status().ok());
  EXPECT_EQ(0u, NewLevelRangeDelCursor(&tables, files, 2)->CoveringSequence("c"));
}

// A level-0 tombstone (newer) hides older versions in level 1, and a key it
// only ends at is not covered; the search stops at the tombstone's table.
TEST_F(VersionSetTest, GetAppliesRangeTombstonesAcrossLevels) {
  VersionSet vs(fs_, kDb);
  ASSERT_TRUE(vs.StartNewManifest().ok());
  auto write = [&](std::shared_ptr<MemTable> mem, int level) {
    FileMetaData meta;
    meta.number = vs.NewFileNumber();
    TableBuilderOptions o;
    o.file_number = meta.number;
    o.db_id = "db";
    auto it = MemTable::NewIterator(mem);
    ASSERT_TRUE(
        WriteLevel0Table(fs_.get(), kDb, o, it.get(), mem->RangeTombstones().get(), &meta).ok());
    vs.set_last_sequence(std::max(vs.last_sequence(), meta.largest_seqno));
    VersionEdit e;
    e.AddFile(level, meta);
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  };
  auto old = std::make_shared<MemTable>();
  for (int i = 0; i < 10; i++) old->Add(i + 1, ValueType::kValue, "k" + std::to_string(i), "old");
  write(old, 1);
  auto l0 = std::make_shared<MemTable>();
  l0->Add(20, ValueType::kRangeDeletion, "k3", "k6");
  l0->Add(21, ValueType::kValue, "k4", "new");
  write(l0, 0);
  TableCache tables(fs_, kDb, "db", nullptr, 10);
  const auto v = vs.current();
  auto get = [&](const std::string& k, SequenceNumber at, std::string* value,
                 SequenceNumber* covering) {
    TableGet got;
    *covering = 0;
    EXPECT_TRUE(v->Get(&tables, ReadBlockOptions(), IKey(k, at, kValueTypeForSeek), &got, value,
                       covering)
                    .ok());
    return got;
  };
  std::string value;
  SequenceNumber covering;
  EXPECT_EQ(TableGet::kDeletion, get("k3", 100, &value, &covering));
  EXPECT_EQ(20u, covering);
  EXPECT_EQ(TableGet::kValue, get("k4", 100, &value, &covering));
  EXPECT_EQ("new", value);
  EXPECT_EQ(TableGet::kDeletion, get("k5", 100, &value, &covering));
  EXPECT_EQ(TableGet::kValue, get("k6", 100, &value, &covering));  // the end is exclusive
  EXPECT_EQ("old", value);
  EXPECT_EQ(TableGet::kValue, get("k5", 19, &value, &covering));   // before the tombstone
  EXPECT_EQ("old", value);
}

}  // namespace synapsed
