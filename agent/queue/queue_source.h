// Adapts a Queue to what the sender reads from (agent/sender/record_source.h). Positions pass
// through unchanged: PackPosition(segment, offset), increasing across segments.
#pragma once

#include "agent/queue/queue.h"
#include "agent/sender/record_source.h"

namespace edgerepl::queue {

class QueueSource final : public sender::RecordSource {
 public:
  // `queue` is borrowed and must outlive this source.
  explicit QueueSource(Queue& queue) : queue_(queue) {}

  Result<std::vector<sender::SourceRecord>> ReadNext(size_t max_bytes) override;
  Status Ack(uint64_t position) override { return queue_.Ack(position); }
  void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
    queue_.CountDropped(points, bytes, reason);
  }
  bool Full() const override { return queue_.Full(); }
  // The queue counts each record once, whether it or the sender found it expired first.
  Status Expire(uint64_t position, uint64_t, uint64_t) override { return queue_.Expire(position); }
  void ExpireUnread() override;

 private:
  Queue& queue_;
};

}  // namespace edgerepl::queue
