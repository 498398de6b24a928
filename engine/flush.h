// Writing a memtable (or any sorted run of internal keys, with range
// tombstones) to a level-0 table, durably: the table file is synced and its
// directory entry synced before the caller may name it in a MANIFEST edit
// (manifest.md, "Ordering rules for durability").
//
// Thread safety: a pure function of its arguments; the iterator is used by
// this call only.
#ifndef SYNAPSED_ENGINE_FLUSH_H_
#define SYNAPSED_ENGINE_FLUSH_H_

#include <string>

#include "engine/version_edit.h"
#include "rangedel/fragmented_range_tombstone_list.h"
#include "sstable/table_builder.h"
#include "synapsed/file_system.h"
#include "util/internal_iterator.h"

namespace synapsed {

// Writes every entry of iter (from its first) and every tombstone of
// `tombstones` (may be null) as table `meta->number` in dbname and fills the
// rest of *meta; the key range and sequences cover the tombstones. With no
// entry and no tombstone it writes no file and leaves meta->file_size 0. On
// any failure the partial file is removed (it was never named by an edit)
// and the error returned.
// REQUIRES: meta->number is a fresh file number; options.file_number and
// options.db_id describe it.
Status WriteLevel0Table(FileSystem* fs, const std::string& dbname,
                        const TableBuilderOptions& options, InternalIterator* iter,
                        const FragmentedRangeTombstoneList* tombstones, FileMetaData* meta,
                        const FileOptions& file_options = FileOptions());

}  // namespace synapsed

#endif  // SYNAPSED_ENGINE_FLUSH_H_
