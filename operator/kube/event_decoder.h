// Splits a watch body into its JSON events. The API server writes one JSON object per line, but
// chunk boundaries fall anywhere (mid-object, mid-string, mid-escape), so framing follows the JSON
// structure itself (brace depth outside strings): it also accepts events not separated by a
// newline. Work is linear in the bytes fed; a partial event is kept until it completes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace edgerepl::kube {

class EventDecoder {
 public:
  // `max_event_bytes` bounds one event (a broken stream must not eat all memory).
  explicit EventDecoder(size_t max_event_bytes = 64 << 20) : max_event_bytes_(max_event_bytes) {}

  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete top-level JSON object's text, nullopt when none is complete yet;
  // kCorruption when the stream holds something other than objects or an event is too large.
  Result<std::optional<std::string>> Next();
  // Bytes of an incomplete event held back.
  size_t pending() const { return buffer_.size() - start_; }

 private:
  void Compact();

  const size_t max_event_bytes_;
  std::string buffer_;
  size_t start_ = 0;  // beginning of the current event (or of unconsumed bytes)
  size_t scan_ = 0;   // next byte to look at
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
};

}  // namespace edgerepl::kube
