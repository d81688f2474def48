// What the sender needs from a replication's queue. The durable queue (agent/queue) is adapted to
// this in queue_source.h; tests use an in-memory source. Positions are opaque, increasing tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::sender {

struct SourceRecord {
  uint64_t position = 0;  // acknowledging this position acknowledges this record and all before
  int64_t enqueue_time_ns = 0;
  uint32_t points = 0;
  std::string payload;  // newline-separated line protocol, nanosecond timestamps
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Records after the last one returned, about `max_bytes` of payload (at least one record when
  // any is pending). Empty when nothing new is queued. Never blocks on new data.
  virtual Result<std::vector<SourceRecord>> ReadNext(size_t max_bytes) = 0;
  // Every record up to and including `position` reached the remote (or was dropped): the cursor
  // may move past it, durably.
  virtual Status Ack(uint64_t position) = 0;
  // The sender dropped lines for `reason` (non_retryable, skipped).
  virtual void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) = 0;
  // Whether appends are currently being refused or dropped because the queue is full.
  virtual bool Full() const = 0;
  // Max age: every record up to and including `position` (handed out, `points` and `bytes` in
  // all) is older than the replication's maxAgeSeconds and will not be sent: count it `expired`
  // and let the cursor move past it.
  virtual Status Expire(uint64_t position, uint64_t points, uint64_t bytes) {
    ReportDropped(points, bytes, "expired");
    return Ack(position);
  }
  // Max age for the records not read yet: a source that can drop them by age does so now.
  virtual void ExpireUnread() {}
};

}  // namespace edgerepl::sender
