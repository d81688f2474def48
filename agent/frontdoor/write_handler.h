// POST /api/v2/write and POST /write (DESIGN.md §2): decode (gzip, size limit), validate and
// normalize every line, write to the local InfluxDB, and only after its 2xx append the normalized
// points to every matching replication's queue; answer once they are durable.
//
// The local write carries the normalized body (nanosecond timestamps on every line, receive time
// for lines without one, _instance_id when configured) and no `precision` parameter, so the local
// copy and the queued copy are the same bytes.
#pragma once

#include <functional>
#include <memory>

#include "agent/frontdoor/routing.h"
#include "agent/frontdoor/write_metrics.h"
#include "common/clock.h"
#include "common/httpserver/server.h"

namespace edgerepl::frontdoor {

// Drop reason for points a full queue refused under queueFullPolicy: drop.
inline constexpr std::string_view kDropQueueFull = "queue_full";
// Seconds a client is asked to wait when queueFullPolicy: reject refuses a write.
inline constexpr int kRejectRetryAfterSeconds = 10;

// Whether the request is one of the two write endpoints this handler serves.
bool IsWrite(const httpserver::Request& request);

// An error for a request to `path` in the shape its clients parse: 1.x's {"error"} (and
// X-Influxdb-Error) for /write, 2.x's {"code","message"} for everything else. The write port's
// server uses it for the answers it gives before a handler runs (413, 431, 503, ...).
httpserver::Response ErrorForPath(std::string_view path, int status, std::string_view code,
                                  std::string_view message);

class WriteHandler {
 public:
  using RoutingFn = std::function<std::shared_ptr<const Routing>()>;

  // `clock` and `metrics` are borrowed and must outlive the handler. `routing` is called once per
  // request.
  WriteHandler(RoutingFn routing, const Clock& clock, WriteMetrics& metrics);

  httpserver::Response Handle(const httpserver::Request& request);
  // Counts a write the server refused before this handler saw it (a body over the limit).
  void CountRefused(const httpserver::Request& request, int status);

  // A local write recorded in the intent journal and left unanswered by a crash, sent again
  // exactly as the write path sends a new one (same destination and replication matching,
  // partial writes, v2-to-v1, gap accounting), without being recorded again.
  struct ReplayOutcome {
    int status = 0;         // the answer the client would have had (502: local unreachable)
    bool answered = false;  // the local InfluxDB answered
    uint64_t queued_points = 0, refused_points = 0;
    std::string body;  // the answer's body, for the log
  };
  ReplayOutcome Replay(http::HttpRequest local);

 private:
  // Sets `local_seconds` to the local InfluxDB's answer time when the write was forwarded.
  httpserver::Response HandleWrite(const httpserver::Request& request, Api api,
                                   double* local_seconds);

  const RoutingFn routing_;
  const Clock& clock_;
  WriteMetrics& metrics_;
};

// The raw query without any `precision` parameter.
std::string WithoutPrecision(std::string_view query);

}  // namespace edgerepl::frontdoor
