// Hashing and checksums: XXH3 everywhere (DESIGN.md §2). xxHash is compiled
// inline from the system header, so libsynapsed has no link dependency on it.
//
// Thread safety: pure functions.
#ifndef SYNAPSED_UTIL_HASH_H_
#define SYNAPSED_UTIL_HASH_H_

#include <cstdint>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace synapsed {

inline uint64_t Hash64(std::string_view data, uint64_t seed = 0) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

// The 32-bit checksum stored in on-disk trailers and headers: the low half of
// XXH3-64 with a per-use seed (e.g. the file number, so a record copied from
// another file does not verify).
inline uint32_t Checksum32(std::string_view data, uint64_t seed) {
  return static_cast<uint32_t>(XXH3_64bits_withSeed(data.data(), data.size(), seed));
}

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_HASH_H_
