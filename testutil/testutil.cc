#include "testutil/testutil.h"

#include <fcntl.h>
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

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  return *end == '\0' ? n : fallback;
}

void ReportProtocol(int protocol, std::string_view test, std::string_view counts) {
  const char* path = std::getenv("SYNAPSED_PROTOCOL_REPORT");
  if (path == nullptr || *path == '\0') return;
  std::string line = "protocol=" + std::to_string(protocol) + " test=" + std::string(test) + " " +
                     std::string(counts) + "\n";
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "ReportProtocol: cannot open %s\n", path);
    return;
  }
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "ReportProtocol: short write to %s\n", path);
  }
  close(fd);
}

}  // namespace synapsed::test
