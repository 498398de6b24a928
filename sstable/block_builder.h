// BlockBuilder: encodes sorted key/value pairs into one block with shared-
// prefix compression and restart points (docs/format/sstable.md).
//
// Thread safety: one thread at a time. Keys must be added in increasing order
// of the block's comparator (not checked here; the table builder checks).
#ifndef SYNAPSED_SSTABLE_BLOCK_BUILDER_H_
#define SYNAPSED_SSTABLE_BLOCK_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace synapsed {

class BlockBuilder {
 public:
  // restart_interval >= 1: a full key every restart_interval entries.
  explicit BlockBuilder(int restart_interval);

  void Add(std::string_view key, std::string_view value);
  // The finished block; valid until Reset or destruction.
  std::string_view Finish();
  void Reset();
  // Bytes the block would have if finished now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_BLOCK_BUILDER_H_
