#include "agent/sender/batcher.h"

#include <algorithm>

#include "agent/deletes/delete_spec.h"

namespace edgerepl::sender {
namespace {

// Appends lines of `payload` from `offset` while the limits allow; returns the offset reached.
// Takes at least one line when `batch` is still empty, so an oversized line cannot wedge the queue.
size_t TakeLines(std::string_view payload, size_t offset, const BatchLimits& limits, Batch& batch) {
  while (offset < payload.size()) {
    size_t nl = payload.find('\n', offset);
    size_t end = nl == std::string_view::npos ? payload.size() : nl + 1;
    std::string_view line = payload.substr(offset, end - offset);
    bool blank = line == "\n";
    size_t add = line.size() + (line.back() == '\n' ? 0 : 1);
    if (!batch.body.empty() && (batch.body.size() + add > limits.max_bytes ||
                                (!blank && batch.points + 1 > limits.max_points))) {
      break;
    }
    if (!blank) {
      batch.body.append(line);
      if (line.back() != '\n') batch.body.push_back('\n');
      ++batch.points;
    }
    offset = end;
  }
  return offset;
}

}  // namespace

Batch NextBatch(const std::deque<SourceRecord>& pending, size_t head_offset,
                const BatchLimits& limits) {
  return NextBatchFrom(pending, 0, head_offset, limits);
}

Batch NextBatchFrom(const std::deque<SourceRecord>& pending, size_t first_record,
                    size_t head_offset, const BatchLimits& limits, std::string storage) {
  Batch batch;
  batch.body = std::move(storage);
  batch.body.clear();
  // Sized once up front: growing by doubling copied each body about twice more.
  size_t available = 0;
  for (size_t i = first_record; i < pending.size() && available < limits.max_bytes; ++i) {
    available += pending[i].payload.size() + 1;
  }
  batch.body.reserve(std::min(available, limits.max_bytes));
  batch.completed_records = first_record;
  size_t offset = head_offset;
  for (size_t i = first_record; i < pending.size(); ++i, offset = 0) {
    const SourceRecord& r = pending[i];
    if (deletes::IsDeleteRecord(r.payload)) {
      if (!batch.body.empty()) break;  // completed_records is i: the writes before it go first
      if (batch.oldest_enqueue_ns == 0) batch.oldest_enqueue_ns = r.enqueue_time_ns;
      batch.delete_payload = r.payload;
      batch.completed_records = i + 1;
      break;
    }
    if (batch.oldest_enqueue_ns == 0) batch.oldest_enqueue_ns = r.enqueue_time_ns;
    size_t remaining = r.payload.size() - std::min(offset, r.payload.size());
    bool ends_in_newline = !r.payload.empty() && r.payload.back() == '\n';
    size_t whole_bytes = remaining + (ends_in_newline || remaining == 0 ? 0 : 1);
    if (offset == 0 && batch.body.size() + whole_bytes <= limits.max_bytes &&
        batch.points + r.points <= limits.max_points) {
      // Fast path: the whole record fits; its point count is trusted from the queue header.
      batch.body.append(r.payload);
      if (!ends_in_newline && !r.payload.empty()) batch.body.push_back('\n');
      batch.points += r.points;
      batch.completed_records = i + 1;
      continue;
    }
    size_t reached = TakeLines(r.payload, offset, limits, batch);
    if (reached >= r.payload.size()) {
      batch.completed_records = i + 1;
      continue;
    }
    batch.next_offset = reached;
    break;
  }
  return batch;
}

}  // namespace edgerepl::sender
