// InfoLog: the database's LOG file, notes for people on what the engine
// decided (which I/O engine it runs on and why, background errors).
//
// Open makes dbname/LOG afresh; the previous one becomes LOG.old. The LOG
// is diagnostics, not data: a LOG that cannot be made or written is never
// an error of the database; Log then writes nowhere.
//
// Thread safety: Log may be called from any thread.
#ifndef SYNAPSED_ENGINE_INFO_LOG_H_
#define SYNAPSED_ENGINE_INFO_LOG_H_

#include <memory>
#include <string>

#include "synapsed/file_system.h"
#include "util/mutex.h"

namespace synapsed {

class InfoLog {
 public:
  static std::unique_ptr<InfoLog> Open(FileSystem* fs, const std::string& dbname);
  ~InfoLog();

  // One line: a UTC timestamp, then the printf-formatted message.
  void Log(const char* format, ...) EXCLUDES(mu_) __attribute__((format(printf, 2, 3)));

 private:
  explicit InfoLog(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}
  Mutex mu_;
  std::unique_ptr<WritableFile> file_ GUARDED_BY(mu_);  // null: writes nowhere
};

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_INFO_LOG_H_
