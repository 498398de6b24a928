// Smoke test of an installed synapsed: open, write, read back, close,
// destroy, through the public headers only. Exits 0 only if every step works.
//
// Usage: consumer [db_dir]   (default: a fresh directory under the temp dir)
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "synapsed/db.h"

namespace {

bool Check(const synapsed::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "consumer: %s failed: %s\n", what, s.ToString().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1]
               : (std::filesystem::temp_directory_path() /
                  ("synapsed_consumer_" + std::to_string(::getpid())))
                     .string();

  synapsed::Options options;
  options.create_if_missing = true;
  std::unique_ptr<synapsed::DB> db;
  if (!Check(synapsed::DB::Open(options, path, &db), "Open")) return 1;
  if (!Check(db->Put(synapsed::WriteOptions(), "hello", "world"), "Put")) return 1;

  std::string value;
  if (!Check(db->Get(synapsed::ReadOptions(), "hello", &value), "Get")) return 1;
  if (value != "world") {
    std::fprintf(stderr, "consumer: Get returned \"%s\", want \"world\"\n", value.c_str());
    return 1;
  }
  if (!Check(db->Close(), "Close")) return 1;
  db.reset();

  if (!Check(synapsed::DestroyDB(path, options), "DestroyDB")) return 1;
  std::printf("consumer: ok\n");
  return 0;
}
