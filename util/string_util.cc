#include "util/string_util.h"

namespace synapsed {

namespace {
void AppendHexByte(unsigned char c, const char* digits, std::string* out) {
  out->push_back(digits[c >> 4]);
  out->push_back(digits[c & 15]);
}
constexpr char kLower[] = "0123456789abcdef";
constexpr char kUpper[] = "0123456789ABCDEF";
}  // namespace

std::string ToHex(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) AppendHexByte(c, upper ? kUpper : kLower, &out);
  return out;
}

std::string EscapeBytes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      AppendHexByte(c, kUpper, &out);
    }
  }
  return out;
}

}  // namespace synapsed
