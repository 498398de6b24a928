#include "tools/ldb/inspect.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/filename.h"
#include "sstable/table_reader.h"
#include "util/internal_key.h"
#include "util/string_util.h"
#include "wal/log_reader.h"

namespace synapsed::ldb {

std::string Printable(std::string_view s, bool hex) {
  return hex ? "0x" + ToHex(s, /*upper=*/true) : EscapeBytes(s);
}

namespace {

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// 'user'@seq:put, like VersionEdit::DebugString, but honouring --hex.
std::string KeyString(std::string_view ikey, bool hex) {
  ParsedInternalKey k;
  if (!ParseInternalKey(ikey, &k)) return "(bad key '" + Printable(ikey, hex) + "')";
  return "'" + Printable(k.user_key, hex) + "'@" + std::to_string(k.sequence) +
         (k.type == ValueType::kValue ? ":put" : ":del");
}

// Reads a small file whole; Corruption if it is larger than max_bytes
// (CURRENT and IDENTITY are one short line).
Status ReadSmallFile(FileSystem* fs, const std::string& path, size_t max_bytes,
                     std::string* contents) {
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  contents->clear();
  std::string buf(max_bytes + 1, '\0');
  while (contents->size() <= max_bytes) {
    std::string_view chunk;
    s = file->Read(buf.size(), &chunk, buf.data());
    if (!s.ok()) return s;
    if (chunk.empty()) break;
    contents->append(chunk);
  }
  if (contents->size() > max_bytes) {
    return Status::Corruption(BaseName(path), "longer than " + std::to_string(max_bytes) +
                                                  " bytes: not written by synapsed");
  }
  return Status::OK();
}

// CURRENT must hold exactly "MANIFEST-NNNNNN\n" (manifest.md).
Status ReadCurrent(FileSystem* fs, const std::string& dbname, uint64_t* number) {
  std::string contents;
  Status s = ReadSmallFile(fs, CurrentFileName(dbname), 256, &contents);
  if (!s.ok()) return s;
  FileType type;
  if (contents.size() < 2 || contents.back() != '\n' ||
      !ParseFileName(std::string_view(contents).substr(0, contents.size() - 1), number, &type) ||
      type != FileType::kManifest) {
    return Status::Corruption("CURRENT", "does not name a MANIFEST (holds '" +
                                             EscapeBytes(contents.substr(0, 64)) + "')");
  }
  return Status::OK();
}

// The database id tables record (TableBuilderOptions::db_id): IDENTITY
// without its trailing newline.
Status ReadIdentity(FileSystem* fs, const std::string& dbname, std::string* id) {
  Status s = ReadSmallFile(fs, IdentityFileName(dbname), 4096, id);
  if (!s.ok()) return s;
  if (!id->empty() && id->back() == '\n') id->pop_back();
  if (id->empty()) return Status::Corruption("IDENTITY", "is empty");
  return Status::OK();
}

// The first damage the log reader reports; later damage adds nothing a
// person needs to act on.
class FirstDamage final : public wal::Reader::Reporter {
 public:
  void Damage(uint64_t offset, uint64_t bytes, wal::DamageKind kind) override {
    if (count++ > 0) return;
    char buf[128];
    std::snprintf(buf, sizeof(buf), "%s at offset %" PRIu64 " (%" PRIu64 " bytes)",
                  std::string(wal::DamageKindName(kind)).c_str(), offset, bytes);
    first = buf;
  }
  int count = 0;
  std::string first;
};

// The checks of manifest.md "Applying an edit" that precede VersionBuilder
// (which checks the rest).
Status CheckEditFits(const VersionEdit& edit, const ManifestReplay& r, const std::string& where) {
  if (r.edits == 0) {
    if (!edit.has_comparator_name() || !edit.has_log_number() || !edit.has_next_file_number() ||
        !edit.has_last_sequence() || !edit.deleted_files().empty()) {
      return Status::Corruption(where, "first record is not a snapshot");
    }
    if (edit.comparator_name() != kComparatorName) {
      return Status::InvalidArgument(r.manifest_name,
                                     "comparator mismatch: " + EscapeBytes(edit.comparator_name()));
    }
  } else if (edit.has_comparator_name() && edit.comparator_name() != kComparatorName) {
    return Status::Corruption(where, "comparator changed");
  }
  if ((edit.has_log_number() && edit.log_number() < r.log_number) ||
      (edit.has_next_file_number() && edit.next_file_number() < r.next_file_number) ||
      (edit.has_last_sequence() && edit.last_sequence() < r.last_sequence)) {
    return Status::Corruption(where, "a counter went backwards");
  }
  return Status::OK();
}

// The live table exists with the size the MANIFEST records. (Recover checks
// this too; here the message names the table file.)
Status CheckTableFile(FileSystem* fs, const std::string& dbname, const std::string& manifest,
                      int level, const FileMetaData& f) {
  const std::string path = TableFileName(dbname, f.number);
  uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  if (s.IsNotFound()) {
    return Status::Corruption(BaseName(path), "is missing (live at level " + std::to_string(level) +
                                                  " in " + manifest + ")");
  }
  if (!s.ok()) return s;
  if (size != f.file_size) {
    return Status::Corruption(BaseName(path), "has " + std::to_string(size) + " bytes, " +
                                                  manifest + " records " +
                                                  std::to_string(f.file_size));
  }
  return Status::OK();
}

// s, with the file's name in front unless its message already has it (the
// footer's NotSupported does not).
Status Named(const Status& s, const std::string& name) {
  if (s.ok() || s.message().find(name) != std::string_view::npos) return s;
  switch (s.code()) {
    case Status::Code::kNotFound:
      return Status::NotFound(name, s.message());
    case Status::Code::kNotSupported:
      return Status::NotSupported(name, s.message());
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(name, s.message());
    case Status::Code::kIOError:
      return Status::IOError(name, s.message());
    default:
      return Status::Corruption(name, s.message());
  }
}

// Opens the table as this database's file f.number, verifies every block and
// checks that its entries span exactly the keys and sequences recorded.
Status VerifyTable(FileSystem* fs, const std::string& dbname, const std::string& manifest,
                   const std::string& db_id, const FileMetaData& f) {
  const std::string path = TableFileName(dbname, f.number);
  const std::string name = BaseName(path);
  std::unique_ptr<RandomAccessFile> file;
  Status s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  TableReaderOptions options;
  options.expected_file_number = f.number;
  options.expected_db_id = db_id;
  std::unique_ptr<TableReader> reader;
  s = TableReader::Open(options, std::move(file), f.file_size, name, &reader);
  if (!s.ok()) return Named(s, name);
  s = reader->VerifyChecksums();
  if (!s.ok()) return Named(s, name);

  ReadBlockOptions scan;
  scan.fill_cache = false;
  auto it = reader->NewIterator(scan);
  uint64_t entries = 0;
  std::string first, last;
  SequenceNumber min_seq = kMaxSequenceNumber, max_seq = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), entries++) {
    if (entries == 0) first = it->key();
    last = it->key();
    ParsedInternalKey k;
    if (!ParseInternalKey(it->key(), &k)) return Status::Corruption(name, "malformed key");
    min_seq = std::min(min_seq, k.sequence);
    max_seq = std::max(max_seq, k.sequence);
  }
  if (!it->status().ok()) return Named(it->status(), name);
  if (entries != reader->properties().num_entries) {
    return Status::Corruption(name, "holds " + std::to_string(entries) +
                                        " entries, its properties say " +
                                        std::to_string(reader->properties().num_entries));
  }
  if (entries == 0 || first != f.smallest || last != f.largest) {
    return Status::Corruption(name, "holds keys [" + KeyString(first, false) + " .. " +
                                        KeyString(last, false) + "], " + manifest + " records [" +
                                        KeyString(f.smallest, false) + " .. " +
                                        KeyString(f.largest, false) + "]");
  }
  if (min_seq != f.smallest_seqno || max_seq != f.largest_seqno) {
    return Status::Corruption(name, "holds sequences [" + std::to_string(min_seq) + ", " +
                                        std::to_string(max_seq) + "], " + manifest + " records [" +
                                        std::to_string(f.smallest_seqno) + ", " +
                                        std::to_string(f.largest_seqno) + "]");
  }
  return Status::OK();
}

}  // namespace

