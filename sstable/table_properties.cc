#include "sstable/table_properties.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sstable/block.h"
#include "sstable/block_builder.h"
#include "util/coding.h"
#include "util/string_util.h"

namespace synapsed {

namespace {

// Every property, by name, with how to reach its field.
constexpr size_t kNumProperties = 16;  // the calls below
template <typename Fn>
void ForEachProperty(TableProperties* p, Fn&& fn) {
  fn("compression", &p->compression, nullptr);
  fn("creation.time", &p->creation_time, nullptr);
  fn("db.id", nullptr, &p->db_id);
  fn("file.number", &p->file_number, nullptr);
  fn("filter.bits_per_key", &p->filter_bits_per_key, nullptr);
  fn("largest.key", nullptr, &p->largest_key);
  fn("largest.seqno", &p->largest_seqno, nullptr);
  fn("num.data.blocks", &p->num_data_blocks, nullptr);
  fn("num.deletions", &p->num_deletions, nullptr);
  fn("num.entries", &p->num_entries, nullptr);
  fn("num.range.deletions", &p->num_range_deletions, nullptr);
  fn("raw.key.size", &p->raw_key_bytes, nullptr);
  fn("raw.value.size", &p->raw_value_bytes, nullptr);
  fn("smallest.key", nullptr, &p->smallest_key);
  fn("smallest.seqno", &p->smallest_seqno, nullptr);
  fn("unique.id", nullptr, &p->unique_id);
}

}  // namespace

std::string TableProperties::EncodeBlock() const {
  BlockBuilder builder(1);
  std::string scratch;
  // Names above are listed in sorted order, as a block requires.
  ForEachProperty(const_cast<TableProperties*>(this),
                  [&](const char* name, uint64_t* number, std::string* text) {
                    scratch.clear();
                    if (number != nullptr) {
                      PutVarint64(&scratch, *number);
                    } else {
                      scratch = *text;
                    }
                    builder.Add(name, scratch);
                  });
  return std::string(builder.Finish());
}

Status TableProperties::DecodeBlock(std::string contents) {
  // Each property's value in the block, as a view into it (a later entry of
  // the same name wins). A block this code wrote holds the names in the
  // order listed, so each entry is first compared with the name after the
  // last one found; anything else is found by binary search. No copy of the
  // block's names and values, which every table open would pay.
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> found;
  found.reserve(kNumProperties);
  ForEachProperty(this, [&](const char* name, uint64_t*, std::string*) {
    found.emplace_back(name, std::nullopt);
  });
  auto block = std::make_shared<const Block>(std::move(contents));
  auto it = Block::NewIterator(block, CompareBytes);
  auto next = found.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key();
    auto f = next;
    if (f == found.end() || f->first != key) {
      f = std::lower_bound(found.begin(), found.end(), key,
                           [](const auto& entry, std::string_view k) { return entry.first < k; });
      if (f == found.end() || f->first != key) continue;  // unknown to this reader
    }
    f->second = it->value();
    next = f + 1;
  }
  if (!it->status().ok()) return it->status();
  Status s;
  size_t i = 0;
  ForEachProperty(this, [&](const char* name, uint64_t* number, std::string* text) {
    const std::optional<std::string_view>& value = found[i++].second;
    if (!s.ok() || !value) return;  // unknown to the writer: stays default
    if (number != nullptr) {
      std::string_view in = *value;
      if (!GetVarint64(&in, number) || !in.empty()) {
        s = Status::Corruption("properties", std::string("bad value for ") + name);
      }
    } else {
      *text = *value;
    }
  });
  return s;
}

std::string TableProperties::ToString() const {
  std::string out;
  ForEachProperty(const_cast<TableProperties*>(this),
                  [&](const char* name, uint64_t* number, std::string* text) {
                    out += name;
                    out += ": ";
                    if (number != nullptr) {
                      out += std::to_string(*number);
                    } else if (std::string_view(name).find("key") != std::string_view::npos ||
                               std::string_view(name) == "unique.id") {
                      out += ToHex(*text);
                    } else {
                      out += *text;
                    }
                    out += "\n";
                  });
  return out;
}

}  // namespace synapsed
