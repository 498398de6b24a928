#include "sstable/table_reader.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "sstable/block.h"
#include "sstable/block_prefetcher.h"
#include "sstable/bloom_filter.h"
#include "sstable/two_level_iterator.h"
#include "synapsed/cache.h"
#include "util/coding.h"
#include "util/internal_key.h"

namespace synapsed {

namespace {

// What a cached block costs beyond its allocation: the Block object, the heap
// shared_ptr that is the cache's value, and the shared_ptr control block
// (make_shared places the Block inside it). Approximate on purpose: the
// charge only has to keep many small blocks from overrunning the capacity.
constexpr size_t kCachedBlockOverheadBytes =
    sizeof(Block) + sizeof(std::shared_ptr<const Block>) + 2 * sizeof(void*);

// Cache key: varint(cache id) + fixed64(block offset).
constexpr size_t kMaxBlockCacheKeyBytes = kMaxVarint64Bytes + 8;

// The cache's value is a heap shared_ptr: the cache frees it, and the block
// itself goes when the last iterator holding it lets go.
void DeleteCachedBlock(std::string_view /*key*/, void* value) {
  std::unique_ptr<std::shared_ptr<const Block>> owned(
      static_cast<std::shared_ptr<const Block>*>(value));
}

// Where a data block read lands (RandomAccessFile::ReadAligned) before it is
// decoded into its own buffer: this thread's, reused, so a direct read needs
// no bounce buffer and no copy, and the bytes just read are hot when the
// checksum and the decompressor read them. A read larger than
// kMaxReusedBytes gets a buffer of its own, so one huge block does not pin
// its size per thread. The bytes are dead once the block is decoded: the
// scratch is never held across a call that may read again.
class ReadScratch {
 public:
  // Storage for n bytes aligned to `alignment` (a power of two).
  // Throws std::bad_alloc, as a BlockBuffer would.
  ReadScratch(size_t n, size_t alignment) {
    thread_local Buffer reused;
    Buffer& buffer = n <= kMaxReusedBytes ? reused : own_;
    if (buffer.capacity < n || buffer.alignment < alignment) buffer.Allocate(n, alignment);
    data_ = buffer.data.get();
  }
  char* data() const { return data_; }

 private:
  static constexpr size_t kMaxReusedBytes = 256 << 10;
  static constexpr size_t kMinAlignment = 4096;  // any file system's unit here
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  struct Buffer {
    std::unique_ptr<char, Free> data;
    size_t capacity = 0;
    size_t alignment = 0;
    void Allocate(size_t n, size_t align) {
      align = std::max(align, kMinAlignment);
      const size_t cap = (n + align - 1) / align * align;
      data.reset(static_cast<char*>(std::aligned_alloc(align, cap)));
      if (data == nullptr) {
        capacity = alignment = 0;
        throw std::bad_alloc();
      }
      capacity = cap;
      alignment = align;
    }
  };
  Buffer own_;
  char* data_ = nullptr;
};

}  // namespace

namespace {
// True if the block (payload and trailer) lies within [0, limit), computed
// without overflow whatever the (untrusted) handle says.
bool BlockFits(const BlockHandle& h, uint64_t limit) {
  return h.size <= limit && kBlockTrailerBytes <= limit - h.size &&
         h.offset <= limit - h.size - kBlockTrailerBytes;
}
}  // namespace

struct TableReader::Rep {
  std::unique_ptr<RandomAccessFile> file;
  std::string file_name;
  uint64_t file_size = 0;
  Footer footer;
  std::shared_ptr<const Block> index;
  std::string filter_bytes;  // BloomFilterReader points into it
  std::unique_ptr<BloomFilterReader> filter;
  TableProperties props;
  std::shared_ptr<const FragmentedRangeTombstoneList> range_dels;  // null: none
  // Data blocks end where the first metadata block (filter, properties,
  // metaindex) starts: an index entry naming a metadata block, which would
  // verify (it is the real block at that offset), is refused.
  uint64_t data_end = 0;
  Cache* block_cache = nullptr;  // not owned
  uint64_t cache_id = 0;         // this reader's key prefix in block_cache
  // The capacity of the last data block decoded: the size class the next
  // one most likely needs (blocks are cut at about the same size), so its
  // buffer can be taken and prefetched before the read. Only a hint: any
  // thread may set it at any time.
  mutable std::atomic<size_t> data_block_capacity{0};

  Status Corrupt(const std::string& what) const { return Status::Corruption(file_name, what); }

