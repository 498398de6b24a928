// Helpers shared by tests (never linked into libsynapsed).
#ifndef SYNAPSED_TESTUTIL_TESTUTIL_H_
#define SYNAPSED_TESTUTIL_TESTUTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/internal_key.h"
#include "util/random.h"

namespace synapsed::test {

// A fresh, empty directory under $TEST_TMPDIR (or /tmp), unique to this
// process and call; removed (recursively) by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "synapsed");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// len bytes drawn from rnd (all byte values, including NUL).
std::string RandomBytes(Random* rnd, size_t len);
// A printable key of the form "k%016x" for number n: sorts like n.
std::string NumberKey(uint64_t n);

// The internal key (user_key, seq, type), for tests that build entries by hand.
inline std::string IKey(std::string_view user_key, SequenceNumber seq = 1,
                        ValueType type = ValueType::kValue) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

// A whole number from the environment variable name (a test's knob), or
// fallback if it is unset, empty or not a whole number.
uint64_t EnvNumber(const char* name, uint64_t fallback);

// Issue 7's count per protocol. Appends one line
//   protocol=<n> test=<test> <counts>
// (counts: space-separated key=value pairs of whole numbers, e.g.
// "cases=120 failures=0") to the file named by $SYNAPSED_PROTOCOL_REPORT, if
// it is set; ./run.sh test sums the lines per protocol and key and prints
// them. One write(2) with O_APPEND per line, so tests run in parallel may
// share the file. Does nothing when the variable is unset.
void ReportProtocol(int protocol, std::string_view test, std::string_view counts);

}  // namespace synapsed::test

#endif  // SYNAPSED_TESTUTIL_TESTUTIL_H_
