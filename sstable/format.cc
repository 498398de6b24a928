#include "sstable/format.h"

#include <cinttypes>
#include <cstdio>

#include "util/coding.h"
#include "util/hash.h"

namespace synapsed {

void BlockHandle::EncodeTo(std::string* dst) const {
  PutFixed64(dst, offset);
  PutFixed64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  if (input->size() < kEncodedBytes) return false;
  offset = DecodeFixed64(input->data());
  size = DecodeFixed64(input->data() + 8);
  input->remove_prefix(kEncodedBytes);
  return true;
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex.EncodeTo(dst);
  index.EncodeTo(dst);
  PutFixed64(dst, table_seed);
  PutFixed32(dst, format_version);
  PutFixed32(dst, Checksum32(std::string_view(*dst).substr(start), 0));
  PutFixed64(dst, kTableMagic);
}

Status Footer::DecodeFrom(std::string_view input) {
  if (input.size() != kEncodedBytes) return Status::Corruption("footer has the wrong size");
  if (DecodeFixed64(input.data() + 48) != kTableMagic) {
    return Status::Corruption("bad magic number (not a synapsed table)");
  }
  if (DecodeFixed32(input.data() + 44) != Checksum32(input.substr(0, 44), 0)) {
    return Status::Corruption("footer checksum mismatch");
  }
  std::string_view in = input;
  metaindex.DecodeFrom(&in);
  index.DecodeFrom(&in);
  table_seed = DecodeFixed64(in.data());
  format_version = DecodeFixed32(in.data() + 8);
  if (format_version != kTableFormatVersion) {
    return Status::NotSupported("table format version " + std::to_string(format_version));
  }
  return Status::OK();
}

namespace {
uint32_t TrailerChecksum(std::string_view payload, uint8_t type, uint64_t seed) {
  // Checksum32 over payload . type without copying: XXH3 streaming.
  XXH3_state_t state = {};  // zeroed: GCC cannot see that reset initializes it
  XXH3_64bits_reset_withSeed(&state, seed);
  XXH3_64bits_update(&state, payload.data(), payload.size());
  XXH3_64bits_update(&state, &type, 1);
  return static_cast<uint32_t>(XXH3_64bits_digest(&state));
}
}  // namespace

void AppendBlockTrailer(std::string_view payload, BlockCompression type, uint64_t table_seed,
                        uint64_t offset, std::string* dst) {
  const auto t = static_cast<uint8_t>(type);
  dst->push_back(static_cast<char>(t));
  PutFixed32(dst, TrailerChecksum(payload, t, BlockSeed(table_seed, offset)));
}

namespace {
Status BlockCorruption(const std::string& file_name, const BlockHandle& handle, const char* what) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "block at offset %" PRIu64 " (%" PRIu64 " bytes): %s",
                handle.offset, handle.size, what);
  return Status::Corruption(file_name, buf);
}
}  // namespace

Status ReadBlock(const RandomAccessFile& file, const std::string& file_name, uint64_t table_seed,
                 const BlockHandle& handle, const ReadBlockOptions& options,
                 std::string* contents) {
  if (handle.size > kMaxUncompressedBlockBytes) {
    return BlockCorruption(file_name, handle, "block size out of range");
  }
  // Read payload and trailer into *contents; a raw block then only drops its
  // trailer, a compressed one is decompressed into a second buffer.
  const size_t n = BlockReadBytes(handle);
  contents->resize(n);
  std::string_view got;
  Status s = file.Read(handle.offset, n, &got, contents->data());
  if (!s.ok()) return s;
  if (got.data() != contents->data()) contents->assign(got.data(), got.size());
  contents->resize(got.size());
  return DecodeBlock(file_name, table_seed, handle, options, contents);
}

namespace {

// Checks the size and trailer of the bytes read for handle: *type is the
// payload's compression.
Status VerifyBlock(const std::string& file_name, uint64_t table_seed, const BlockHandle& handle,
                   const ReadBlockOptions& options, std::string_view read, BlockCompression* type) {
  auto corruption = [&](const char* what) { return BlockCorruption(file_name, handle, what); };
  if (handle.size > kMaxUncompressedBlockBytes) return corruption("block size out of range");
  if (read.size() != BlockReadBytes(handle)) return corruption("truncated");
  const std::string_view payload = read.substr(0, handle.size);
  const uint8_t t = static_cast<uint8_t>(read[handle.size]);
  if (options.verify_checksum &&
      DecodeFixed32(read.data() + handle.size + 1) !=
          TrailerChecksum(payload, t, BlockSeed(table_seed, handle.offset))) {
    return corruption("checksum mismatch");
  }
  if (!IsKnownCompression(t)) return corruption("unknown compression type");
  *type = static_cast<BlockCompression>(t);
  return Status::OK();
}

}  // namespace

Status DecodeBlock(const std::string& file_name, uint64_t table_seed, const BlockHandle& handle,
                   const ReadBlockOptions& options, std::string* contents) {
  BlockCompression type = BlockCompression::kNone;
  Status s = VerifyBlock(file_name, table_seed, handle, options, *contents, &type);
  if (!s.ok()) return s;
  if (type == BlockCompression::kNone) {
    contents->resize(handle.size);
    return Status::OK();
  }
  std::string raw;
  s = UncompressBlock(type, std::string_view(*contents).substr(0, handle.size), &raw);
  if (!s.ok()) return BlockCorruption(file_name, handle, s.ToString().c_str());
  contents->swap(raw);
  return Status::OK();
}

Status DecodeBlock(const std::string& file_name, uint64_t table_seed, const BlockHandle& handle,
                   const ReadBlockOptions& options, std::string_view read, BlockBuffer* contents) {
  BlockCompression type = BlockCompression::kNone;
  Status s = VerifyBlock(file_name, table_seed, handle, options, read, &type);
  if (!s.ok()) {
    contents->Resize(0);  // a destination taken ahead holds a stale block
    return s;
  }
  s = UncompressBlock(type, read.substr(0, handle.size), contents);
  if (!s.ok()) return BlockCorruption(file_name, handle, s.ToString().c_str());
  return Status::OK();
}

}  // namespace synapsed
