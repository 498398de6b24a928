// synapsed_sst_dump: inspect, check and verify table files.
//
//   synapsed_sst_dump --file=<table or directory> [--command=scan|check|verify|raw]
//                     [--show_properties] [--from=K] [--to=K] [--hex] [--read_num=N]
//
// Errors (a damaged or foreign file) are one line naming the file and what is
// wrong, and a non-zero exit; never a crash.
#include <gflags/gflags.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "sstable/block.h"
#include "sstable/table_reader.h"
#include "synapsed/file_system.h"
#include "util/internal_key.h"
#include "util/string_util.h"

DEFINE_string(file, "", "A table file, or a directory whose *.sst files are all dumped.");
DEFINE_string(command, "scan",
              "scan: print entries; check: read every entry; "
              "verify: verify every block's checksum; raw: dump block structure.");
DEFINE_bool(show_properties, false, "Print the table's properties.");
DEFINE_string(from, "", "scan: first user key (inclusive).");
DEFINE_string(to, "", "scan: last user key (exclusive).");
DEFINE_bool(hex, false, "Print keys and values in hex.");
DEFINE_int64(read_num, -1, "scan: at most this many entries (< 0: all).");

namespace synapsed {
namespace {

std::string Printable(std::string_view s) {
  return FLAGS_hex ? "0x" + ToHex(s, /*upper=*/true) : EscapeBytes(s);
}

std::string Entry(std::string_view ikey, std::string_view value) {
  ParsedInternalKey p;
  if (!ParseInternalKey(ikey, &p)) return "'" + Printable(ikey) + "' (malformed internal key)";
  std::string s = "'" + Printable(p.user_key) + "' seq:" + std::to_string(p.sequence) + ", type:";
  s += p.type == ValueType::kValue ? "put => '" + Printable(value) + "'" : "delete";
  return s;
}

// One line per range tombstone (each fragment, each sequence), in the form
// of Entry's lines.
void PrintRangeTombstones(const TableReader& reader) {
  const auto& list = reader.range_tombstones();
  if (list == nullptr) return;
  for (size_t i = 0; i < list->num_fragments(); i++) {
    const auto f = list->fragment(i);
    if (!FLAGS_to.empty() && f.start >= std::string_view(FLAGS_to)) break;
    if (!FLAGS_from.empty() && f.end <= std::string_view(FLAGS_from)) continue;
    for (SequenceNumber seq : f.seqs) {
      std::printf("'%s' seq:%" PRIu64 ", type:range_delete => '%s'\n", Printable(f.start).c_str(),
                  seq, Printable(f.end).c_str());
    }
  }
}

Status OpenTable(const std::string& path, std::unique_ptr<TableReader>* reader) {
  auto fs = FileSystem::Default();
  uint64_t size;
  Status s = fs->GetFileSize(path, &size);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  return TableReader::Open(TableReaderOptions(), std::move(file), size, path, reader);
}

Status Scan(const TableReader& reader) {
  auto it = reader.NewIterator(ReadBlockOptions());
  if (FLAGS_from.empty()) {
    it->SeekToFirst();
  } else {
    std::string target;
    AppendInternalKey(&target, FLAGS_from, kMaxSequenceNumber, kValueTypeForSeek);
    it->Seek(target);
  }
  int64_t n = 0;
  for (; it->Valid() && (FLAGS_read_num < 0 || n < FLAGS_read_num); it->Next(), n++) {
    ParsedInternalKey p;
    if (!FLAGS_to.empty() && ParseInternalKey(it->key(), &p) &&
        p.user_key >= std::string_view(FLAGS_to)) {
      break;
    }
    std::printf("%s\n", Entry(it->key(), it->value()).c_str());
  }
  if (!it->status().ok()) return it->status();
  if (reader.range_tombstones() != nullptr) {
    std::printf("Range deletions (start seq => end):\n");
    PrintRangeTombstones(reader);
  }
  return Status::OK();
}

Status Check(const TableReader& reader) {
  auto it = reader.NewIterator(ReadBlockOptions());
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  if (!it->status().ok()) return it->status();
  if (n != reader.properties().num_entries) {
    return Status::Corruption(reader.file_name(),
                              "read " + std::to_string(n) + " entries, properties say " +
                                  std::to_string(reader.properties().num_entries));
  }
  const auto& tombstones = reader.range_tombstones();
  std::printf("%s: %" PRIu64 " entries and %zu range deletions checked\n",
              reader.file_name().c_str(), n, tombstones ? tombstones->num_entries() : size_t{0});
  return Status::OK();
}

Status Raw(const TableReader& reader) {
  // Block by block: the two-level structure as the reader sees it.
  auto it = reader.NewIterator(ReadBlockOptions());
  std::printf("Data entries (internal key => value), in order:\n");
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("  %s\n", Entry(it->key(), it->value()).c_str());
  }
  if (!it->status().ok()) return it->status();
  std::printf("Range deletion fragments ([start, end) => sequences):\n");
  if (const auto& list = reader.range_tombstones()) {
    for (size_t i = 0; i < list->num_fragments(); i++) {
      const auto f = list->fragment(i);
      std::string seqs;
      for (SequenceNumber seq : f.seqs) seqs += (seqs.empty() ? "" : " ") + std::to_string(seq);
      std::printf("  ['%s', '%s') => %s\n", Printable(f.start).c_str(), Printable(f.end).c_str(),
                  seqs.c_str());
    }
  }
  std::printf("Properties:\n%s", reader.properties().ToString().c_str());
  return reader.VerifyChecksums();
}

Status DumpOne(const std::string& path) {
  std::unique_ptr<TableReader> reader;
  Status s = OpenTable(path, &reader);
  if (!s.ok()) return s;
  std::printf("from [%s] to [%s]\nProcess %s\n", Printable(FLAGS_from).c_str(),
              Printable(FLAGS_to).c_str(), path.c_str());
  if (FLAGS_show_properties) {
    std::printf("Table Properties:\n------------------------------\n%s",
                reader->properties().ToString().c_str());
  }
  if (FLAGS_command == "scan") return Scan(*reader);
  if (FLAGS_command == "check") return Check(*reader);
  if (FLAGS_command == "verify") {
    s = reader->VerifyChecksums();
    if (s.ok()) std::printf("The file is ok\n");
    return s;
  }
  if (FLAGS_command == "raw") return Raw(*reader);
  return Status::InvalidArgument("unknown --command", FLAGS_command);
}

}  // namespace
}  // namespace synapsed

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "synapsed_sst_dump --file=<table or directory> --command=scan|check|verify|raw");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_file.empty()) {
    std::fprintf(stderr, "synapsed_sst_dump: --file is required\n");
    return 1;
  }
  auto fs = synapsed::FileSystem::Default();
  std::vector<std::string> files;
  std::vector<std::string> children;
  if (fs->GetChildren(FLAGS_file, &children).ok()) {
    for (const auto& c : children) {
      if (c.size() > 4 && c.substr(c.size() - 4) == ".sst") files.push_back(FLAGS_file + "/" + c);
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr, "synapsed_sst_dump: %s: no .sst files\n", FLAGS_file.c_str());
      return 1;
    }
  } else {
    files.push_back(FLAGS_file);
  }
  int failed = 0;
  for (const auto& f : files) {
    synapsed::Status s = synapsed::DumpOne(f);
    if (!s.ok()) {
      std::fprintf(stderr, "synapsed_sst_dump: %s\n", s.ToString().c_str());
      failed++;
    }
  }
  return failed == 0 ? 0 : 1;
}
