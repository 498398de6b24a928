// BlockPrefetcher: asynchronous readahead of a table's data blocks for one
// iterator (docs/design/io.md, "Readahead").
//
// The iterator asks for each data block it needs (Read) after the block
// cache missed. While requests come one right after another in the file,
// the prefetcher counts them; after ReadBlockOptions::readahead_after_blocks
// of them it reads the bytes that follow into a window through a read queue
// (asynchronously, io_uring), and while the iterator consumes one window
// the next is already in flight. Windows start at readahead_initial_bytes
// and double up to readahead_max_bytes. A request out of sequence drops the
// windows and starts counting again. Windows never extend past `limit` (the
// end of the data blocks), so metadata is never read twice.
//
// The queue is leased from the pool at the first window and kept until the
// prefetcher goes; without a queue (the pool fails) blocks are read one at
// a time. The bytes are raw (payload and trailer): the caller verifies
// them (DecodeBlock), so a window is checked exactly like a direct read.
//
// Thread safety: one thread at a time, like the iterator that owns it.
// Lifetime: the file and the pool outlive the prefetcher; its destructor
// waits for the windows in flight.
#ifndef SYNAPSED_SSTABLE_BLOCK_PREFETCHER_H_
#define SYNAPSED_SSTABLE_BLOCK_PREFETCHER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "io/read_queue_pool.h"
#include "sstable/format.h"
#include "synapsed/file_system.h"

namespace synapsed {

class BlockPrefetcher {
 public:
  // REQUIRES: options.read_queues != nullptr.
  BlockPrefetcher(const RandomAccessFile* file, uint64_t limit, const ReadBlockOptions& options);
  ~BlockPrefetcher();
  BlockPrefetcher(const BlockPrefetcher&) = delete;
  BlockPrefetcher& operator=(const BlockPrefetcher&) = delete;

  // The n bytes at offset (fewer at end of file) into *out.
  Status Read(uint64_t offset, size_t n, std::string* out);

  // Reads served from a window, and windows issued (for tests and stats).
  uint64_t window_hits() const { return window_hits_; }
  uint64_t windows_issued() const { return windows_issued_; }

 private:
  struct Window {
    uint64_t offset = 0;
    std::string buf;
    ReadRequest req;
    bool in_flight = false;
    uint64_t end() const { return offset + buf.size(); }
  };

  void Issue(uint64_t offset);
  void Wait(Window* w);
  void DropAll();

  const RandomAccessFile* const file_;
  const uint64_t limit_;
  const ReadBlockOptions options_;
  ReadQueuePool::Lease queue_;
  bool no_queue_ = false;                        // the pool failed once: stay synchronous
  std::deque<std::unique_ptr<Window>> windows_;  // ascending, contiguous
  uint64_t last_end_ = UINT64_MAX;               // end of the previous request
  int run_ = 0;                                  // requests in sequence so far
  size_t window_bytes_;
  uint64_t window_hits_ = 0;
  uint64_t windows_issued_ = 0;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOCK_PREFETCHER_H_
