// synapsed_wal_dump: decode a write-ahead log (NNNNNN.log): one line per
// record with its offset, sequence, count and operations, and one line per
// damaged region.
//
//   synapsed_wal_dump --file=<log> [--log_number=N] [--hex] [--print_values=false]
//
// The log number seeds the checksums; it is taken from the file name unless
// given. Exit status 1 if the log holds damage or cannot be read.
#include <gflags/gflags.h>

#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/filename.h"
#include "engine/write_batch_internal.h"
#include "synapsed/file_system.h"
#include "util/string_util.h"
#include "wal/log_reader.h"

DEFINE_string(file, "", "The log file.");
DEFINE_uint64(log_number, 0, "Log number (checksum seed); 0: from the file name.");
DEFINE_bool(hex, false, "Print keys and values in hex.");
DEFINE_bool(print_values, true, "Print values, not only keys.");

namespace synapsed {
namespace {

std::string Printable(std::string_view s) {
  return FLAGS_hex ? "0x" + ToHex(s, /*upper=*/true) : EscapeBytes(s);
}

class Printer : public WriteBatch::Handler {
 public:
  void Put(std::string_view k, std::string_view v) override {
    line += " PUT '" + Printable(k) + "'";
    if (FLAGS_print_values) line += " => '" + Printable(v) + "'";
  }
  void Delete(std::string_view k) override { line += " DELETE '" + Printable(k) + "'"; }
  void DeleteRange(std::string_view begin, std::string_view end) override {
    line += " DELETE_RANGE '" + Printable(begin) + "' .. '" + Printable(end) + "'";
  }
  std::string line;
};

class DamagePrinter : public wal::Reader::Reporter {
 public:
  explicit DamagePrinter(std::string file) : file_(std::move(file)) {}
  void Damage(uint64_t offset, uint64_t bytes, wal::DamageKind kind) override {
    std::printf("%s: %s at offset %" PRIu64 " (%" PRIu64 " bytes)\n", file_.c_str(),
                std::string(wal::DamageKindName(kind)).c_str(), offset, bytes);
    damaged = true;
  }
  bool damaged = false;

 private:
  std::string file_;
};

int Dump() {
  std::string name = FLAGS_file.substr(FLAGS_file.rfind('/') + 1);
  uint64_t number = FLAGS_log_number;
  FileType type;
  if (number == 0 && (!ParseFileName(name, &number, &type) ||
                      type != FileType::kLog)) {
    std::fprintf(stderr,
                 "synapsed_wal_dump: %s: not NNNNNN.log; give --log_number\n",
                 FLAGS_file.c_str());
    return 1;
  }
  std::unique_ptr<SequentialFile> file;
  Status s = FileSystem::Default()->NewSequentialFile(FLAGS_file, &file);
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_wal_dump: %s\n", s.ToString().c_str());
    return 1;
  }
  DamagePrinter damage(name);
  wal::Reader reader(std::move(file), name, number, &damage);
  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  bool bad = false;
  while (reader.ReadRecord(&record, &scratch)) {
    s = WriteBatchInternal::SetContents(&batch, record);
    Printer printer;
    if (s.ok()) s = batch.Iterate(&printer);
    if (!s.ok()) {
      std::printf("%s: malformed write batch at offset %" PRIu64 ": %s\n", name.c_str(),
                  reader.last_record_offset(), s.ToString().c_str());
      bad = true;
      continue;
    }
    std::printf("offset %" PRIu64 ": seq %" PRIu64 ", count %u:%s\n", reader.last_record_offset(),
                WriteBatchInternal::Sequence(batch), batch.Count(), printer.line.c_str());
  }
  if (!reader.status().ok()) {
    std::fprintf(stderr, "synapsed_wal_dump: %s\n", reader.status().ToString().c_str());
    return 1;
  }
  if (damage.damaged || bad) {
    std::fprintf(stderr, "synapsed_wal_dump: %s: damaged (see above)\n", FLAGS_file.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace synapsed

int main(int argc, char** argv) {
  gflags::SetUsageMessage("synapsed_wal_dump --file=<NNNNNN.log>");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_file.empty()) {
    std::fprintf(stderr, "synapsed_wal_dump: --file is required\n");
    return 1;
  }
  return synapsed::Dump();
}
