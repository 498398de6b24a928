// Log file grammar (docs/format/wal.md is the full specification):
//
//   log      := block* partial_block?
//   block    := (fragment)* padding?                   exactly kBlockSize = 32768 bytes
//   fragment := checksum:u32le length:u16le type:u8 payload[length]
//   padding  := 0x00{0..6}     when fewer than 7 bytes are left in a block
//   type     := 1 kFull | 2 kFirst | 3 kMiddle | 4 kLast        (0 = zeroed, never written)
//   checksum := Checksum32(type . payload, seed = log_number)   (util/hash.h)
//   record   := kFull | kFirst kMiddle* kLast                  (payload = concatenation)
//
// A fragment never crosses a block boundary; the payload is opaque here (the
// engine's WAL payload is a write batch, docs/format/write_batch.md).
#include "wal/log_writer.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "util/coding.h"
#include "util/hash.h"

namespace synapsed::wal {

Writer::Writer(std::unique_ptr<WritableFile> dest, uint64_t log_number, uint64_t initial_offset)
    : dest_(std::move(dest)),
      log_number_(log_number),
      file_size_(initial_offset),
      block_offset_(initial_offset % kBlockSize) {
  assert(dest_ != nullptr);
  // buf_ grows to the largest fragment written (at most a block), not a
  // whole block up front: most logs hold small records, and a database
  // opens a WAL and a MANIFEST writer each time.
}

Writer::~Writer() = default;

Status Writer::AddRecord(std::string_view payload) {
  if (!error_.ok()) return error_;
  if (closed_) return Status::InvalidArgument("wal writer: AddRecord after Close");

  // Emit at least one fragment even for an empty payload: an empty record is
  // a kFull fragment of length 0.
  bool first = true;
  do {
    size_t avail = kBlockSize - block_offset_;
    if (avail < kHeaderSize) avail = kBlockSize;  // AppendFragment pads to the next block
    const size_t n = std::min(payload.size(), avail - kHeaderSize);
    const bool last = (n == payload.size());
    FragmentType type = first && last ? FragmentType::kFull
                        : first       ? FragmentType::kFirst
                        : last        ? FragmentType::kLast
                                      : FragmentType::kMiddle;
    Status s = AppendFragment(type, payload.substr(0, n));
    if (!s.ok()) return s;
    payload.remove_prefix(n);
    first = false;
  } while (!payload.empty());

  Status s = dest_->Flush();
  if (!s.ok()) error_ = s;
  return s;
}

Status Writer::AppendFragment(FragmentType type, std::string_view payload) {
  buf_.clear();
  size_t padding = 0;
  if (kBlockSize - block_offset_ < kHeaderSize) {
    // Too little room for a header: the reader skips these bytes as padding.
    padding = kBlockSize - block_offset_;
    buf_.append(padding, '\0');
  }
  assert(payload.size() <= kMaxFragmentPayload);
  const size_t header_at = buf_.size();
  buf_.resize(header_at + kHeaderSize);
  buf_.append(payload);
  char* header = buf_.data() + header_at;
  EncodeFixed16(header + 4, static_cast<uint16_t>(payload.size()));
  header[6] = static_cast<char>(type);
  // The checksum covers the type byte and the payload, which sit next to each
  // other in buf_; the length is covered implicitly (a wrong length changes
  // which bytes are hashed).
  const std::string_view covered(header + 6, 1 + payload.size());
  EncodeFixed32(header, Checksum32(covered, log_number_));

  Status s = dest_->Append(buf_);
  if (!s.ok()) {
    error_ = s;
    return s;
  }
  file_size_ += buf_.size();
  block_offset_ = (padding > 0 ? 0 : block_offset_) + kHeaderSize + payload.size();
  assert(block_offset_ <= kBlockSize);
  if (block_offset_ == kBlockSize) block_offset_ = 0;
  assert(block_offset_ == file_size_ % kBlockSize);
  return Status::OK();
}

Status Writer::Sync() {
  if (!error_.ok()) return error_;
  if (closed_) return Status::InvalidArgument("wal writer: Sync after Close");
  Status s = dest_->Sync();
  if (!s.ok()) error_ = s;
  return s;
}

Status Writer::Close() {
  if (closed_) return error_;
  closed_ = true;
  Status s = dest_->Close();
  if (!error_.ok()) {
    // The file is closed either way; the first failure is what callers need.
    s.PermitUncheckedError();
    return error_;
  }
  error_ = s;
  return s;
}

}  // namespace synapsed::wal
