#include "operator/kube/event_decoder.h"

namespace edgerepl::kube {

void EventDecoder::Compact() {
  // Drop consumed bytes only when they dominate, so compaction stays amortised linear.
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
}

Result<std::optional<std::string>> EventDecoder::Next() {
  while (scan_ < buffer_.size()) {
    char c = buffer_[scan_];
    if (depth_ == 0) {
      // Between events only whitespace (the newline framing) may appear.
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++scan_;
        start_ = scan_;
        continue;
      }
      if (c != '{') {
        return Status::Corruption(std::string("watch stream: unexpected byte '") + c +
                                  "' between events");
      }
      start_ = scan_;
      depth_ = 1;
      ++scan_;
      continue;
    }
    ++scan_;
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        std::string event = buffer_.substr(start_, scan_ - start_);
        start_ = scan_;
        Compact();
        return std::optional<std::string>(std::move(event));
      }
    }
  }
  if (depth_ > 0 && scan_ - start_ > max_event_bytes_) {
    return Status::Corruption("watch stream: event larger than " +
                              std::to_string(max_event_bytes_) + " bytes");
  }
  Compact();
  return std::optional<std::string>();
}

}  // namespace edgerepl::kube
