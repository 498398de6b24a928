#include "testutil/ordering_checker.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "engine/filename.h"
#include "engine/version_edit.h"
#include "wal/log_reader.h"

namespace synapsed::test {

namespace {

using Operation = FaultInjectionFileSystem::Operation;
using OpKind = FaultInjectionFileSystem::OpKind;

// "/db//x/./y" -> "/db/x/y", as the file system resolves paths.
std::string Normalize(const std::string& path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (!part.empty() && part != ".") out.append("/").append(part);
    start = end + 1;
  }
  return out.empty() ? "/" : out;
}

// The last component of a normalized path, if its directory is dir.
bool NameIn(const std::string& dir, const std::string& path, std::string* name) {
  const std::string p = Normalize(path);
  const size_t slash = p.rfind('/');
  if ((slash == 0 ? std::string("/") : p.substr(0, slash)) != dir) return false;
  *name = p.substr(slash + 1);
  return true;
}

// The durable bytes of a MANIFEST, for the log reader.
class StringFile final : public SequentialFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    n = std::min(n, data_.size() - pos_);
    std::memcpy(scratch, data_.data() + pos_, n);
    *result = std::string_view(scratch, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += std::min<uint64_t>(n, data_.size() - pos_);
    return Status::OK();
  }

 private:
  const std::string data_;
  size_t pos_ = 0;
};

}  // namespace

struct OrderingChecker::DurableView {
  std::map<std::string, FaultInjectionFileSystem::DurableFile> files;
  uint64_t manifest_number = 0;
  uint64_t log_number = 0;
  std::map<uint64_t, uint64_t> live_tables;  // number -> recorded size
};

std::shared_ptr<OrderingChecker> OrderingChecker::Attach(FaultInjectionFileSystem* fs,
                                                         std::string dbname) {
  auto checker = std::make_shared<OrderingChecker>(fs, std::move(dbname));
  fs->SetOperationObserver([checker](const Operation& op) { checker->OnOperation(op); });
  return checker;
}

void OrderingChecker::Detach(FaultInjectionFileSystem* fs) { fs->SetOperationObserver(nullptr); }

OrderingChecker::OrderingChecker(FaultInjectionFileSystem* fs, std::string dbname)
    : fs_(fs), dbname_(Normalize(dbname)) {}

void OrderingChecker::OnOperation(const Operation& op) {
  std::string name;
  const bool in_db = NameIn(dbname_, op.path, &name);
  if (op.phase == Operation::Phase::kBefore) {
    // Removals are checked before they run: the file is still there.
    if (op.kind == OpKind::kRemove && !op.is_dir && in_db) {
      CheckRemoval(op.path, "before remove " + op.path);
    } else if (op.kind == OpKind::kRename && in_db) {
      // A rename out of the directory (or onto another name) removes the
      // source name; a temp file renamed over CURRENT is the switch itself.
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) && type != FileType::kTemp) {
        CheckRemoval(op.path, "before rename " + op.path + " to " + op.target);
      }
    }
    return;
  }
  if (!op.status.ok()) return;  // a failed call changed nothing (or crashed)
  uint64_t number;
  FileType type;
  if (op.kind == OpKind::kSync && in_db && ParseFileName(name, &number, &type) &&
      type == FileType::kManifest) {
    CheckDurableState("after sync " + op.path);
  } else if (op.kind == OpKind::kSyncDir && Normalize(op.path) == dbname_) {
    CheckDurableState("after syncdir " + op.path);
  }
}