  // Decodes the range deletion block read from `offset`, strictly: every
  // entry is (start, seq > 0, kRangeDeletion) -> end with start < end, in
  // increasing internal key order, entries of one start share their end, and
  // fragments do not overlap.
  Status DecodeRangeDeletions(std::string contents, uint64_t offset) {
    auto corrupt = [&](const char* what) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "range deletion block at offset %" PRIu64 ": %s", offset,
                    what);
      return Corrupt(buf);
    };
    auto block = std::make_shared<const Block>(std::move(contents));
    if (!block->ok()) return corrupt("malformed block");
    std::vector<RangeTombstone> tombstones;
    auto it = Block::NewIterator(block, CompareInternalKeys);
    std::string prev_key;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey k;
      if (!ParseInternalKeyAnyType(it->key(), &k) || k.type != ValueType::kRangeDeletion) {
        return corrupt("entry is not a range tombstone");
      }
      const std::string_view end = it->value();
      if (k.sequence == 0) return corrupt("tombstone with sequence 0");
      if (k.user_key >= end) return corrupt("tombstone with start >= end");
      if (!tombstones.empty()) {
        const RangeTombstone& prev = tombstones.back();
        if (CompareInternalKeys(prev_key, it->key()) >= 0) return corrupt("entries out of order");
        if (k.user_key == prev.start ? end != prev.end : k.user_key < prev.end) {
          return corrupt("fragments overlap");
        }
      }
      prev_key.assign(it->key());
      tombstones.push_back({std::string(k.user_key), std::string(end), k.sequence});
    }
    if (!it->status().ok()) return corrupt("malformed block");
    if (tombstones.empty()) return corrupt("no entries");
    range_dels = std::make_shared<const FragmentedRangeTombstoneList>(tombstones);
    if (range_dels->num_entries() != tombstones.size()) return corrupt("not fragmented");
    return Status::OK();
  }

  std::string_view BlockCacheKey(uint64_t offset, char (&buf)[kMaxBlockCacheKeyBytes]) const {
    char* p = EncodeVarint64(buf, cache_id);
    EncodeFixed64(p, offset);
    return std::string_view(buf, static_cast<size_t>(p + 8 - buf));
  }

  // The block handle of an index value, checked against the data area.
  Status DecodeDataHandle(std::string_view index_value, BlockHandle* handle) const {
    if (!handle->DecodeFrom(&index_value) || !index_value.empty()) {
      return Corrupt("bad block handle in the index");
    }
    if (!BlockFits(*handle, data_end)) return Corrupt("index names a block outside the data area");
    return Status::OK();
  }

  // The data block named by an index value: from the block cache if it is
  // there and use_cache, else from the file, through `prefetcher` when
  // given (then cached, if use_cache, options.fill_cache and the block was
  // verified).
  Status ReadDataBlock(const ReadBlockOptions& options, std::string_view index_value,
                       bool use_cache, std::shared_ptr<const Block>* block,
                       BlockPrefetcher* prefetcher = nullptr) const {
    BlockHandle handle;
    Status s = DecodeDataHandle(index_value, &handle);
    if (!s.ok()) return s;
    return FetchDataBlock(options, handle, use_cache, block, prefetcher);
  }

  // The cached block at handle, or null.
  std::shared_ptr<const Block> CachedBlock(const BlockHandle& handle) const {
    if (block_cache == nullptr) return nullptr;
    char key_buf[kMaxBlockCacheKeyBytes];
    Cache::Handle* h = block_cache->Lookup(BlockCacheKey(handle.offset, key_buf));
    if (h == nullptr) return nullptr;
    // Copy the shared_ptr and unpin at once: the caller's copy keeps the
    // block alive, so the entry stays evictable while the block is used.
    auto block = *static_cast<const std::shared_ptr<const Block>*>(block_cache->Value(h));
    block_cache->Release(h);
    return block;
  }

  // A buffer for the next data block to decode into, taken before its read
  // so it can be prefetched for writing while the device works; empty until
  // a block has been decoded, and after one too large to pool (a block
  // holding one huge value must not make every read take its size).
  BlockBuffer DataBlockDestination() const {
    const size_t capacity = data_block_capacity.load(std::memory_order_relaxed);
    if (capacity == 0 || capacity > BlockBuffer::kMaxPooledCapacity) return BlockBuffer();
    return BlockBuffer(capacity);
  }

  // Verifies and decompresses the raw bytes read for handle into a block
  // (into `dest` when it is of the right size class: see UncompressBlock),
  // and caches it when use_cache, options.fill_cache and it was verified.
  Status MakeDataBlock(const ReadBlockOptions& options, const BlockHandle& handle, bool use_cache,
                       std::string_view raw, BlockBuffer dest,
                       std::shared_ptr<const Block>* block) const {
    BlockBuffer contents = std::move(dest);
    Status s = DecodeBlock(file_name, footer.table_seed, handle, options, raw, &contents);
    if (!s.ok()) return s;
    // Written only when it changes: the hint shares a cache line with what
    // every read of this table reads, and readers on other cores would
    // otherwise lose that line at every block.
    if (data_block_capacity.load(std::memory_order_relaxed) != contents.capacity()) {
      data_block_capacity.store(contents.capacity(), std::memory_order_relaxed);
    }
    auto b = std::make_shared<const Block>(std::move(contents));
    if (!b->ok()) {
      char buf[96];
      std::snprintf(buf, sizeof(buf), "malformed data block at offset %" PRIu64, handle.offset);
      return Corrupt(buf);
    }
    // Only verified blocks go in: the cache serves every later reader,
    // including ones that asked for verification.
    if (use_cache && block_cache != nullptr && options.fill_cache && options.verify_checksum) {
      char key_buf[kMaxBlockCacheKeyBytes];
      const size_t charge = b->allocated_bytes() + kCachedBlockOverheadBytes;
      auto value = std::make_unique<std::shared_ptr<const Block>>(b);
      block_cache->Release(block_cache->Insert(BlockCacheKey(handle.offset, key_buf),
                                               value.release(), charge, &DeleteCachedBlock));
    }
    *block = std::move(b);
    return Status::OK();
  }

  Status FetchDataBlock(const ReadBlockOptions& options, const BlockHandle& handle, bool use_cache,
                        std::shared_ptr<const Block>* block, BlockPrefetcher* prefetcher) const {
    if (use_cache) {
      *block = CachedBlock(handle);
      if (*block != nullptr) return Status::OK();
    }
    // An absurd size is refused (by DecodeBlock, with the block's name)
    // before a buffer that large is made.
    if (handle.size > kMaxUncompressedBlockBytes) {
      std::string none;
      return DecodeBlock(file_name, footer.table_seed, handle, options, &none);
    }
    if (prefetcher != nullptr) {
      std::string raw;
      Status s = prefetcher->Read(handle.offset, BlockReadBytes(handle), &raw);
      if (!s.ok()) return s;
      return MakeDataBlock(options, handle, use_cache, raw, BlockBuffer(), block);
    }
    const size_t n = BlockReadBytes(handle);
    ReadScratch scratch(file->AlignedReadBytes(handle.offset, n), file->read_alignment());
    BlockBuffer dest = DataBlockDestination();
    dest.PrefetchForWrite();
    std::string_view got;
    Status s = file->ReadAligned(handle.offset, n, &got, scratch.data());
    if (!s.ok()) return s;
    return MakeDataBlock(options, handle, use_cache, got, std::move(dest), block);
  }
};

