// Rendering bytes for people: hex dumps and escaped strings (tools, debug
// strings, test failure messages). Thread safety: pure functions.
#ifndef SYNAPSED_UTIL_STRING_UTIL_H_
#define SYNAPSED_UTIL_STRING_UTIL_H_

#include <string>
#include <string_view>

namespace synapsed {

// Two hex digits per byte, no separators: "0a1b" (or "0A1B" with upper).
std::string ToHex(std::string_view s, bool upper = false);

// Printable ASCII kept as is (except '\\'), every other byte as \xNN.
std::string EscapeBytes(std::string_view s);

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_STRING_UTIL_H_
