#include "synapsed/status.h"

namespace synapsed {

Status::Status(Code code, SubCode subcode, std::string_view msg, std::string_view msg2)
    : code_(code), subcode_(subcode) {
  // No message, no allocation: NotFound is a hot return value (every missing
  // key of a Get or MultiGet).
  if (msg.empty() && msg2.empty()) return;
  std::string m(msg);
  if (!msg2.empty()) {
    m.append(": ");
    m.append(msg2);
  }
  msg_ = std::make_unique<const std::string>(std::move(m));
}

Status::Status(const Status& other)
    : code_(other.code_),
      subcode_(other.subcode_),
      msg_(other.msg_ ? std::make_unique<const std::string>(*other.msg_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    code_ = other.code_;
    subcode_ = other.subcode_;
    msg_ = other.msg_ ? std::make_unique<const std::string>(*other.msg_) : nullptr;
  }
  return *this;
}

std::string Status::ToString() const {
  const char* prefix = "OK";
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kNotFound: prefix = "NotFound: "; break;
    case Code::kCorruption: prefix = "Corruption: "; break;
    case Code::kNotSupported: prefix = "Not supported: "; break;
    case Code::kInvalidArgument: prefix = "Invalid argument: "; break;
    case Code::kIOError:
      prefix = subcode_ == SubCode::kNoSpace ? "IO error: No space left on device: " : "IO error: ";
      break;
    case Code::kBusy: prefix = "Resource busy: "; break;
    case Code::kAborted: prefix = "Operation aborted: "; break;
  }
  std::string result(prefix);
  if (msg_) result.append(*msg_);
  return result;
}

}  // namespace synapsed