TableReader::TableReader(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
TableReader::~TableReader() = default;

const TableProperties& TableReader::properties() const { return rep_->props; }
const std::string& TableReader::file_name() const { return rep_->file_name; }
const std::shared_ptr<const FragmentedRangeTombstoneList>& TableReader::range_tombstones() const {
  return rep_->range_dels;
}

Status TableReader::Open(const TableReaderOptions& options, std::unique_ptr<RandomAccessFile> file,
                         uint64_t file_size, std::string file_name,
                         std::unique_ptr<TableReader>* reader) {
  auto rep = std::make_shared<Rep>();
  rep->file = std::move(file);
  rep->file_name = std::move(file_name);
  rep->file_size = file_size;
  rep->block_cache = options.block_cache;
  if (file_size < Footer::kEncodedBytes) return rep->Corrupt("too short to be a table");

  char footer_buf[Footer::kEncodedBytes];
  std::string_view footer_bytes;
  Status s = rep->file->Read(file_size - Footer::kEncodedBytes, Footer::kEncodedBytes,
                             &footer_bytes, footer_buf);
  if (!s.ok()) return s;
  if (footer_bytes.size() != Footer::kEncodedBytes) return rep->Corrupt("truncated footer");
  s = rep->footer.DecodeFrom(footer_bytes);
  if (!s.ok()) {
    const std::string what(s.message());
    return s.IsNotSupported() ? Status::NotSupported(rep->file_name, what) : rep->Corrupt(what);
  }
  const uint64_t meta_end = file_size - Footer::kEncodedBytes;
  for (const BlockHandle* h : {&rep->footer.metaindex, &rep->footer.index}) {
    if (!BlockFits(*h, meta_end)) return rep->Corrupt("footer names a block outside the file");
  }
  rep->data_end = std::min(rep->footer.metaindex.offset, rep->footer.index.offset);

  ReadBlockOptions verify;  // metadata blocks are always verified
  std::string contents;
  s = ReadBlock(*rep->file, rep->file_name, rep->footer.table_seed, rep->footer.index, verify,
                &contents);
  if (!s.ok()) return s;
  rep->index = Block::NewIndexBlock(std::move(contents));
  if (!rep->index->ok()) return rep->Corrupt("malformed index block");

  s = ReadBlock(*rep->file, rep->file_name, rep->footer.table_seed, rep->footer.metaindex, verify,
                &contents);
  if (!s.ok()) return s;
  auto meta = std::make_shared<const Block>(std::move(contents));
  auto it = Block::NewIterator(meta, CompareBytes);
  bool have_props = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view v = it->value();
    BlockHandle h;
    if (!h.DecodeFrom(&v) || !v.empty() || !BlockFits(h, meta_end)) {
      return rep->Corrupt("bad handle in the metaindex");
    }
    rep->data_end = std::min(rep->data_end, h.offset);
    if (it->key() == kPropertiesBlockName) {
      std::string props;
      s = ReadBlock(*rep->file, rep->file_name, rep->footer.table_seed, h, verify, &props);
      if (s.ok()) s = rep->props.DecodeBlock(std::move(props));
      if (!s.ok()) return s.IsCorruption() ? rep->Corrupt(std::string(s.message())) : s;
      have_props = true;
    } else if (it->key() == kRangeDeletionBlockName) {
      std::string contents;
      s = ReadBlock(*rep->file, rep->file_name, rep->footer.table_seed, h, verify, &contents);
      if (s.ok()) s = rep->DecodeRangeDeletions(std::move(contents), h.offset);
      if (!s.ok()) return s;
    } else if (it->key() == kFilterBlockName) {
      s = ReadBlock(*rep->file, rep->file_name, rep->footer.table_seed, h, verify,
                    &rep->filter_bytes);
      if (!s.ok()) return s;
      rep->filter = std::make_unique<BloomFilterReader>(rep->filter_bytes);
      if (!rep->filter->valid()) return rep->Corrupt("malformed filter block");
    }
  }
  if (!it->status().ok()) return rep->Corrupt("malformed metaindex block");
  if (!have_props) return rep->Corrupt("no properties block");
  const uint64_t range_del_entries = rep->range_dels ? rep->range_dels->num_entries() : 0;
  if (range_del_entries != rep->props.num_range_deletions) {
    return rep->Corrupt("holds " + std::to_string(range_del_entries) +
                        " range deletion entries, its properties say " +
                        std::to_string(rep->props.num_range_deletions));
  }
  if (options.expected_file_number != 0 && rep->props.file_number != options.expected_file_number) {
    return rep->Corrupt("table was written as file " + std::to_string(rep->props.file_number) +
                        ", not " + std::to_string(options.expected_file_number));
  }
  if (!options.expected_db_id.empty() && rep->props.db_id != options.expected_db_id) {
    return rep->Corrupt("table belongs to another database (db.id " + rep->props.db_id + ")");
  }
  // Taken only once the table is known good: a refused open wastes no id.
  if (rep->block_cache != nullptr) rep->cache_id = rep->block_cache->NewId();
  reader->reset(new TableReader(std::move(rep)));
  return Status::OK();
}

