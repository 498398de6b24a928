// wal::Writer: appends records to a log file in the block/fragment framing of
// docs/format/wal.md (used for the write-ahead log and the MANIFEST).
//
// Ownership: the writer owns its WritableFile; destroying the writer destroys
// the file object, which closes it if Close() was not called.
//
// Thread safety: one thread at a time. The engine's group-commit leader is the
// only caller of AddRecord/Sync on a given log.
//
// Durability: AddRecord returns after the record's bytes have been handed to
// the operating system (WritableFile::Flush), so an acknowledged record
// survives a process kill; it survives a machine crash only after Sync().
//
// Failure model: the first failed Append/Flush/Sync/Close makes the writer
// dead. Every later call returns that same error, because the file may now end
// in a partial record (which the reader reports as a torn tail) and, after a
// failed Sync, its durable contents are unknown: retrying could acknowledge a
// record that sits behind lost bytes.
//
// Invariant: file_size() % kBlockSize is the write position inside the
// current block; a fragment header is never started with fewer than
// kHeaderSize bytes left in a block (those bytes become zero padding).
#ifndef SYNAPSED_WAL_LOG_WRITER_H_
#define SYNAPSED_WAL_LOG_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "synapsed/file_system.h"
#include "synapsed/status.h"
#include "wal/log_format.h"

namespace synapsed::wal {

class Writer {
 public:
  // Takes ownership of dest. log_number seeds every fragment checksum, so a
  // fragment copied from (or left over by) another log does not verify.
  // initial_offset is dest's current size, for appending to an existing log.
  // REQUIRES: dest != nullptr.
  Writer(std::unique_ptr<WritableFile> dest, uint64_t log_number, uint64_t initial_offset = 0);

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

  // Appends one record (any size, empty allowed) and flushes it to the OS.
  // After a failure, returns that failure forever; after Close, returns
  // InvalidArgument.
  Status AddRecord(std::string_view payload);

  // Makes every record added so far durable on the device.
  Status Sync();

  // Closes the file. Idempotent; after a failure the file is still closed and
  // the original error is returned.
  Status Close();

  // Bytes in the file, including initial_offset and block-end padding.
  uint64_t file_size() const { return file_size_; }
  uint64_t log_number() const { return log_number_; }

 private:
  // Appends buf_ (optional padding + one fragment) and updates the offsets.
  Status AppendFragment(FragmentType type, std::string_view payload);

  std::unique_ptr<WritableFile> dest_;
  const uint64_t log_number_;
  uint64_t file_size_;
  size_t block_offset_;  // == file_size_ % kBlockSize
  Status error_;         // the first failure; sticky
  bool closed_ = false;
  // Padding + header + payload of one fragment, built contiguously so the
  // checksum is one Checksum32 call and the file sees one Append per fragment.
  std::string buf_;
};

}  // namespace synapsed::wal

#endif  // SYNAPSED_WAL_LOG_WRITER_H_
