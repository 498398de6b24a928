// TableProperties: what a table says about itself, stored in its properties
// block (names and encodings: docs/format/sstable.md).
#ifndef SYNAPSED_SSTABLE_TABLE_PROPERTIES_H_
#define SYNAPSED_SSTABLE_TABLE_PROPERTIES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "synapsed/status.h"

namespace synapsed {

struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  uint64_t num_range_deletions = 0;  // entries of the range deletion block
  uint64_t num_data_blocks = 0;
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  uint64_t compression = 0;  // BlockCompression of the data blocks
  uint64_t filter_bits_per_key = 0;
  std::string smallest_key;  // internal keys
  std::string largest_key;
  uint64_t smallest_seqno = 0;
  uint64_t largest_seqno = 0;
  uint64_t creation_time = 0;
  uint64_t file_number = 0;
  std::string db_id;
  std::string unique_id;  // 16 random bytes

  // The properties block's contents (a block of name -> value, sorted).
  std::string EncodeBlock() const;
  // Corruption on a malformed block or value.
  Status DecodeBlock(std::string contents);
  // "name: value" lines, for tools.
  std::string ToString() const;
};

}  // namespace synapsed

#endif  // SYNAPSED_SSTABLE_TABLE_PROPERTIES_H_