bool TableReader::KeyMayMatch(std::string_view user_key) const {
  return rep_->filter == nullptr || rep_->filter->MayMatch(FilterHash(user_key));
}

Status TableReader::PrepareGet(std::string_view internal_key, SequenceNumber covering,
                               TableLookup* lookup) const {
  *lookup = TableLookup();
  const std::string_view user_key = ExtractUserKey(internal_key);
  if (rep_->range_dels != nullptr) {
    covering = std::max(
        covering, rep_->range_dels->MaxCoveringSequence(user_key, ExtractTag(internal_key) >> 8));
  }
  lookup->covering = covering;
  // No point entry for the key here: a covering tombstone still decides.
  auto no_entry = [&] {
    lookup->done = true;
    lookup->result = covering > 0 ? TableGet::kDeletion : TableGet::kAbsent;
    return Status::OK();
  };
  if (!KeyMayMatch(user_key)) return no_entry();
  Block::Iter index(rep_->index.get(), CompareInternalKeys);
  index.Seek(internal_key);
  if (!index.Valid()) return index.status().ok() ? no_entry() : rep_->Corrupt("bad index block");
  return rep_->DecodeDataHandle(index.value(), &lookup->handle);
}

std::shared_ptr<const Block> TableReader::CachedBlock(const BlockHandle& handle) const {
  return rep_->CachedBlock(handle);
}

