// Max age while the sender holds records: the sender reads ahead (a batch or a pipeline window),
// so the records it holds are no longer the queue's to expire. It drops them itself when they
// age out, through the source, which counts each record once.
#include <spdlog/spdlog.h>

#include "agent/sender/sender.h"

namespace edgerepl::sender {

void Sender::ExpireHead() {
  if (options_.max_age.count() <= 0) return;
  const int64_t cutoff =
      clock_.WallNowNanos() -
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_age).count();
  // A record partly delivered (split across batches) is finished, not dropped: only whole
  // records are counted, so a drop never counts lines the remote already has.
  size_t n = 0;
  uint64_t points = 0, bytes = 0;
  if (head_offset_ == 0) {
    while (n < pending_.size() && pending_[n].enqueue_time_ns < cutoff) {
      points += pending_[n].points;
      bytes += pending_[n].payload.size();
      ++n;
    }
  }
  if (n > 0) {
    const uint64_t position = pending_[n - 1].position;
    DiscardStaged();
    Pop(popped_records_ + n);
    next_record_ = popped_records_;
    next_offset_ = head_offset_;
    Status st = source_.Expire(position, points, bytes);
    if (!st.ok()) {
      spdlog::error("replication {}: dropping expired records: {}", options_.replication_name,
                    st.ToString());
    }
    spdlog::warn("replication {}: dropped {} points older than maxAgeSeconds {} (expired)",
                 options_.replication_name, points, options_.max_age.count());
    std::lock_guard<std::mutex> lock(mu_);
    status_.dropped_points["expired"] += points;
  }
  source_.ExpireUnread();
}

}  // namespace edgerepl::sender
