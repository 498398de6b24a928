#include "engine/info_log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "engine/filename.h"

namespace synapsed {

std::unique_ptr<InfoLog> InfoLog::Open(FileSystem* fs, const std::string& dbname) {
  const std::string path = InfoLogFileName(dbname);
  if (fs->FileExists(path).ok()) {
    fs->RenameFile(path, dbname + "/LOG.old").PermitUncheckedError();
  }
  std::unique_ptr<WritableFile> file;
  if (!fs->NewWritableFile(path, &file).ok()) file.reset();
  return std::unique_ptr<InfoLog>(new InfoLog(std::move(file)));
}

InfoLog::~InfoLog() {
  MutexLock l(&mu_);
  if (file_ != nullptr) file_->Close().PermitUncheckedError();
}

void InfoLog::Log(const char* format, ...) {
  char line[1024];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm t{};
  gmtime_r(&now.tv_sec, &t);
  int n =
      std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", t.tm_year + 1900,
                    t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, now.tv_nsec / 1000);
  va_list ap;
  va_start(ap, format);
  const int m = std::vsnprintf(line + n, sizeof(line) - static_cast<size_t>(n) - 1, format, ap);
  va_end(ap);
  n = m < 0 ? n : std::min<int>(n + m, static_cast<int>(sizeof(line)) - 2);
  line[n++] = '\n';
  MutexLock l(&mu_);
  if (file_ == nullptr) return;
  // A LOG that fails stops being written; the database does not care.
  if (!file_->Append(std::string_view(line, static_cast<size_t>(n))).ok() || !file_->Flush().ok()) {
    file_.reset();
  }
}

}  // namespace synapsed
