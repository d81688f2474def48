#include "agent/queue/queue_source.h"

#include <spdlog/spdlog.h>

namespace edgerepl::queue {

Result<std::vector<sender::SourceRecord>> QueueSource::ReadNext(size_t max_bytes) {
  Result<std::vector<Record>> records = queue_.ReadNext(max_bytes);
  if (!records.ok()) return records.status();
  std::vector<sender::SourceRecord> out;
  out.reserve(records->size());
  for (Record& r : *records) {
    out.push_back(
        sender::SourceRecord{r.position, r.enqueue_time_ns, r.points, std::move(r.payload)});
  }
  return out;
}

void QueueSource::ExpireUnread() {
  Result<uint64_t> expired = queue_.ExpireOld();
  if (!expired.ok()) spdlog::error("dropping expired records: {}", expired.status().ToString());
}

}  // namespace edgerepl::queue