Status TableReader::FinishGet(const TableLookup& lookup, std::string_view internal_key,
                              TableGet* result, std::string* value) const {
  if (lookup.done) {
    *result = lookup.result;
    return Status::OK();
  }
  const SequenceNumber covering = lookup.covering;
  *result = covering > 0 ? TableGet::kDeletion : TableGet::kAbsent;  // no entry here
  Block::Iter it(lookup.block.get(), CompareInternalKeys);
  it.Seek(internal_key);
  if (!it.Valid()) return it.status().ok() ? Status::OK() : rep_->Corrupt("bad data block");
  ParsedInternalKey found;
  if (!ParseInternalKey(it.key(), &found)) return rep_->Corrupt("malformed key in a data block");
  if (found.user_key != ExtractUserKey(internal_key)) return Status::OK();
  if (found.type == ValueType::kValue && found.sequence > covering) {
    *result = TableGet::kValue;
    value->assign(it.value());
  } else {
    *result = TableGet::kDeletion;  // a deletion, or a value a range tombstone hides
  }
  return Status::OK();
}

void TableReader::PrepareBlockRead(const BlockHandle& handle, BlockRead* read) const {
  read->handle = handle;
  // An absurd size reads nothing; FinishBlockRead refuses it.
  read->buf = BlockBuffer(handle.size > kMaxUncompressedBlockBytes ? 0 : BlockReadBytes(handle));
  read->req = ReadRequest();
  read->req.file = rep_->file.get();
  read->req.offset = handle.offset;
  read->req.size = read->buf.size();
  read->req.scratch = read->buf.data();
  read->dest = rep_->DataBlockDestination();
}

Status TableReader::FinishBlockRead(const ReadBlockOptions& options, BlockRead* read,
                                    std::shared_ptr<const Block>* block) const {
  if (!read->req.status.ok()) return read->req.status;
  return rep_->MakeDataBlock(options, read->handle, /*use_cache=*/true, read->req.result,
                             std::move(read->dest), block);
}

Status TableReader::Get(const ReadBlockOptions& options, std::string_view internal_key,
                        TableGet* result, std::string* value,
                        SequenceNumber* max_covering_seq) const {
  TableLookup lookup;
  Status s = PrepareGet(internal_key, max_covering_seq != nullptr ? *max_covering_seq : 0, &lookup);
  if (!s.ok()) return s;
  if (max_covering_seq != nullptr) *max_covering_seq = lookup.covering;
  if (!lookup.done && lookup.block == nullptr) {
    s = rep_->FetchDataBlock(options, lookup.handle, /*use_cache=*/true, &lookup.block, nullptr);
    if (!s.ok()) return s;
  }
  return FinishGet(lookup, internal_key, result, value);
}

std::unique_ptr<InternalIterator> TableReader::NewIterator(const ReadBlockOptions& options) const {
  std::shared_ptr<const Rep> rep = rep_;
  // The iterator's own readahead, shared by the copies of the opener.
  std::shared_ptr<BlockPrefetcher> prefetcher;
  if (options.read_queues != nullptr) {
    prefetcher = std::make_shared<BlockPrefetcher>(rep->file.get(), rep->data_end, options);
  }
  return NewTwoLevelIterator(
      Block::NewIterator(rep->index, CompareInternalKeys),
      [rep, options, prefetcher](std::string_view index_value, Status* status) {
        std::shared_ptr<const Block> block;
        *status =
            rep->ReadDataBlock(options, index_value, /*use_cache=*/true, &block, prefetcher.get());
        if (!status->ok()) return std::unique_ptr<InternalIterator>();
        return Block::NewIterator(std::move(block), CompareInternalKeys);
      });
}

Status TableReader::VerifyChecksums() const {
  ReadBlockOptions verify;
  auto index = Block::NewIterator(rep_->index, CompareInternalKeys);
  uint64_t blocks = 0;
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    std::shared_ptr<const Block> block;
    Status s = rep_->ReadDataBlock(verify, index->value(), /*use_cache=*/false, &block);
    if (!s.ok()) return s;
    // Walk the entries too: a block can verify yet be malformed.
    auto it = Block::NewIterator(block, CompareInternalKeys);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
    if (!it->status().ok()) return rep_->Corrupt("malformed data block");
    blocks++;
  }
  if (!index->status().ok()) return rep_->Corrupt("malformed index block");
  if (blocks != rep_->props.num_data_blocks) {
    return rep_->Corrupt("index names " + std::to_string(blocks) + " data blocks, properties say " +
                         std::to_string(rep_->props.num_data_blocks));
  }
  return Status::OK();
}

}  // namespace synapsed
