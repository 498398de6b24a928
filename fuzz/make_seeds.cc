// synapsed_fuzz_seeds: writes the generated seed inputs of every fuzz target
// from real files. It runs a small database on the in-memory file system
// (puts, deletes, range deletions, batches, flushes under each compression,
// a compaction), then cuts what the engine wrote into each target's input
// form:
//
//   wal_reader    log number byte + a whole WAL file
//   write_batch   each WAL record (one serialized batch)
//   version_edit  each MANIFEST record (one encoded edit)
//   table_reader  each table file
//   block         0x00 + each block of a table: contents (data, index,
//                 metaindex, properties, range deletions) and one stored
//                 (compressed, with trailer) data block
//   footer        0x00 + each table's 56-byte footer
//   db_api        seeded random call sequences (the API has no files)
//
// Usage: synapsed_fuzz_seeds OUT_DIR (normally fuzz/corpus). Files are named
// gen-*, so hand-made seeds and kept inputs beside them are left alone.
// Tables carry a random seed and unique id, so a rerun changes their bytes;
// rerun it after a format change and commit the result.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_files.h"
#include "io/fault_injection_fs.h"
#include "sstable/block.h"
#include "sstable/format.h"
#include "synapsed/db.h"
#include "util/coding.h"
#include "util/internal_key.h"
#include "util/random.h"
#include "wal/log_reader.h"

