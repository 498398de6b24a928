#include "sstable/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <cstring>

#include "util/coding.h"

namespace synapsed {

bool IsKnownCompression(uint8_t type) {
  return type <= static_cast<uint8_t>(BlockCompression::kZstd);
}

std::string_view CompressionName(BlockCompression type) {
  switch (type) {
    case BlockCompression::kNone:
      return "none";
    case BlockCompression::kLZ4:
      return "lz4";
    case BlockCompression::kZstd:
      return "zstd";
  }
  return "unknown";
}

namespace {
bool WorthKeeping(size_t raw, size_t compressed) { return compressed < raw - raw / 8; }

// Zstd contexts, one of each per thread, made on first use and reused:
// ZSTD_compress and ZSTD_decompress make (allocate, clear) a context per
// call, which cost more than decompressing a 4 KiB block does.
struct ZstdContexts {
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_DCtx* dctx = nullptr;
  ~ZstdContexts() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};
ZstdContexts& ThreadZstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}
}  // namespace

bool CompressBlock(BlockCompression type, int zstd_level, std::string_view input,
                   std::string* output) {
  output->clear();
  switch (type) {
    case BlockCompression::kNone:
      return false;
    case BlockCompression::kLZ4: {
      if (input.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return false;
      PutVarint32(output, static_cast<uint32_t>(input.size()));
      const size_t header = output->size();
      const int bound = LZ4_compressBound(static_cast<int>(input.size()));
      output->resize(header + bound);
      int n = LZ4_compress_default(input.data(), output->data() + header,
                                   static_cast<int>(input.size()), bound);
      if (n <= 0) return false;
      output->resize(header + n);
      return WorthKeeping(input.size(), output->size());
    }
    case BlockCompression::kZstd: {
      ZstdContexts& z = ThreadZstd();
      if (z.cctx == nullptr && (z.cctx = ZSTD_createCCtx()) == nullptr) return false;
      output->resize(ZSTD_compressBound(input.size()));
      size_t n = ZSTD_compressCCtx(z.cctx, output->data(), output->size(), input.data(),
                                   input.size(), zstd_level);
      if (ZSTD_isError(n)) return false;
      output->resize(n);
      return WorthKeeping(input.size(), output->size());
    }
  }
  return false;
}

namespace {

// Decompresses payload into the `size` bytes alloc(size) returns.
template <typename Alloc>
Status Uncompress(BlockCompression type, std::string_view payload, Alloc alloc) {
  switch (type) {
    case BlockCompression::kNone:
      if (!payload.empty()) std::memcpy(alloc(payload.size()), payload.data(), payload.size());
      return Status::OK();
    case BlockCompression::kLZ4: {
      uint32_t raw_size;
      if (!GetVarint32(&payload, &raw_size) || raw_size > kMaxUncompressedBlockBytes) {
        return Status::Corruption("lz4 block", "bad size");
      }
      char empty;  // a zero-byte buffer has no address
      char* out = raw_size > 0 ? alloc(raw_size) : (alloc(0), &empty);
      int n = LZ4_decompress_safe(payload.data(), out, static_cast<int>(payload.size()),
                                  static_cast<int>(raw_size));
      if (n < 0 || static_cast<uint32_t>(n) != raw_size) {
        return Status::Corruption("lz4 block", "does not decompress to its size");
      }
      return Status::OK();
    }
    case BlockCompression::kZstd: {
      unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
      if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
          size > kMaxUncompressedBlockBytes) {
        return Status::Corruption("zstd block", "bad frame header");
      }
      ZstdContexts& z = ThreadZstd();
      if (z.dctx == nullptr && (z.dctx = ZSTD_createDCtx()) == nullptr) {
        return Status::IOError("zstd block", "out of memory for a decompression context");
      }
      char empty;
      char* out = size > 0 ? alloc(static_cast<size_t>(size)) : (alloc(0), &empty);
      size_t n = ZSTD_decompressDCtx(z.dctx, out, static_cast<size_t>(size), payload.data(),
                                     payload.size());
      if (ZSTD_isError(n) || n != size) {
        return Status::Corruption("zstd block", "does not decompress to its size");
      }
      return Status::OK();
    }
  }
  return Status::Corruption("block", "unknown compression type");
}

}  // namespace

Status UncompressBlock(BlockCompression type, std::string_view payload, std::string* output) {
  output->clear();
  return Uncompress(type, payload, [output](size_t n) {
    output->resize(n);
    return output->data();
  });
}

Status UncompressBlock(BlockCompression type, std::string_view payload, BlockBuffer* output) {
  output->Resize(0);  // an empty payload writes nothing: the result is empty
  Status s = Uncompress(type, payload, [output](size_t n) {
    if (n > 0 && output->capacity() == BlockBuffer::CapacityFor(n)) {
      output->Resize(n);
    } else {
      *output = BlockBuffer(n);
    }
    return output->data();
  });
  if (!s.ok()) output->Resize(0);  // never a partly written block
  return s;
}

}  // namespace synapsed