Status ReplayManifest(FileSystem* fs, const std::string& dbname,
                      const std::function<void(uint64_t, const VersionEdit&)>& visit,
                      ManifestReplay* r) {
  *r = ManifestReplay();
  uint64_t number = 0;
  Status s = ReadCurrent(fs, dbname, &number);
  if (!s.ok()) return s;
  const std::string path = ManifestFileName(dbname, number);
  r->manifest_name = BaseName(path);
  r->manifest_number = number;
  std::unique_ptr<SequentialFile> file;
  s = fs->NewSequentialFile(path, &file);
  if (s.IsNotFound()) return Status::Corruption(r->manifest_name, "named by CURRENT, is missing");
  if (!s.ok()) return s;

  FirstDamage damage;
  wal::Reader reader(std::move(file), r->manifest_name, number, &damage);
  VersionBuilder builder{Version()};
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
    // Damage followed by an intact record is never a torn tail.
    if (damage.count > 0) return Status::Corruption(r->manifest_name, damage.first);
    const uint64_t offset = reader.last_record_offset();
    const std::string where = r->manifest_name + ": record at offset " + std::to_string(offset);
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) return Status::Corruption(where, s.message());
    if (visit) visit(offset, edit);
    s = CheckEditFits(edit, *r, where);
    if (!s.ok()) return s;
    s = builder.Apply(edit);
    if (!s.ok()) return Status::Corruption(where, s.message());
    if (edit.has_log_number()) r->log_number = edit.log_number();
    if (edit.has_next_file_number()) r->next_file_number = edit.next_file_number();
    if (edit.has_last_sequence()) r->last_sequence = edit.last_sequence();
    r->edits++;
  }
  if (!reader.status().ok()) return reader.status();
  if (damage.count > 0) {
    if (r->edits == 0) return Status::Corruption(r->manifest_name, damage.first);
    r->torn_tail = true;
    r->torn_tail_damage = damage.first;
  }
  if (r->edits == 0) return Status::Corruption(r->manifest_name, "is empty");
  r->version = builder.Finish();
  return Status::OK();
}

