// Reads the framing written by log_writer.cc (grammar there and in
// docs/format/wal.md). Two layers: ReadFragment() turns blocks into verified
// fragments or damaged ranges; ReadRecord() assembles fragments into records
// and decides which bytes an abandoned record adds to a damaged range.
#include "wal/log_reader.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "util/coding.h"
#include "util/hash.h"

namespace synapsed::wal {

std::string_view DamageKindName(DamageKind kind) {
  switch (kind) {
    case DamageKind::kTruncated:
      return "truncated";
    case DamageKind::kChecksumMismatch:
      return "checksum mismatch";
    case DamageKind::kBadLength:
      return "bad length";
    case DamageKind::kBadType:
      return "bad type";
    case DamageKind::kOrphanFragment:
      return "orphan fragment";
    case DamageKind::kZeroed:
      return "zeroed";
  }
  return "unknown damage";
}

Reader::Reporter::~Reporter() = default;

Reader::Reader(std::unique_ptr<SequentialFile> file, std::string file_name, uint64_t log_number,
               Reporter* reporter)
    : file_(std::move(file)),
      file_name_(std::move(file_name)),
      log_number_(log_number),
      reporter_(reporter),
      block_(std::make_unique_for_overwrite<char[]>(kBlockSize)) {  // read into, never zeroed
  assert(file_ != nullptr);
}

Reader::~Reader() = default;

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  scratch->clear();
  *record = {};
  // A record in progress never outlives this call: it either completes or is
  // abandoned as damage, so its state can live on the stack.
  bool in_record = false;
  uint64_t record_offset = 0;
  Fragment fragment;
  Damage damage;
  while (true) {
    switch (ReadFragment(&fragment, &damage)) {
      case Next::kEnd:
        // An I/O error is not damage; only a real end of file tears a record.
        if (in_record && status_.ok()) {
          Report({record_offset, buffer_end_offset_ - record_offset, DamageKind::kTruncated});
        }
        FlushReports();
        return false;
      case Next::kDamage:
        if (in_record) {
          // The damage takes the partial record with it: one range, one report.
          damage.bytes += damage.offset - record_offset;
          damage.offset = record_offset;
          in_record = false;
          scratch->clear();
        }
        Report(damage);
        continue;
      case Next::kFragment:
        break;
    }

    const bool starts_record =
        fragment.type == FragmentType::kFull || fragment.type == FragmentType::kFirst;
    if (starts_record && in_record) {
      // A writer never starts a record inside another, so the partial one lost
      // its end (e.g. a torn tail that a resumed writer appended after).
      Report({record_offset, fragment.offset - record_offset, DamageKind::kOrphanFragment});
      in_record = false;
      scratch->clear();
    }
    if (!starts_record && !in_record) {
      // A continuation whose beginning was skipped (damage, or resync after it).
      Report({fragment.offset, fragment.end - fragment.offset, DamageKind::kOrphanFragment});
      continue;
    }

    switch (fragment.type) {
      case FragmentType::kFull:
        *record = fragment.payload;
        record_offset = fragment.offset;
        break;
      case FragmentType::kFirst:
        in_record = true;
        record_offset = fragment.offset;
        scratch->assign(fragment.payload);
        continue;
      case FragmentType::kMiddle:
        scratch->append(fragment.payload);
        continue;
      case FragmentType::kLast:
        scratch->append(fragment.payload);
        *record = *scratch;
        break;
      case FragmentType::kZeroType:
        assert(false);  // ParseFragment reports type 0 as kBadType
        continue;
    }
    last_record_offset_ = record_offset;
    last_record_end_ = fragment.end;
    FlushReports();
    return true;
  }
}

Reader::Next Reader::ReadFragment(Fragment* fragment, Damage* damage) {
  while (true) {
    if (buffer_.size() >= kHeaderSize) return ParseFragment(fragment, damage);
    if (!buffer_.empty()) {
      const size_t left_in_block = kBlockSize - buffer_offset() % kBlockSize;
      if (left_in_block >= kHeaderSize) {
        // A header fits here, so these bytes are not padding: the file ends
        // inside a header (a short read only happens at end of file).
        assert(eof_);
        return SkipRestOfBlock(DamageKind::kTruncated, damage);
      }
      // Block-end padding carries no data; its content is deliberately not
      // checked (a flipped padding bit loses nothing).
      buffer_ = {};
    }
    if (!ReadBlock()) return Next::kEnd;
  }
}

Reader::Next Reader::ParseFragment(Fragment* fragment, Damage* damage) {
  assert(buffer_.size() >= kHeaderSize);
  const char* header = buffer_.data();
  const uint64_t offset = buffer_offset();
  if (std::all_of(header, header + kHeaderSize, [](char c) { return c == 0; })) {
    // Never written (preallocated space, a zeroed page): nothing in the rest
    // of the block can be located, so resynchronize at the next block.
    return SkipRestOfBlock(DamageKind::kZeroed, damage);
  }
  const size_t length = DecodeFixed16(header + 4);
  const uint8_t type = static_cast<uint8_t>(header[6]);
  if (kHeaderSize + length > buffer_.size()) {
    // Past the physical block end the length is impossible; inside it, the
    // only way to be short of bytes is that the file ends there.
    const size_t left_in_block = kBlockSize - offset % kBlockSize;
    const bool impossible = kHeaderSize + length > left_in_block;
    return SkipRestOfBlock(impossible ? DamageKind::kBadLength : DamageKind::kTruncated, damage);
  }
  const std::string_view covered(header + 6, 1 + length);
  if (DecodeFixed32(header) != Checksum32(covered, log_number_)) {
    // The length itself may be wrong, so no later fragment in this block can
    // be located with confidence.
    return SkipRestOfBlock(DamageKind::kChecksumMismatch, damage);
  }
  buffer_.remove_prefix(kHeaderSize + length);
  const uint64_t end = offset + kHeaderSize + length;
  if (type == 0 || type > kMaxFragmentType) {
    // The checksum vouches for the length, so only this fragment is skipped.
    *damage = {offset, end - offset, DamageKind::kBadType};
    return Next::kDamage;
  }
  *fragment = {static_cast<FragmentType>(type), covered.substr(1), offset, end};
  return Next::kFragment;
}

Reader::Next Reader::SkipRestOfBlock(DamageKind kind, Damage* damage) {
  *damage = {buffer_offset(), buffer_.size(), kind};
  buffer_ = {};
  return Next::kDamage;
}

bool Reader::ReadBlock() {
  if (eof_) return false;
  std::string_view result;
  Status s = file_->Read(kBlockSize, &result, block_.get());
  if (!s.ok()) {
    status_ = std::move(s);
    eof_ = true;  // reading stops for good: ReadRecord keeps returning false
    return false;
  }
  assert(result.size() <= kBlockSize);
  // Reads start at block boundaries because every earlier read was a whole
  // block; a short read means end of file.
  buffer_ = result;
  buffer_end_offset_ += result.size();
  eof_ = result.size() < kBlockSize;
  return !result.empty();
}

void Reader::Report(const Damage& damage) {
  if (reporter_ == nullptr || damage.bytes == 0) return;
  if (has_pending_ && pending_.kind == damage.kind &&
      pending_.offset + pending_.bytes == damage.offset) {
    pending_.bytes += damage.bytes;
    return;
  }
  FlushReports();
  pending_ = damage;
  has_pending_ = true;
}

void Reader::FlushReports() {
  if (!has_pending_) return;
  has_pending_ = false;
  reporter_->Damage(pending_.offset, pending_.bytes, pending_.kind);
}

}  // namespace synapsed::wal
