#include "engine/filename.h"

#include <charconv>
#include <cstdio>

namespace synapsed {

namespace {
std::string NumberedName(const std::string& dbname, uint64_t number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return dbname + buf;
}
}  // namespace

std::string LockFileName(const std::string& dbname) { return dbname + "/LOCK"; }
std::string IdentityFileName(const std::string& dbname) { return dbname + "/IDENTITY"; }
std::string LogFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "log");
}
std::string TempFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "dbtmp");
}
std::string TableFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "sst");
}
std::string ManifestFileName(const std::string& dbname, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06llu", static_cast<unsigned long long>(number));
  return dbname + buf;
}
std::string CurrentFileName(const std::string& dbname) { return dbname + "/CURRENT"; }
std::string InfoLogFileName(const std::string& dbname) { return dbname + "/LOG"; }
std::string LostDirName(const std::string& dbname) { return dbname + "/lost"; }

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLock;
    return true;
  }
  if (name == "IDENTITY") {
    *number = 0;
    *type = FileType::kIdentity;
    return true;
  }
  if (name == "LOG" || name == "LOG.old") {
    *number = 0;
    *type = FileType::kInfoLog;
    return true;
  }
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrent;
    return true;
  }
  constexpr std::string_view kManifestPrefix = "MANIFEST-";
  if (name.substr(0, kManifestPrefix.size()) == kManifestPrefix) {
    std::string_view digits = name.substr(kManifestPrefix.size());
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return false;
    *number = n;
    *type = FileType::kManifest;
    return true;
  }
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + dot, n);
  if (ec != std::errc() || end != name.data() + dot) return false;
  std::string_view suffix = name.substr(dot + 1);
  if (suffix == "log") {
    *type = FileType::kLog;
  } else if (suffix == "dbtmp") {
    *type = FileType::kTemp;
  } else if (suffix == "sst") {
    *type = FileType::kTable;
  } else {
    return false;
  }
  *number = n;
  return true;
}

}  // namespace synapsed
