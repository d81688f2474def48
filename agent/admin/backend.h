// What the admin API needs from the running agent: a status snapshot per replication, the admin
// actions and readiness. The agent's app implements it; tests use a fake, so the handlers run
// without queues, senders or sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sender/sender_state.h"
#include "common/status.h"

namespace edgerepl::admin {

// A replication's backfill job (docs/backfill.md): its range, how far it has read, and what of it
// is still queued. Times are Unix nanoseconds.
struct BackfillStatus {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  int64_t done_until_ns = 0;
  uint64_t points = 0;          // read from the local database and queued
  uint64_t pending_points = 0;  // of those, not yet accepted by the remote
  uint64_t max_points_per_second = 0;
  std::string state;   // Reading, Draining, Complete, Cancelled
  std::string origin;  // config or admin
  std::string last_error;
};

// A backfill the admin call asks for: [from_ns, to_ns) at max_points_per_second.
struct BackfillRequest {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  uint64_t max_points_per_second = 0;
};

// One replication as DESIGN.md §6 reports it. Holds no token.
struct ReplicationStatus {
  std::string id;
  std::string name;
  std::string remote;           // the remote's name
  std::string local_bucket;     // v2 bucket name, or v1 "db" / "db/rp"
  std::string local_bucket_id;  // optional alias
  std::string local_org;        // optional
  std::string remote_bucket;    // exactly one of remote_bucket and remote_bucket_id is set
  std::string remote_bucket_id;
  uint64_t max_queue_size_bytes = 0;
  uint64_t max_age_seconds = 0;
  bool drop_non_retryable_data = false;
  uint64_t current_queue_size_bytes = 0;  // unacknowledged bytes on disk
  uint64_t pending_points = 0;
  int latest_response_code = 0;  // 0: no answer yet, or a transport error
  std::string latest_error_message;
  std::optional<std::chrono::system_clock::time_point> last_success_time;
  uint64_t consecutive_failures = 0;
  double oldest_pending_age_seconds = 0;
  sender::State state = sender::State::kIdle;
  std::map<std::string, uint64_t> dropped_points;  // reason -> points
  std::optional<BackfillStatus> backfill;          // none: no backfill was ever asked for
  // replicateDeletes only: the deletes by what became of them (sender::kDeleteResults).
  std::optional<std::map<std::string, uint64_t>> deletes;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Every replication this agent runs, in config order.
  virtual std::vector<ReplicationStatus> Replications() const = 0;
  virtual std::string ConfigHash() const = 0;
  // Empty: the mutating admin calls are open.
  virtual std::string AdminToken() const = 0;
  // False when no running replication has this id.
  virtual bool SkipHead(std::string_view id) = 0;
  virtual bool RetryNow(std::string_view id) = 0;
  // Starts a backfill of the replication, replacing one that runs. NotFound for an unknown id.
  virtual Status StartBackfill(std::string_view id, const BackfillRequest&) {
    return Status::NotFound("no replication with id " + std::string(id));
  }
  // Stops reading the replication's backfill (what is queued is still sent). NotFound for an
  // unknown id or when there is no backfill.
  virtual Status CancelBackfill(std::string_view id) {
    return Status::NotFound("no replication with id " + std::string(id));
  }
  // OK when the config is loaded, the queues are open and the local InfluxDB answers /ping;
  // otherwise the first reason it is not.
  virtual Status Ready() = 0;
};

}  // namespace edgerepl::admin
