// VersionEdit encoding (docs/format/manifest.md). One MANIFEST record:
//
//   edit         := field* end                   the record payload, used up exactly
//   field        := 1 comparator:string          at most once
//                 | 2 log_number:varint64        at most once
//                 | 3 next_file:varint64         at most once
//                 | 4 last_sequence:varint64     at most once; <= 2^56 - 1
//                 | 5 deleted_file               any number
//                 | 6 new_file                   any number
//                 | tag:varint32 payload:string  an unknown tag with (tag & 0x40) != 0: skipped
//   end          := 0x3f
//   deleted_file := level:varint32 number:varint64
//   new_file     := level:varint32 number:varint64 file_size:varint64
//                   smallest:string largest:string
//                   smallest_seqno:varint64 largest_seqno:varint64
//   string       := length:varint32 byte{length}
//
// Tags are varint32; any other tag without bit 0x40 is Corruption. The writer
// emits scalars in tag order, then deleted files in (level, number) order,
// then new files in the order they were added, then end. The reader accepts
// fields in any order, since the fields of one edit commute. The semantic
// rules (levels, key order, duplicates) are in Validate() and the format page.
#include "engine/version_edit.h"

#include <cassert>
#include <cstdio>

#include "util/coding.h"

namespace synapsed {

// Every field defined so far changes the version, so none may be skipped.
static_assert(static_cast<uint32_t>(EditTag::kNewFile) < kEditTagSafeToIgnoreBit &&
                  static_cast<uint32_t>(EditTag::kEnd) < kEditTagSafeToIgnoreBit,
              "a tag whose loss changes the version must not have the safe-to-ignore bit");

namespace {

void PutTag(std::string* dst, EditTag tag) { PutVarint32(dst, static_cast<uint32_t>(tag)); }

Status Bad(std::string_view reason) { return Status::Corruption("version edit", reason); }
Status Twice(const char* field) { return Bad(std::string(field) + " given twice"); }

// Printable bytes as themselves, others (and quote, backslash) as \xNN.
std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// 'user'@seq:type, or the escaped raw bytes if the key does not parse.
std::string KeyString(std::string_view ikey) {
  ParsedInternalKey k;
  if (!ParseInternalKeyAnyType(ikey, &k)) return "(bad key '" + Escape(ikey) + "')";
  const char* type = k.type == ValueType::kValue      ? ":put"
                     : k.type == ValueType::kDeletion ? ":del"
                                                      : ":rangedel";
  return "'" + Escape(k.user_key) + "'@" + std::to_string(k.sequence) + type;
}

// Reads a new_file body (after its tag).
bool GetNewFile(std::string_view* in, uint32_t* level, FileMetaData* f) {
  std::string_view smallest, largest;
  if (!GetVarint32(in, level) || !GetVarint64(in, &f->number) || !GetVarint64(in, &f->file_size) ||
      !GetLengthPrefixed(in, &smallest) || !GetLengthPrefixed(in, &largest) ||
      !GetVarint64(in, &f->smallest_seqno) || !GetVarint64(in, &f->largest_seqno)) {
    return false;
  }
  f->smallest.assign(smallest);
  f->largest.assign(largest);
  return true;
}

Status BadLevel(const char* what, uint64_t number, int64_t level) {
  return Bad(std::string(what) + " #" + std::to_string(number) + ": level " +
             std::to_string(level) + " >= " + std::to_string(kNumLevels));
}

}  // namespace

void VersionEdit::Clear() { *this = VersionEdit(); }

void VersionEdit::AddFile(int level, FileMetaData f) {
  assert(level >= 0 && level < kNumLevels);
  new_files_.emplace_back(level, std::move(f));
}

void VersionEdit::DeleteFile(int level, uint64_t number) {
  assert(level >= 0 && level < kNumLevels);
  deleted_files_.emplace(level, number);
}

void VersionEdit::EncodeTo(std::string* dst) const {
  assert(Validate().ok());
  if (comparator_) {
    PutTag(dst, EditTag::kComparator);
    PutLengthPrefixed(dst, *comparator_);
  }
  if (log_number_) {
    PutTag(dst, EditTag::kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutTag(dst, EditTag::kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutTag(dst, EditTag::kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutTag(dst, EditTag::kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutTag(dst, EditTag::kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest);
    PutLengthPrefixed(dst, f.largest);
    PutVarint64(dst, f.smallest_seqno);
    PutVarint64(dst, f.largest_seqno);
  }
  PutTag(dst, EditTag::kEnd);
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  Status s = DecodeFields(src);
  if (s.ok()) s = Validate();
  if (!s.ok()) Clear();
  return s;
}

Status VersionEdit::DecodeFields(std::string_view in) {
  for (;;) {
    uint32_t tag;
    if (in.empty()) return Bad("no end tag (truncated)");
    if (!GetVarint32(&in, &tag)) return Bad("bad tag");
    if (tag == static_cast<uint32_t>(EditTag::kEnd)) {
      if (!in.empty()) return Bad(std::to_string(in.size()) + " bytes after the end tag");
      return Status::OK();
    }
    uint64_t v;
    std::string_view str;
    switch (static_cast<EditTag>(tag)) {
      case EditTag::kComparator:
        if (comparator_) return Twice("comparator");
        if (!GetLengthPrefixed(&in, &str)) return Bad("bad comparator name");
        comparator_ = std::string(str);
        break;
      case EditTag::kLogNumber:
        if (log_number_) return Twice("log number");
        if (!GetVarint64(&in, &v)) return Bad("bad log number");
        log_number_ = v;
        break;
      case EditTag::kNextFileNumber:
        if (next_file_number_) return Twice("next file number");
        if (!GetVarint64(&in, &v)) return Bad("bad next file number");
        next_file_number_ = v;
        break;
      case EditTag::kLastSequence:
        if (last_sequence_) return Twice("last sequence");
        if (!GetVarint64(&in, &v)) return Bad("bad last sequence");
        last_sequence_ = v;
        break;
      case EditTag::kDeletedFile: {
        uint32_t level;
        if (!GetVarint32(&in, &level) || !GetVarint64(&in, &v)) {
          return Bad("bad deleted file");
        }
        if (level >= static_cast<uint32_t>(kNumLevels)) return BadLevel("deleted file", v, level);
        if (!deleted_files_.emplace(static_cast<int>(level), v).second) {
          return Bad("deleted file #" + std::to_string(v) + " given twice");
        }
        break;
      }
      case EditTag::kNewFile: {
        uint32_t level;
        FileMetaData f;
        if (!GetNewFile(&in, &level, &f)) return Bad("bad new file");
        if (level >= static_cast<uint32_t>(kNumLevels)) {
          return BadLevel("new file", f.number, level);
        }
        new_files_.emplace_back(static_cast<int>(level), std::move(f));
        break;
      }
      default:
        if ((tag & kEditTagSafeToIgnoreBit) == 0) {
          return Bad("unknown tag " + std::to_string(tag));
        }
        // A hint from a newer engine: skipping it leaves a correct version.
        if (!GetLengthPrefixed(&in, &str)) {
          return Bad("bad field with tag " + std::to_string(tag));
        }
        break;
    }
  }
}

Status VersionEdit::Validate() const {
  if (last_sequence_ && *last_sequence_ > kMaxSequenceNumber) {
    return Bad("last sequence " + std::to_string(*last_sequence_) + " > 2^56 - 1");
  }
  // A file lives at one level, so a number is deleted at most once.
  std::set<uint64_t> deleted;
  for (const auto& [level, number] : deleted_files_) {
    if (level < 0 || level >= kNumLevels) return BadLevel("deleted file", number, level);
    if (!deleted.insert(number).second) {
      return Bad("deleted file #" + std::to_string(number) + " at two levels");
    }
  }
  std::set<uint64_t> added;
  for (const auto& [level, f] : new_files_) {
    const std::string file = "new file #" + std::to_string(f.number);
    if (level < 0 || level >= kNumLevels) return BadLevel("new file", f.number, level);
    // Boundary keys may be range tombstone keys (a table's smallest may be a
    // tombstone's start, its largest a tombstone sentinel).
    ParsedInternalKey unused;
    if (!ParseInternalKeyAnyType(f.smallest, &unused)) {
      return Bad(file + ": smallest key " + KeyString(f.smallest) + " is not an internal key");
    }
    if (!ParseInternalKeyAnyType(f.largest, &unused)) {
      return Bad(file + ": largest key " + KeyString(f.largest) + " is not an internal key");
    }
    if (CompareInternalKeys(f.smallest, f.largest) > 0) {
      return Bad(file + ": smallest key " + KeyString(f.smallest) + " > largest key " +
                 KeyString(f.largest));
    }
    if (f.smallest_seqno > f.largest_seqno) {
      return Bad(file + ": smallest seqno " + std::to_string(f.smallest_seqno) +
                 " > largest seqno " + std::to_string(f.largest_seqno));
    }
    if (f.largest_seqno > kMaxSequenceNumber) {
      return Bad(file + ": largest seqno " + std::to_string(f.largest_seqno) + " > 2^56 - 1");
    }
    if (!added.insert(f.number).second) return Bad(file + " added twice");
    if (deleted_files_.count({level, f.number}) != 0) {
      return Bad(file + " added and deleted at level " + std::to_string(level));
    }
    if (next_file_number_ && f.number >= *next_file_number_) {
      return Bad(file + " >= next file number " + std::to_string(*next_file_number_));
    }
  }
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (comparator_) r += "\n  Comparator: " + Escape(*comparator_);
  if (log_number_) r += "\n  LogNumber: " + std::to_string(*log_number_);
  if (next_file_number_) r += "\n  NextFileNumber: " + std::to_string(*next_file_number_);
  if (last_sequence_) r += "\n  LastSequence: " + std::to_string(*last_sequence_);
  for (const auto& [level, number] : deleted_files_) {
    r += "\n  DeleteFile: L" + std::to_string(level) + " #" + std::to_string(number);
  }
  for (const auto& [level, f] : new_files_) {
    r += "\n  AddFile: L" + std::to_string(level) + " #" + std::to_string(f.number) +
         " size=" + std::to_string(f.file_size) + " keys=[" + KeyString(f.smallest) + " .. " +
         KeyString(f.largest) + "] seqnos=[" + std::to_string(f.smallest_seqno) + ", " +
         std::to_string(f.largest_seqno) + "]";
  }
  r += "\n}\n";
  return r;
}

}  // namespace synapsed
