// Status and Result<T>: the error currency of every I/O path. No exception crosses a component
// boundary on the data path; a failure is a value the caller must look at.
#pragma once

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgerepl {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a client or a config file
  kNotFound,
  kCorruption,   // stored bytes fail their checksum or framing
  kIoError,      // the OS refused an I/O call; errno_value() says why
  kNoSpace,      // ENOSPC or a configured size limit
  kUnavailable,  // a peer could not be reached or timed out; retry later
  kAborted,      // stopped by shutdown or by an earlier sticky failure
  kConflict,     // optimistic concurrency lost (HTTP 409)
  kInternal,
};

// OK is free: an OK Status holds no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, int errno_value = 0)
      : rep_(code == StatusCode::kOk
                 ? nullptr
                 : std::make_shared<Rep>(Rep{code, std::move(message), errno_value})) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m), ENOSPC}; }
  // An OS error: ENOSPC and EDQUOT map to kNoSpace so callers treat them as a full queue.
  static Status FromErrno(int err, std::string_view what) {
    std::string m = std::string(what) + ": " + std::strerror(err);
    if (err == ENOSPC || err == EDQUOT) return {StatusCode::kNoSpace, std::move(m), err};
    return {StatusCode::kIoError, std::move(m), err};
  }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const {
    static const std::string kEmpty;
    return rep_ ? rep_->message : kEmpty;
  }
  int errno_value() const { return rep_ ? rep_->errno_value : 0; }

  bool IsNoSpace() const { return code() == StatusCode::kNoSpace; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }

  std::string ToString() const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    int errno_value;
  };
  std::shared_ptr<const Rep> rep_;
};

std::string_view StatusCodeName(StatusCode code);

inline std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code())) + ": " + message();
}

inline std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIoError:
      return "IOError";
    case StatusCode::kNoSpace:
      return "NoSpace";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define EDGEREPL_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::edgerepl::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)

}  // namespace edgerepl
