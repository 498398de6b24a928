#include "tools/ldb/inspect.h"

#include <algorithm>

#include "engine/filename.h"
#include "engine/version_set.h"
#include "sstable/table_reader.h"
#include "util/internal_key.h"
#include "util/string_util.h"

namespace synapsed::ldb {

std::string Printable(std::string_view s, bool hex) {
  return hex ? "0x" + ToHex(s, /*upper=*/true) : EscapeBytes(s);
}

namespace {

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// 'user'@seq:put, like VersionEdit::DebugString, but honouring --hex.
std::string KeyString(std::string_view ikey, bool hex) {
  ParsedInternalKey k;
  if (!ParseInternalKeyAnyType(ikey, &k)) return "(bad key '" + Printable(ikey, hex) + "')";
  const char* type = k.type == ValueType::kValue      ? ":put"
                     : k.type == ValueType::kDeletion ? ":del"
                                                      : ":rangedel";
  return "'" + Printable(k.user_key, hex) + "'@" + std::to_string(k.sequence) + type;
}

// Reads a small file whole; Corruption if it is larger than max_bytes
// (IDENTITY is one short line).
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

// The database id tables record (TableBuilderOptions::db_id): IDENTITY
// without its trailing newline.
Status ReadIdentity(FileSystem* fs, const std::string& dbname, std::string* id) {
  Status s = ReadSmallFile(fs, IdentityFileName(dbname), 4096, id);
  if (!s.ok()) return s;
  if (!id->empty() && id->back() == '\n') id->pop_back();
  if (id->empty()) return Status::Corruption("IDENTITY", "is empty");
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
  // Range tombstones widen the span (TableBuilder: their smallest key and
  // the sentinel of their largest end).
  const auto& tombstones = reader->range_tombstones();
  if (tombstones != nullptr) {
    const std::string lo = tombstones->SmallestKey(), hi = tombstones->LargestKey();
    if (entries == 0 || CompareInternalKeys(lo, first) < 0) first = lo;
    if (entries == 0 || CompareInternalKeys(hi, last) > 0) last = hi;
    min_seq = std::min(min_seq, tombstones->smallest_seq());
    max_seq = std::max(max_seq, tombstones->largest_seq());
  }
  if ((entries == 0 && tombstones == nullptr) || first != f.smallest || last != f.largest) {
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

std::string ManifestName(const VersionSet& versions) {
  return ManifestFileName("", versions.manifest_number()).substr(1);
}

// The line both commands print when recovery would ignore a torn tail.
std::string TornTailNote(const VersionSet& versions) {
  return ManifestName(versions) +
         ": damaged final record ignored, as recovery ignores it: " + versions.torn_tail_damage() +
         "\n";
}

}  // namespace

Status DumpManifest(const std::shared_ptr<FileSystem>& fs, const std::string& dbname, bool hex,
                    std::ostream& out) {
  VersionSet versions(fs, dbname);
  int edits = 0;
  bool torn_tail = false;
  Status s = versions.ReadManifest(&torn_tail, [&](uint64_t offset, const VersionEdit& edit) {
    if (edits++ == 0) out << ManifestName(versions) << " (named by CURRENT)\n";
    out << "offset " << offset << ": " << edit.DebugString();
  });
  if (!s.ok()) return s;
  if (torn_tail) out << TornTailNote(versions);
  const Version& v = *versions.current();
  out << "Version after " << edits << (edits == 1 ? " edit" : " edits") << ":\n"
      << "  log number " << versions.log_number() << ", next file " << versions.next_file_number()
      << ", last sequence " << versions.last_sequence() << "\n";
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
  // The engine's own verdict: the MANIFEST replays, the counters fit and
  // every live table exists with its recorded size (Recovery steps 1-4).
  VersionSet versions(fs, dbname);
  bool torn_tail = false;
  Status s = versions.Recover(&torn_tail);
  if (!s.ok()) return s;
  const std::string manifest = ManifestName(versions);
  // Recovery step 5: an acted-on edit would have deleted this log.
  if (torn_tail) {
    const std::string log = LogFileName(dbname, versions.log_number());
    s = fs->FileExists(log);
    if (s.IsNotFound()) {
      return Status::Corruption(manifest, "final record is damaged (" +
                                              versions.torn_tail_damage() +
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
      s = VerifyTable(fs.get(), dbname, manifest, db_id, *f);
      if (!s.ok()) return s;
    }
  }
  if (torn_tail) out << TornTailNote(versions);
  out << "OK\n";
  return Status::OK();
}

}  // namespace synapsed::ldb
