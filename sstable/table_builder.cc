// Table encoding (docs/format/sstable.md):
//   table  := data_block* filter_block? range_deletion_block? properties_block
//             metaindex_block index_block footer
//   range_deletion_block entries: (start, seq, kRangeDeletion) -> end, one per
//             (fragment, sequence), fragments sorted and disjoint
//   stored_block := payload type:u8 checksum:u32
//   footer := metaindex_handle index_handle table_seed:u64 format_version:u32
//             footer_checksum:u32 magic:u64
#include "sstable/table_builder.h"

#include <algorithm>
#include <chrono>

#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed {

namespace {

std::string RandomBytes(size_t n) {
  std::string s;
  while (s.size() < n) {
    const uint64_t r = RandomUnique64();
    s.append(reinterpret_cast<const char*>(&r), std::min(sizeof(r), n - s.size()));
  }
  return s;
}

}  // namespace

std::string FindShortSeparator(std::string_view a, std::string_view b) {
  const std::string_view ua = ExtractUserKey(a), ub = ExtractUserKey(b);
  size_t common = 0;
  const size_t max = std::min(ua.size(), ub.size());
  while (common < max && ua[common] == ub[common]) common++;
  if (common < max) {
    const auto byte = static_cast<uint8_t>(ua[common]);
    if (byte < 0xff && byte + 1 < static_cast<uint8_t>(ub[common])) {
      // ua[0..common] with its next byte bumped is > ua and < ub.
      std::string s(ua.substr(0, common + 1));
      s.back() = static_cast<char>(byte + 1);
      AppendInternalKey(&s, "", kMaxSequenceNumber, kValueTypeForSeek);
      return s;
    }
  }
  return std::string(a);
}

std::string FindShortSuccessor(std::string_view a) {
  const std::string_view ua = ExtractUserKey(a);
  for (size_t i = 0; i < ua.size(); i++) {
    const auto byte = static_cast<uint8_t>(ua[i]);
    if (byte != 0xff) {
      std::string s(ua.substr(0, i + 1));
      s.back() = static_cast<char>(byte + 1);
      AppendInternalKey(&s, "", kMaxSequenceNumber, kValueTypeForSeek);
      return s;
    }
  }
  return std::string(a);  // all 0xff: keep it whole
}

