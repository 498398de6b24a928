#include "cache/table_cache.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <limits>
#include <memory>
#include <utility>

#include "util/coding.h"

namespace synapsed {

namespace {

using ReaderRef = std::shared_ptr<const TableReader>;

// engine/filename.h's TableFileName, which this module cannot call (the
// engine depends on the cache module, not the other way round).
std::string TableFileName(const std::string& dbname, uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06llu.sst", static_cast<unsigned long long>(number));
  return dbname + buf;
}

void DeleteReader(std::string_view /*key*/, void* value) {
  std::unique_ptr<ReaderRef> owned(static_cast<ReaderRef*>(value));
}

// Shards split the count evenly, so they only pay off when each still holds
// a useful number of tables: up to 16 shards of >= 64 tables each (8 for the
// default 1000), one shard for small limits, which then stay exact.
int ShardBits(int max_open_files) {
  int bits = 0;
  while (bits < 4 && (max_open_files >> (bits + 1)) >= 64) bits++;
  return bits;
}

// The cache's capacity for a max_open_files (< 0: no limit).
int OpenLimit(int max_open_files) {
  return max_open_files < 0 ? std::numeric_limits<int>::max() : std::max(max_open_files, 1);
}

// The iterator NewIterator returns when the table cannot be opened.
class ErrorIterator final : public InternalIterator {
 public:
  explicit ErrorIterator(Status status) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view /*target*/) override {}
  void SeekForPrev(std::string_view /*target*/) override {}
  void Next() override { assert(false); }
  void Prev() override { assert(false); }
  std::string_view key() const override {
    assert(false);
    return {};
  }
  std::string_view value() const override {
    assert(false);
    return {};
  }
  Status status() const override { return status_; }

 private:
  const Status status_;
};

}  // namespace

TableCache::TableCache(std::shared_ptr<FileSystem> fs, std::string dbname, std::string db_id,
                       Cache* block_cache, int max_open_files, FileOptions file_options)
    : fs_(std::move(fs)),
      file_options_(file_options),
      dbname_(std::move(dbname)),
      db_id_(std::move(db_id)),
      block_cache_(block_cache),
      keep_all_open_(max_open_files < 0),
      cache_(NewLRUCache(static_cast<size_t>(OpenLimit(max_open_files)),
                         ShardBits(OpenLimit(max_open_files)))) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(uint64_t number, uint64_t file_size, ReaderRef* reader,
                             const TableSlot* slot) {
  if (keep_all_open_ && slot != nullptr) {
    if (const ReaderRef* kept = slot->reader_.load(std::memory_order_acquire)) {
      *reader = *kept;
      return Status::OK();
    }
    Status s = FindTable(number, file_size, reader);
    if (s.ok()) slot->Fill(*reader);
    return s;
  }
  char key_buf[8];
  EncodeFixed64(key_buf, number);
  const std::string_view key(key_buf, sizeof(key_buf));
  if (Cache::Handle* h = cache_->Lookup(key)) {
    // Copy and unpin at once: the copy keeps the reader alive, and the entry
    // stays evictable, so max_open_files bounds the cache, not its users.
    *reader = *static_cast<const ReaderRef*>(cache_->Value(h));
    cache_->Release(h);
    return Status::OK();
  }

  // Opened outside any lock: a slow open of one table does not hold up
  // lookups of others.
  const std::string file_name = TableFileName(dbname_, number);
  std::unique_ptr<RandomAccessFile> file;
  Status s = fs_->NewRandomAccessFileWithOptions(file_name, file_options_, &file);
  if (!s.ok()) return s;
  TableReaderOptions options;
  options.expected_file_number = number;
  options.expected_db_id = db_id_;
  options.block_cache = block_cache_;
  std::unique_ptr<TableReader> opened;
  s = TableReader::Open(options, std::move(file), file_size, file_name, &opened);
  if (!s.ok()) return s;

  auto value = std::make_unique<ReaderRef>(std::move(opened));
  *reader = *value;
  cache_->Release(cache_->Insert(key, value.release(), 1, &DeleteReader));
  return Status::OK();
}

Status TableCache::Get(const ReadBlockOptions& options, uint64_t number, uint64_t file_size,
                       std::string_view internal_key, TableGet* result, std::string* value,
                       SequenceNumber* max_covering_seq, const TableSlot* slot) {
  // The slot holds the reader for as long as the caller's version names
  // the table: no reference of our own is needed.
  if (keep_all_open_ && slot != nullptr) {
    if (const TableReader* kept = slot->get()) {
      return kept->Get(options, internal_key, result, value, max_covering_seq);
    }
  }
  ReaderRef reader;
  Status s = FindTable(number, file_size, &reader, slot);
  if (!s.ok()) return s;
  return reader->Get(options, internal_key, result, value, max_covering_seq);
}

std::unique_ptr<InternalIterator> TableCache::NewIterator(const ReadBlockOptions& options,
                                                          uint64_t number, uint64_t file_size,
                                                          const TableSlot* slot) {
  ReaderRef reader;
  Status s = FindTable(number, file_size, &reader, slot);
  if (!s.ok()) return std::make_unique<ErrorIterator>(std::move(s));
  // The iterator shares the reader's state, so `reader` may go out of scope.
  return reader->NewIterator(options);
}

void TableCache::Evict(uint64_t number) {
  char key_buf[8];
  EncodeFixed64(key_buf, number);
  cache_->Erase(std::string_view(key_buf, sizeof(key_buf)));
}

uint64_t TableCache::open_tables() const { return cache_->GetStats().entries; }

}  // namespace synapsed