bool OrderingChecker::ReadView(const std::string& context, DurableView* view) {
  Status s = fs_->ReadDurableDir(dbname_, {"CURRENT", "MANIFEST-"}, &view->files);
  if (s.IsNotFound()) return false;  // the directory itself is not durable yet
  if (!s.ok()) {
    Fail(context + ": reading the durable state: " + s.ToString());
    return false;
  }
  auto current = view->files.find("CURRENT");
  if (current == view->files.end()) return false;  // creation not durable yet
  const std::string& text = current->second.contents;
  uint64_t m = 0;
  FileType type;
  if (text.empty() || text.back() != '\n' ||
      !ParseFileName(text.substr(0, text.size() - 1), &m, &type) || type != FileType::kManifest) {
    Fail(context + ": durable CURRENT holds \"" + text + "\", not a MANIFEST name");
    return false;
  }
  const std::string manifest = text.substr(0, text.size() - 1);
  auto mf = view->files.find(manifest);
  if (mf == view->files.end()) {
    Fail(context + ": durable CURRENT names " + manifest + ", whose entry is not durable");
    return false;
  }
  view->manifest_number = m;
  {
    // Most checks see the MANIFEST of the check before: decode it once.
    MutexLock l(&mu_);
    if (cached_manifest_ == mf->second.contents && cached_number_ == m) {
      view->log_number = cached_log_number_;
      view->live_tables = cached_live_tables_;
      return true;
    }
  }
  // Torn tails are fine (an unsynced last edit nothing acted on); only
  // intact records count.
  wal::Reader reader(std::make_unique<StringFile>(mf->second.contents), manifest, m, nullptr);
  std::string_view record;
  std::string scratch;
  int records = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) {
      Fail(context + ": durable " + manifest + " record " + std::to_string(records) + ": " +
           s.ToString());
      return false;
    }
    if (edit.has_log_number()) view->log_number = edit.log_number();
    for (const auto& [level, n] : edit.deleted_files()) view->live_tables.erase(n);
    for (const auto& [level, f] : edit.new_files()) view->live_tables[f.number] = f.file_size;
    records++;
  }
  if (records == 0) {
    Fail(context + ": durable CURRENT names " + manifest + ", whose snapshot is not durable");
    return false;
  }
  MutexLock l(&mu_);
  cached_manifest_ = mf->second.contents;
  cached_number_ = m;
  cached_log_number_ = view->log_number;
  cached_live_tables_ = view->live_tables;
  return true;
}

void OrderingChecker::CheckDurableState(const std::string& after) {
  Count();
  DurableView view;
  if (!ReadView(after, &view)) return;
  const std::string manifest = ManifestFileName("", view.manifest_number).substr(1);
  for (const auto& [number, size] : view.live_tables) {
    const std::string table = TableFileName("", number).substr(1);
    auto it = view.files.find(table);
    if (it == view.files.end()) {
      Fail(after + ": durable " + manifest + " names " + table +
           ", whose directory entry is not durable");
    } else if (it->second.size != size) {
      Fail(after + ": durable " + manifest + " names " + table + " of " + std::to_string(size) +
           " bytes; " + std::to_string(it->second.size) + " are durable");
    }
  }
  const std::string log = LogFileName("", view.log_number).substr(1);
  if (view.log_number != 0 && view.files.count(log) == 0) {
    Fail(after + ": durable " + manifest + " needs logs from " + log +
         ", whose directory entry is not durable");
  }
}

void OrderingChecker::CheckRemoval(const std::string& path, const std::string& context) {
  std::string name;
  uint64_t number;
  FileType type;
  if (!NameIn(dbname_, path, &name) || !ParseFileName(name, &number, &type)) return;
  if (type != FileType::kLog && type != FileType::kTable && type != FileType::kManifest) return;
  // A removal of a missing file removes nothing (a call the engine makes
  // after a simulated crash, say), and an empty log holds nothing to lose.
  uint64_t size = 0;
  if (!fs_->GetFileSize(path, &size).ok() || (type == FileType::kLog && size == 0)) return;
  Count();
  DurableView view;
  if (!ReadView(context, &view)) return;
  if (type == FileType::kLog && number >= view.log_number) {
    Fail(context + ": the durable " + ManifestFileName("", view.manifest_number).substr(1) +
         " still needs logs from " + LogFileName("", view.log_number).substr(1));
  } else if (type == FileType::kTable && view.live_tables.count(number) != 0) {
    Fail(context + ": the durable " + ManifestFileName("", view.manifest_number).substr(1) +
         " still names it");
  } else if (type == FileType::kManifest && number == view.manifest_number) {
    Fail(context + ": durable CURRENT still names it");
  }
}

void OrderingChecker::Fail(std::string message) {
  MutexLock l(&mu_);
  violations_.push_back(std::move(message));
}

void OrderingChecker::Count() {
  MutexLock l(&mu_);
  checks_++;
}

std::vector<std::string> OrderingChecker::violations() const {
  MutexLock l(&mu_);
  return violations_;
}

uint64_t OrderingChecker::checks() const {
  MutexLock l(&mu_);
  return checks_;
}

}  // namespace synapsed::test
