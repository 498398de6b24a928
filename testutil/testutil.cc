#include "testutil/testutil.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace synapsed::test {

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("TEST_TMPDIR");
  std::string root = (base && *base) ? base : "/tmp";
  path_ = root + "/" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RandomBytes(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (size_t i = 0; i < len; i++) s[i] = static_cast<char>(rnd->Next() & 0xff);
  return s;
}

std::string NumberKey(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%016llx", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace synapsed::test
