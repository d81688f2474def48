// Merges queued records into request bodies of at most `max_bytes` and `max_points`, in order. A
// record larger than a batch is split at line boundaries; its position is acknowledged only when
// its last part was delivered, so a crash resends at most what was in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "agent/sender/record_source.h"

namespace edgerepl::sender {

struct BatchLimits {
  size_t max_bytes = 500000;
  size_t max_points = 5000;
};

struct Batch {
  std::string body;  // line protocol, each line ending in '\n'
  uint64_t points = 0;
  // After delivery: how many records at the front of the pending deque are finished, and the byte
  // offset into the next one already delivered (0 when the batch ended on a record boundary).
  size_t completed_records = 0;
  size_t next_offset = 0;
  int64_t oldest_enqueue_ns = 0;
  // A delete record (agent/deletes/delete_spec.h) is a batch of its own, never merged with
  // writes: it is applied at the remote after the writes before it and before those after it.
  std::string delete_payload;
  bool is_delete() const { return !delete_payload.empty(); }
  bool empty() const { return body.empty() && delete_payload.empty(); }
};

// Builds the next batch from `pending`, starting `head_offset` bytes into its first record. It
// ends before a delete record; a delete record at its start is the whole batch.
// Always makes progress when anything is pending: a single line bigger than the limits is a batch
// of its own (the remote then decides, 413 → non-retryable).
Batch NextBatch(const std::deque<SourceRecord>& pending, size_t head_offset,
                const BatchLimits& limits);
// The batch after another one: starts at record `first_record` (an index into `pending`), offset
// `head_offset`; `completed_records` then counts from the front of `pending`, not from there.
// `storage` is an earlier batch's body to build this one in: its capacity is reused, so a steady
// drain allocates no new body per batch.
Batch NextBatchFrom(const std::deque<SourceRecord>& pending, size_t first_record,
                    size_t head_offset, const BatchLimits& limits, std::string storage = {});

}  // namespace edgerepl::sender
