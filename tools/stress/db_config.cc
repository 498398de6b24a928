#include "tools/stress/db_config.h"

#include <initializer_list>
#include <type_traits>

#include "synapsed/cache.h"

namespace synapsed::stress {

namespace {

template <typename T>
T Pick(synapsed::Random* rnd, std::initializer_list<T> choices) {
  return choices.begin()[rnd->Uniform(choices.size())];
}

Status ParseCompression(const std::string& flag, const std::string& name, CompressionType* type) {
  if (name == "none") {
    *type = CompressionType::kNone;
  } else if (name == "lz4") {
    *type = CompressionType::kLZ4;
  } else if (name == "zstd") {
    *type = CompressionType::kZstd;
  } else {
    return Status::InvalidArgument("--" + flag + "=" + name, "want none, lz4 or zstd");
  }
  return Status::OK();
}

}  // namespace

DbConfig DbConfig::Random(synapsed::Random* rnd, bool direct_io_ok) {
  DbConfig c;
  c.compaction_style = static_cast<int>(rnd->Uniform(2));
  c.write_buffer_size = Pick<int64_t>(rnd, {32 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20});
  c.max_write_buffer_number = Pick(rnd, {2, 3, 4});
  c.block_size = Pick(rnd, {256, 1024, 4096, 16384});
  c.compression_type = Pick<std::string>(rnd, {"none", "lz4", "zstd"});
  c.bottommost_compression = Pick<std::string>(rnd, {"none", "lz4", "zstd", "same"});
  c.bloom_bits = Pick(rnd, {0, 10, 10});
  c.io_engine = Pick<std::string>(rnd, {"posix", "io_uring"});
  c.use_direct_reads = direct_io_ok && rnd->OneIn(4);
  c.use_direct_io_for_flush_and_compaction = direct_io_ok && rnd->OneIn(4);
  c.max_background_jobs = Pick(rnd, {2, 3, 4});
  c.level0_file_num_compaction_trigger = Pick(rnd, {2, 4, 8});
  c.level0_slowdown_writes_trigger = c.level0_file_num_compaction_trigger + Pick(rnd, {4, 16});
  c.level0_stop_writes_trigger = c.level0_slowdown_writes_trigger + Pick(rnd, {4, 16});
  c.target_file_size_base = Pick<int64_t>(rnd, {64 << 10, 256 << 10, 2 << 20});
  c.max_bytes_for_level_base = Pick<int64_t>(rnd, {256 << 10, 1 << 20, 8 << 20});
  c.level_compaction_dynamic_level_bytes = !rnd->OneIn(3);
  c.cache_size = Pick<int64_t>(rnd, {0, 64 << 10, 8 << 20});
  c.open_files = Pick(rnd, {-1, 20, 1000});
  c.universal_size_ratio = Pick(rnd, {1, 10});
  c.universal_max_size_amplification_percent = Pick(rnd, {50, 200});
  c.sync_one_in = Pick(rnd, {0, 0, 100, 1000});
  return c;
}

Status DbConfig::ToOptions(Options* o) const {
  if (compaction_style != 0 && compaction_style != 1) {
    return Status::InvalidArgument("--compaction_style", "want 0 (leveled) or 1 (universal)");
  }
  o->compaction_style =
      compaction_style == 0 ? CompactionStyle::kLeveled : CompactionStyle::kUniversal;
  o->write_buffer_size = static_cast<size_t>(write_buffer_size);
  o->max_write_buffer_number = max_write_buffer_number;
  o->block_size = static_cast<size_t>(block_size);
  Status s = ParseCompression("compression_type", compression_type, &o->compression);
  if (!s.ok()) return s;
  if (bottommost_compression == "same") {
    o->bottommost_compression.reset();
  } else {
    CompressionType t;
    s = ParseCompression("bottommost_compression", bottommost_compression, &t);
    if (!s.ok()) return s;
    o->bottommost_compression = t;
  }
  o->bloom_bits_per_key = bloom_bits;
  if (io_engine == "posix") {
    o->io_engine = IoEngine::kPosix;
  } else if (io_engine == "io_uring") {
    o->io_engine = IoEngine::kIoUring;
  } else {
    return Status::InvalidArgument("--io_engine=" + io_engine, "want posix or io_uring");
  }
  o->use_direct_reads = use_direct_reads;
  o->use_direct_io_for_flush_and_compaction = use_direct_io_for_flush_and_compaction;
  o->max_background_jobs = max_background_jobs;
  o->level0_file_num_compaction_trigger = level0_file_num_compaction_trigger;
  o->level0_slowdown_writes_trigger = level0_slowdown_writes_trigger;
  o->level0_stop_writes_trigger = level0_stop_writes_trigger;
  o->target_file_size_base = static_cast<uint64_t>(target_file_size_base);
  o->max_bytes_for_level_base = static_cast<uint64_t>(max_bytes_for_level_base);
  o->level_compaction_dynamic_level_bytes = level_compaction_dynamic_level_bytes;
  if (cache_size > 0) {
    o->block_cache = NewARCCache(static_cast<size_t>(cache_size));
  } else {
    o->no_block_cache = true;
  }
  o->max_open_files = open_files;
  o->compaction_options_universal.size_ratio = static_cast<unsigned>(universal_size_ratio);
  o->compaction_options_universal.max_size_amplification_percent =
      static_cast<unsigned>(universal_max_size_amplification_percent);
  return Status::OK();
}

std::vector<std::string> DbConfig::ToFlags() const {
  auto flag = [](const char* name, auto v) {
    if constexpr (std::is_same_v<decltype(v), bool>) {
      return std::string("--") + name + "=" + (v ? "true" : "false");
    } else if constexpr (std::is_same_v<decltype(v), std::string>) {
      return std::string("--") + name + "=" + v;
    } else {
      return std::string("--") + name + "=" + std::to_string(v);
    }
  };
  return {
      flag("compaction_style", compaction_style),
      flag("write_buffer_size", write_buffer_size),
      flag("max_write_buffer_number", max_write_buffer_number),
      flag("block_size", block_size),
      flag("compression_type", compression_type),
      flag("bottommost_compression", bottommost_compression),
      flag("bloom_bits", bloom_bits),
      flag("io_engine", io_engine),
      flag("use_direct_reads", use_direct_reads),
      flag("use_direct_io_for_flush_and_compaction", use_direct_io_for_flush_and_compaction),
      flag("max_background_jobs", max_background_jobs),
      flag("level0_file_num_compaction_trigger", level0_file_num_compaction_trigger),
      flag("level0_slowdown_writes_trigger", level0_slowdown_writes_trigger),
      flag("level0_stop_writes_trigger", level0_stop_writes_trigger),
      flag("target_file_size_base", target_file_size_base),
      flag("max_bytes_for_level_base", max_bytes_for_level_base),
      flag("level_compaction_dynamic_level_bytes", level_compaction_dynamic_level_bytes),
      flag("cache_size", cache_size),
      flag("open_files", open_files),
      flag("universal_size_ratio", universal_size_ratio),
      flag("universal_max_size_amplification_percent", universal_max_size_amplification_percent),
      flag("sync_one_in", sync_one_in),
  };
}

}  // namespace synapsed::stress