namespace synapsed {
namespace {

constexpr size_t kMaxSeedBytes = 4096;  // keeps the committed corpus small

class Seeds {
 public:
  explicit Seeds(std::filesystem::path out) : out_(std::move(out)) {}
  void Write(const std::string& target, const std::string& name, std::string_view bytes) {
    if (bytes.size() > kMaxSeedBytes) return;
    std::filesystem::create_directories(out_ / target);
    std::ofstream f(out_ / target / ("gen-" + name), std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    written_++;
  }
  int written() const { return written_; }

 private:
  std::filesystem::path out_;
  int written_ = 0;
};

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "synapsed_fuzz_seeds: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string Base(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The records of a log or MANIFEST file.
std::vector<std::string> Records(FaultInjectionFileSystem* fs, const std::string& path,
                                 uint64_t log_number) {
  std::unique_ptr<SequentialFile> file;
  Check(fs->NewSequentialFile(path, &file), "open log");
  wal::Reader reader(std::move(file), path, log_number, nullptr);
  std::vector<std::string> records;
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) records.emplace_back(record);
  return records;
}

// The footer, every block's contents, and one stored data block of a table.
void TableSeeds(const std::string& name, const std::string& table, Seeds* seeds) {
  seeds->Write("table_reader", name + ".sst", table);
  const std::string_view footer_bytes =
      std::string_view(table).substr(table.size() - Footer::kEncodedBytes);
  seeds->Write("footer", name, std::string(1, '\0') + std::string(footer_bytes));
  Footer footer;
  Check(footer.DecodeFrom(footer_bytes), "footer");
  const fuzz::StringFile file(table);
  auto block = [&](const BlockHandle& h, const std::string& block_name) {
    std::string contents;
    Check(ReadBlock(file, name, footer.table_seed, h, ReadBlockOptions(), &contents), "block");
    seeds->Write("block", name + "-" + block_name, std::string(1, '\0') + contents);
    return contents;
  };
  // Index: one handle per data block; metaindex: name -> handle.
  for (const bool index : {true, false}) {
    const std::string contents =
        block(index ? footer.index : footer.metaindex, index ? "index" : "metaindex");
    auto it = Block::NewIterator(std::make_shared<const Block>(contents),
                                 index ? CompareInternalKeys : CompareBytes);
    int n = 0;
    for (it->SeekToFirst(); it->Valid() && n < 2; it->Next(), n++) {
      std::string_view v = it->value();
      BlockHandle h;
      if (!h.DecodeFrom(&v)) continue;
      const std::string block_name = index ? "data" + std::to_string(n) : std::string(it->key());
      if (block_name == kFilterBlockName) continue;  // a filter is not a block of entries
      block(h, block_name);
      if (index && n == 0) {  // as stored: compressed payload and trailer
        seeds->Write("block", name + "-stored",
                     std::string(1, '\0') + table.substr(h.offset, BlockReadBytes(h)));
      }
    }
  }
}

// Call sequences for db_api: random bytes, seeded, of a few lengths.
void ApiSeeds(Seeds* seeds) {
  Random rnd(301);
  for (int i = 0; i < 12; i++) {
    std::string bytes(32 << (i % 5), '\0');
    for (char& c : bytes) c = static_cast<char>(rnd.Uniform(256));
    seeds->Write("db_api", "random" + std::to_string(i), bytes);
  }
}

int Main(const std::filesystem::path& out) {
  Seeds seeds(out);
  auto fs = std::make_shared<FaultInjectionFileSystem>();
  Options options;
  options.create_if_missing = true;
  options.file_system = fs;
  options.write_buffer_size = 1 << 20;  // flushes only when asked
  options.block_size = 128;
  options.bloom_bits_per_key = 10;
  std::unique_ptr<DB> db;
  std::set<std::string> seen;  // file names already cut into seeds
  int round = 0;
  for (const CompressionType c :
       {CompressionType::kNone, CompressionType::kLZ4, CompressionType::kZstd}) {
    options.compression = c;
    options.bottommost_compression = c;
    Check(DB::Open(options, "/db", &db), "open");
    WriteOptions wo;
    for (int i = 0; i < 24; i++) {
      const std::string k = "key" + std::to_string((i * 7 + round) % 30);
      Check(db->Put(wo, k, "value" + std::to_string(i) + std::string(i % 5 * 8, 'a' + round)),
            "put");
      if (i % 6 == 5) Check(db->Delete(wo, "key" + std::to_string(i)), "delete");
    }
    WriteBatch batch;
    batch.Put("batch", "one");
    batch.Delete("key3");
    Check(batch.DeleteRange("key20", "key25"), "batch");
    Check(db->Write(wo, &batch), "write");
    if (round > 0) Check(db->DeleteRange(wo, "key1", "key15"), "deleterange");
    // The live logs, before the flush removes them.
    for (const std::string& path : fs->ListAllFiles()) {
      if (path.size() < 4 || path.substr(path.size() - 4) != ".log") continue;
      const uint64_t number = std::stoull(Base(path));
      std::string contents;
      Check(fs->ReadFileToString(path, &contents), "read log");
      const std::string name = "r" + std::to_string(round) + "-" + Base(path);
      seeds.Write("wal_reader", name, std::string(1, static_cast<char>(number)) + contents);
      // The first few single writes, and the batch and range deletion at the end.
      const std::vector<std::string> records = Records(fs.get(), path, number);
      for (size_t n = 0; n < records.size(); n++) {
        if (n < 3 || n + 3 >= records.size()) {
          seeds.Write("write_batch", name + "-" + std::to_string(n), records[n]);
        }
      }
    }
    Check(db->Flush(), "flush");
    if (round == 2) Check(db->CompactRange(nullptr, nullptr), "compact");
    // Each new table (compactions delete the inputs), and the MANIFEST.
    for (const std::string& path : fs->ListAllFiles()) {
      const std::string base = Base(path);
      if (!seen.insert(base).second && base.rfind("MANIFEST-", 0) != 0) continue;
      std::string contents;
      Check(fs->ReadFileToString(path, &contents), "read");
      if (base.size() > 4 && base.substr(base.size() - 4) == ".sst") {
        TableSeeds(base.substr(0, base.size() - 4), contents, &seeds);
      } else if (base.rfind("MANIFEST-", 0) == 0) {
        const uint64_t number = std::stoull(base.substr(9));
        int n = 0;
        for (const std::string& record : Records(fs.get(), path, number)) {
          seeds.Write("version_edit", base + "-" + std::to_string(n++), record);
        }
      }
    }
    Check(db->Close(), "close");
    db.reset();
    round++;
  }
  ApiSeeds(&seeds);
  std::printf("%d seeds written under %s\n", seeds.written(), out.c_str());
  return 0;
}

}  // namespace
}  // namespace synapsed

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: synapsed_fuzz_seeds OUT_DIR (normally fuzz/corpus)\n");
    return 2;
  }
  return synapsed::Main(argv[1]);
}
