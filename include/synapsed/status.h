// Status: the result of every operation that can fail for operational reasons.
//
// A Status is a value: ok, or a code plus a human-readable message. It is
// [[nodiscard]]: every Status returned must be looked at. To drop one on
// purpose, write `s.PermitUncheckedError();` so the intent is visible.
//
// Thread safety: a Status is an immutable value once built; distinct objects
// may be used from different threads without synchronization.
// Cost: an ok Status holds no heap memory; copying it is two words.
#ifndef SYNAPSED_INCLUDE_STATUS_H_
#define SYNAPSED_INCLUDE_STATUS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace synapsed {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kNotSupported = 3,
    kInvalidArgument = 4,
    kIOError = 5,
    kBusy = 6,
    kAborted = 7,
  };
  // Refines a code; today only IOError has one (a full disk).
  enum class SubCode : uint8_t { kNone = 0, kNoSpace = 1 };

  Status() noexcept = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotFound, SubCode::kNone, msg, msg2);
  }
  static Status Corruption(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kCorruption, SubCode::kNone, msg, msg2);
  }
  static Status NotSupported(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kNotSupported, SubCode::kNone, msg, msg2);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kInvalidArgument, SubCode::kNone, msg, msg2);
  }
  static Status IOError(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kIOError, SubCode::kNone, msg, msg2);
  }
  // An IOError caused by a full device (ENOSPC, EDQUOT).
  static Status NoSpace(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kIOError, SubCode::kNoSpace, msg, msg2);
  }
  static Status Busy(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kBusy, SubCode::kNone, msg, msg2);
  }
  static Status Aborted(std::string_view msg, std::string_view msg2 = {}) {
    return Status(Code::kAborted, SubCode::kNone, msg, msg2);
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsNoSpace() const { return code_ == Code::kIOError && subcode_ == SubCode::kNoSpace; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsAborted() const { return code_ == Code::kAborted; }

  Code code() const { return code_; }
  SubCode subcode() const { return subcode_; }
  // The message without the code prefix ("" for OK).
  std::string_view message() const { return msg_ ? std::string_view(*msg_) : std::string_view(); }
  // "OK", or e.g. "Corruption: 000004.log: checksum mismatch at offset 32768".
  std::string ToString() const;

  // Marks a Status as deliberately ignored.
  void PermitUncheckedError() const {}

 private:
  Status(Code code, SubCode subcode, std::string_view msg, std::string_view msg2);

  Code code_ = Code::kOk;
  SubCode subcode_ = SubCode::kNone;
  std::unique_ptr<const std::string> msg_;
};

}  // namespace synapsed

#endif  // SYNAPSED_INCLUDE_STATUS_H_
