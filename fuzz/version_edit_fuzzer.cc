// libFuzzer target for VersionEdit::DecodeFrom (docs/format/manifest.md). The
// input is one MANIFEST record payload. Decoding must never crash or read
// outside the input, and a failed decode must leave the edit empty. When it
// succeeds, the edit must be canonical:
//
//   e = Decode(input);  bytes = Encode(e);  Decode(bytes) == e;  Encode(that) == bytes
//
// so what the engine re-writes into a new MANIFEST's snapshot means exactly
// what it read. (input itself need not equal bytes: fields may come in any
// order, varints may be over-long, and safe-to-ignore fields are dropped.)
//
// Seeds: fuzz/corpus/version_edit/ (encodings of real edits).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "engine/version_edit.h"

namespace {


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using synapsed::VersionEdit;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  VersionEdit edit;
  const synapsed::Status s = edit.DecodeFrom(input);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    FUZZ_CHECK(edit == VersionEdit());
    return 0;
  }
  FUZZ_CHECK(!edit.DebugString().empty());
  std::string bytes;
  edit.EncodeTo(&bytes);
  FUZZ_CHECK(bytes.size() <= size);  // decoding never invents content
  VersionEdit again;
  FUZZ_CHECK(again.DecodeFrom(bytes).ok());
  FUZZ_CHECK(again == edit);
  std::string bytes_again;
  again.EncodeTo(&bytes_again);
  FUZZ_CHECK(bytes_again == bytes);
  return 0;
}
