// One replication's remote-write metrics (DESIGN.md §7), all labelled replication=<name>. The
// families are shared through the registry; this object owns only its series and removes them when
// destroyed, so a replication removed by a reload leaves no series behind.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/sender/sender_state.h"

namespace edgerepl::sender {

// What became of the deletes a replication carries: queued by the front door after the local
// database applied them, applied at the remote, refused by the remote (each refusing answer, as
// the stream stalls or drops it), dropped (queue full, dropNonRetryableData, skipped, expired).
inline constexpr std::string_view kDeleteQueued = "queued";
inline constexpr std::string_view kDeleteApplied = "applied";
inline constexpr std::string_view kDeleteRefused = "refused";
inline constexpr std::string_view kDeleteDropped = "dropped";
inline constexpr std::string_view kDeleteResults[] = {kDeleteQueued, kDeleteApplied, kDeleteRefused,
                                                      kDeleteDropped};

class SenderMetrics {
 public:
  // `registry` must outlive this object.
  SenderMetrics(prometheus::Registry& registry, std::string replication);
  ~SenderMetrics();
  SenderMetrics(const SenderMetrics&) = delete;
  SenderMetrics& operator=(const SenderMetrics&) = delete;

  // One finished HTTP attempt; `code` 0 for a transport error.
  void ObserveRequest(int code, double seconds);
  // A batch (or part) the remote accepted: points, line-protocol bytes, bytes on the wire.
  void ObserveSent(uint64_t points, uint64_t bytes, uint64_t wire_bytes, double unix_seconds);
  void SetState(State state);
  // How many requests the sender may keep out at once now: maxInFlight with a fixed window, 1 up
  // to maxInFlight with the adaptive one.
  void SetInFlightLimit(int requests);
  // A replicated delete (docs/deletes.md) reached `result`: one of kDeleteResults.
  void CountDelete(std::string_view result);
  // The same counts, for the replication's status (every result, zeros included).
  std::map<std::string, uint64_t> DeleteCounts() const;

 private:
  std::string replication_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_family_;
  prometheus::Family<prometheus::Counter>& points_family_;
  prometheus::Family<prometheus::Counter>& bytes_family_;
  prometheus::Family<prometheus::Counter>& wire_family_;
  prometheus::Family<prometheus::Gauge>& last_success_family_;
  prometheus::Family<prometheus::Gauge>& state_family_;
  prometheus::Family<prometheus::Gauge>& in_flight_limit_family_;
  prometheus::Family<prometheus::Counter>& deletes_family_;
  prometheus::Histogram& duration_;
  prometheus::Counter& points_;
  prometheus::Counter& bytes_;
  prometheus::Counter& wire_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& in_flight_limit_;
  std::map<State, prometheus::Gauge*> states_;
  std::map<std::string, prometheus::Counter*, std::less<>> deletes_;
  mutable std::mutex deletes_mu_;  // guards delete_counts_
  std::map<std::string, uint64_t, std::less<>> delete_counts_;
  std::mutex mu_;  // guards by_code_
  std::map<int, prometheus::Counter*> by_code_;
};

}  // namespace edgerepl::sender
