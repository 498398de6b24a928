#include "engine/flush.h"

#include "engine/filename.h"
#include "util/internal_key.h"

namespace synapsed {

Status WriteLevel0Table(FileSystem* fs, const std::string& dbname,
                        const TableBuilderOptions& options, InternalIterator* iter,
                        const FragmentedRangeTombstoneList* tombstones, FileMetaData* meta,
                        const FileOptions& file_options) {
  meta->file_size = 0;
  iter->SeekToFirst();
  const bool no_tombstones = tombstones == nullptr || tombstones->empty();
  if (!iter->Valid() && (no_tombstones || !iter->status().ok())) return iter->status();

  const std::string path = TableFileName(dbname, meta->number);
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFileWithOptions(path, file_options, &file);
  if (!s.ok()) return s;
  TableBuilder builder(options, file.get());
  for (; iter->Valid(); iter->Next()) builder.Add(iter->key(), iter->value());
  if (!no_tombstones) builder.AddRangeTombstones(*tombstones);
  s = iter->status();
  if (s.ok()) s = builder.Finish();
  // Data, then the directory entry: both durable before any edit names it.
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (s.ok()) s = fs->SyncDir(dbname);
  if (!s.ok()) {
    file.reset();
    fs->RemoveFile(path).PermitUncheckedError();  // unnamed: nothing depends on it
    return s;
  }
  const TableProperties& p = builder.properties();
  meta->file_size = builder.file_size();
  meta->smallest = p.smallest_key;
  meta->largest = p.largest_key;
  meta->smallest_seqno = p.smallest_seqno;
  meta->largest_seqno = p.largest_seqno;
  return Status::OK();
}

}  // namespace synapsed
