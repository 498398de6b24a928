// kill_writer DB_PATH START_INDEX: the child of kill_test. Opens the database
// and writes batch START_INDEX, START_INDEX+1, ... forever, printing each
// index to stdout once the write is acknowledged, until it is killed.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "synapsed/db.h"
#include "tests/kill_workload.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kill_writer DB_PATH START_INDEX\n");
    return 2;
  }
  synapsed::Options options;
  options.create_if_missing = true;
  std::unique_ptr<synapsed::DB> db;
  synapsed::Status s = synapsed::DB::Open(options, argv[1], &db);
  if (!s.ok()) {
    std::fprintf(stderr, "kill_writer: open: %s\n", s.ToString().c_str());
    return 1;
  }
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  std::printf("open\n");
  for (uint64_t i = std::strtoull(argv[2], nullptr, 10);; i++) {
    synapsed::WriteBatch batch = synapsed::test::KillWorkloadBatch(i);
    synapsed::WriteOptions wo;
    wo.sync = i % 17 == 0;
    s = db->Write(wo, &batch);
    if (!s.ok()) {
      std::fprintf(stderr, "kill_writer: write %llu: %s\n", static_cast<unsigned long long>(i),
                   s.ToString().c_str());
      return 1;
    }
    std::printf("%llu\n", static_cast<unsigned long long>(i));
  }
}