Status DumpManifest(FileSystem* fs, const std::string& dbname, bool hex, std::ostream& out) {
  ManifestReplay r;
  Status s = ReplayManifest(
      fs, dbname,
      [&](uint64_t offset, const VersionEdit& edit) {
        if (r.edits == 0) out << r.manifest_name << " (named by CURRENT)\n";
        out << "offset " << offset << ": " << edit.DebugString();
      },
      &r);
  if (!s.ok()) return s;
  if (r.torn_tail) {
    out << r.manifest_name
        << ": damaged final record ignored, as recovery ignores it: " << r.torn_tail_damage << "\n";
  }
  const Version& v = *r.version;
  out << "Version after " << r.edits << (r.edits == 1 ? " edit" : " edits") << ":\n"
      << "  log number " << r.log_number << ", next file " << r.next_file_number
      << ", last sequence " << r.last_sequence << "\n";
  for (int level = 0; level < kNumLevels; level++) {
    uint64_t bytes = 0;
    for (const auto& f : v.files(level)) bytes += f->file_size;
    out << "  level " << level << ": " << v.NumFiles(level)
        << (v.NumFiles(level) == 1 ? " file, " : " files, ") << bytes << " bytes\n";
    for (const auto& f : v.files(level)) {
      out << "    #" << f->number << " " << f->file_size << " bytes ["
          << KeyString(f->smallest, hex) << " .. " << KeyString(f->largest, hex) << "] seqnos ["
          << f->smallest_seqno << ", " << f->largest_seqno << "]\n";
    }
  }
  return Status::OK();
}

Status CheckConsistency(const std::shared_ptr<FileSystem>& fs, const std::string& dbname,
                        std::ostream& out) {
  // Replayed here first, not only by Recover below: the messages then name
  // the record's offset and the table file itself.
  ManifestReplay r;
  Status s = ReplayManifest(fs.get(), dbname, nullptr, &r);
  if (!s.ok()) return s;
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : r.version->files(level)) {
      s = CheckTableFile(fs.get(), dbname, r.manifest_name, level, *f);
      if (!s.ok()) return s;
    }
  }
  // The engine's own verdict, including the counter rules (manifest.md,
  // Recovery step 4).
  VersionSet versions(fs, dbname);
  bool torn_tail = false;
  s = versions.Recover(&torn_tail);
  if (!s.ok()) return s;
  if (torn_tail) {
    // Recovery step 5: an acted-on edit would have deleted this log.
    const std::string log = LogFileName(dbname, versions.log_number());
    s = fs->FileExists(log);
    if (s.IsNotFound()) {
      return Status::Corruption(r.manifest_name, "final record is damaged (" + r.torn_tail_damage +
                                                     "), and not by a crash: " + BaseName(log) +
                                                     ", which recovery would replay, is missing");
    }
    if (!s.ok()) return s;
  }
  std::string db_id;
  s = ReadIdentity(fs.get(), dbname, &db_id);
  if (!s.ok()) return s;
  const auto version = versions.current();
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& f : version->files(level)) {
      s = VerifyTable(fs.get(), dbname, r.manifest_name, db_id, *f);
      if (!s.ok()) return s;
    }
  }
  if (torn_tail) {
    out << r.manifest_name
        << ": damaged final record ignored, as recovery ignores it: " << r.torn_tail_damage << "\n";
  }
  out << "OK\n";
  return Status::OK();
}

}  // namespace synapsed::ldb