TableBuilder::TableBuilder(const TableBuilderOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      table_seed_(RandomUnique64()),
      data_block_(options.block_restart_interval),
      index_block_(1) {
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(options_.bloom_bits_per_key);
  }
  props_.compression = static_cast<uint64_t>(options_.compression);
  props_.filter_bits_per_key = options_.bloom_bits_per_key > 0 ? options_.bloom_bits_per_key : 0;
  props_.file_number = options_.file_number;
  props_.db_id = options_.db_id;
  props_.unique_id = RandomBytes(16);
  props_.creation_time =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(std::string_view key, std::string_view value) {
  if (!status_.ok() || finished_) return;
  ParsedInternalKey ikey;
  if (!ParseInternalKey(key, &ikey)) {
    status_ = Status::InvalidArgument("table builder", "malformed internal key");
    return;
  }
  if (props_.num_entries > 0 && CompareInternalKeys(key, last_key_) <= 0) {
    status_ = Status::InvalidArgument("table builder", "keys out of order");
    return;
  }
  if (pending_index_) {
    AddIndexEntry(FindShortSeparator(last_key_, key));
  }
  if (filter_) filter_->AddHash(FilterHash(ikey.user_key));
  if (props_.num_entries == 0) {
    props_.smallest_key.assign(key);
    props_.smallest_seqno = props_.largest_seqno = ikey.sequence;
  }
  props_.smallest_seqno = std::min(props_.smallest_seqno, ikey.sequence);
  props_.largest_seqno = std::max(props_.largest_seqno, ikey.sequence);
  props_.num_entries++;
  if (ikey.type == ValueType::kDeletion) props_.num_deletions++;
  props_.raw_key_bytes += key.size();
  props_.raw_value_bytes += value.size();
  last_key_.assign(key);

  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::AddRangeTombstone(std::string_view start, std::string_view end,
                                     SequenceNumber seq) {
  if (!status_.ok() || finished_) return;
  if (start >= end || seq > kMaxSequenceNumber) {
    status_ = Status::InvalidArgument("table builder", "empty range tombstone or bad sequence");
    return;
  }
  range_tombstones_.push_back({std::string(start), std::string(end), seq});
}

void TableBuilder::AddRangeTombstones(const FragmentedRangeTombstoneList& list) {
  for (size_t i = 0; i < list.num_fragments(); i++) {
    const auto f = list.fragment(i);
    for (SequenceNumber seq : f.seqs) AddRangeTombstone(f.start, f.end, seq);
  }
}

BlockHandle TableBuilder::WriteRangeDeletions(const FragmentedRangeTombstoneList& list) {
  BlockBuilder block(options_.block_restart_interval);
  std::string key;
  for (size_t i = 0; i < list.num_fragments(); i++) {
    const auto f = list.fragment(i);
    for (SequenceNumber seq : f.seqs) {
      key.clear();
      AppendInternalKey(&key, f.start, seq, ValueType::kRangeDeletion);
      block.Add(key, f.end);
    }
  }
  props_.num_range_deletions = list.num_entries();
  // The first entry is the smallest tombstone key; the sentinel of the
  // largest end sorts below every entry of that end (see the header).
  const std::string smallest = list.SmallestKey();
  const std::string largest = list.LargestKey();
  if (props_.num_entries == 0) {
    props_.smallest_key = smallest;
    props_.largest_key = largest;
    props_.smallest_seqno = list.smallest_seq();
    props_.largest_seqno = list.largest_seq();
  } else {
    if (CompareInternalKeys(smallest, props_.smallest_key) < 0) props_.smallest_key = smallest;
    if (CompareInternalKeys(largest, props_.largest_key) > 0) props_.largest_key = largest;
    props_.smallest_seqno = std::min(props_.smallest_seqno, list.smallest_seq());
    props_.largest_seqno = std::max(props_.largest_seqno, list.largest_seq());
  }
  const std::string_view contents = block.Finish();
  if (contents.size() > kMaxUncompressedBlockBytes) {
    // A reader would refuse the block; refuse the table instead.
    status_ = Status::NotSupported(
        "table builder",
        "range deletion block over " + std::to_string(kMaxUncompressedBlockBytes) + " bytes");
    return BlockHandle();
  }
  return WriteBlock(contents, false);
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  pending_handle_ = WriteBlock(data_block_.Finish(), true);
  data_block_.Reset();
  pending_index_ = true;
  props_.num_data_blocks++;
}

void TableBuilder::AddIndexEntry(std::string_view separator) {
  std::string handle;
  pending_handle_.EncodeTo(&handle);
  index_block_.Add(separator, handle);
  pending_index_ = false;
}

BlockHandle TableBuilder::WriteBlock(std::string_view contents, bool compress) {
  BlockHandle handle;
  // After a failed append the file's tail is unknown: write nothing more, so
  // a later successful append cannot overwrite status_ and hide the error.
  if (!status_.ok()) return handle;
  handle.offset = offset_;
  std::string_view payload = contents;
  BlockCompression type = BlockCompression::kNone;
  if (compress &&
      CompressBlock(options_.compression, options_.zstd_level, contents, &compressed_)) {
    payload = compressed_;
    type = options_.compression;
  }
  handle.size = payload.size();
  std::string trailer;
  AppendBlockTrailer(payload, type, table_seed_, handle.offset, &trailer);
  status_ = file_->Append(payload);
  if (status_.ok()) status_ = file_->Append(trailer);
  if (status_.ok()) offset_ += payload.size() + trailer.size();
  return handle;
}

Status TableBuilder::Finish() {
  if (finished_) return Status::InvalidArgument("table builder", "finished twice");
  FlushDataBlock();
  finished_ = true;
  if (!status_.ok()) return status_;
  if (pending_index_) AddIndexEntry(FindShortSuccessor(last_key_));
  props_.largest_key = last_key_;

  BlockBuilder meta(1);  // metaindex: name -> handle, sorted by name
  std::string handle_bytes;
  if (filter_) {
    const std::string filter = filter_->Finish();
    BlockHandle h = WriteBlock(filter, false);
    h.EncodeTo(&handle_bytes);
    meta.Add(kFilterBlockName, handle_bytes);
  }
  // Written before the properties, which it completes; named after them.
  BlockHandle range_del_handle;
  bool have_range_dels = false;
  if (!range_tombstones_.empty()) {
    const FragmentedRangeTombstoneList list(range_tombstones_);
    range_tombstones_.clear();
    range_del_handle = WriteRangeDeletions(list);
    have_range_dels = true;
  }
  const std::string props = props_.EncodeBlock();
  BlockHandle props_handle = WriteBlock(props, false);
  handle_bytes.clear();
  props_handle.EncodeTo(&handle_bytes);
  meta.Add(kPropertiesBlockName, handle_bytes);
  if (have_range_dels) {
    handle_bytes.clear();
    range_del_handle.EncodeTo(&handle_bytes);
    meta.Add(kRangeDeletionBlockName, handle_bytes);
  }

  Footer footer;
  footer.table_seed = table_seed_;
  footer.metaindex = WriteBlock(meta.Finish(), false);
  footer.index = WriteBlock(index_block_.Finish(), false);
  if (!status_.ok()) return status_;
  std::string footer_bytes;
  footer.EncodeTo(&footer_bytes);
  status_ = file_->Append(footer_bytes);
  if (status_.ok()) offset_ += footer_bytes.size();
  if (status_.ok()) status_ = file_->Flush();
  return status_;
}

}  // namespace synapsed
