// The write path's metrics (DESIGN.md §7).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

#include "agent/frontdoor/routing.h"

namespace edgerepl::frontdoor {

class WriteMetrics {
 public:
  // `registry` must outlive this object.
  explicit WriteMetrics(prometheus::Registry& registry);

  // One answered write request (any outcome), with the time the client waited.
  void ObserveRequest(Api api, int code, double seconds);
  // Points and normalized line-protocol bytes the local InfluxDB accepted.
  void ObserveAccepted(uint64_t points, uint64_t bytes);
  void ObserveLocalWrite(double seconds);
  // What a write the local InfluxDB took spent in the agent besides that local write: decoding,
  // validation, the queue append and its sync.
  void ObserveAdded(double seconds);
  // Request bodies held in memory (the write port's body budget) changed by `delta` bytes.
  void BodyMemory(int64_t delta);
  // A request refused with 503 because the body budget was spent.
  void BodyMemoryRefused();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter& points_;
  prometheus::Counter& bytes_;
  prometheus::Histogram& duration_;
  prometheus::Histogram& local_duration_;
  prometheus::Histogram& added_duration_;
  prometheus::Gauge& body_memory_;
  prometheus::Counter& body_memory_refused_;
  std::mutex mu_;
  std::map<std::pair<Api, int>, prometheus::Counter*> by_code_;  // GUARDED_BY(mu_)
};

}  // namespace edgerepl::frontdoor
