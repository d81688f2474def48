// Replays the writes a crash left unresolved in the intent journal (intent.h), before the write
// port opens: each goes through the write path again (WriteHandler::Replay: identical points are
// idempotent) and, when the local accepts it, is queued for every replication that matches it
// under the current config, exactly as a new write would be (partial writes included). A body the
// local refuses on replay is not queued: it is resolved and counted `refused`. Transport errors and
// 5xx answers are retried (the local may be starting too) until it answers or `stopping` says so;
// what is left then stays in the journal for the next start. Oldest first, so writes reach the
// queues in the order they reached the agent.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/write_handler.h"

namespace edgerepl::frontdoor {

struct PendingWrite {
  uint64_t id = 0;
  std::string payload;  // EncodeIntent's
};

struct ReplayReport {
  uint64_t queued = 0, queued_points = 0;    // the local accepted; queued (or counted dropped)
  uint64_t refused = 0, refused_points = 0;  // the local refused the body
  uint64_t unreadable = 0;                   // a record that did not decode
  uint64_t left = 0;                         // still unresolved (stopped before the local answered)
  uint64_t local_retries = 0;                // transport errors and 5xx retried
  double seconds = 0;
};

// Counters of what replays did, per process (a start's replay is in its own process's metrics).
class IntentMetrics {
 public:
  explicit IntentMetrics(prometheus::Registry& registry);
  void Observe(const ReplayReport& report);
  void BeginFailed();

 private:
  prometheus::Family<prometheus::Counter>& replays_;
  prometheus::Family<prometheus::Counter>& points_;
  prometheus::Counter& begin_failures_;
  prometheus::Gauge& seconds_;
};

struct ReplayOptions {
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{2000};
  std::function<bool()> stopping;  // optional
};

// Sends one recorded local write through the write path; WriteHandler::Replay in the agent.
using ReplayFn = std::function<WriteHandler::ReplayOutcome(http::HttpRequest)>;

ReplayReport ReplayIntents(const ReplayFn& replay, std::vector<PendingWrite> pending,
                           IntentLog& log, const ReplayOptions& options = {});

}  // namespace edgerepl::frontdoor
